package io.shrink.core.compress.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.shrink.core.PyTorchManagerTest;
import io.shrink.core.ShrinkException;
import io.shrink.core.TinyModels;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.train.Losses;
import io.shrink.core.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.shrink.core.model.CanonicalNames.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Structured pruning: physical removal of heads and neurons computes exactly what masking them computes, on every
 * encoder shape; the gate gradients behind the importance scores equal finite differences of the loss; plans rank
 * globally and refuse what cannot be run.
 */
class StructuredPruningTest extends PyTorchManagerTest {

    /**
     * A plan keeping a seeded random half of each layer's heads and 60% of its neurons; where two layers have heads,
     * the first loses all of them (a layer without heads must run too); at least one head is kept.
     */
    private static PrunePlan randomPlan(EncoderConfig c, long seed) {
        Random r = new Random(seed);
        List<List<Integer>> heads = new ArrayList<>();
        List<List<Integer>> neurons = new ArrayList<>();
        long withHeads = java.util.stream.IntStream.range(0, c.storedLayers()).filter(i -> c.headsOf(i) > 0).count();
        boolean emptied = false;
        for (int i = 0; i < c.storedLayers(); i++) {
            List<Integer> h = new ArrayList<>();
            boolean empty = !emptied && withHeads > 1 && c.headsOf(i) > 0;
            emptied |= empty;
            for (int k = 0; k < c.headsOf(i); k++) {
                if (!empty && r.nextDouble() < 0.5) {
                    h.add(k);
                }
            }
            List<Integer> n = new ArrayList<>();
            for (int k = 0; k < c.ffnOf(i); k++) {
                if (r.nextDouble() < 0.6) {
                    n.add(k);
                }
            }
            heads.add(h);
            neurons.add(n);
        }
        if (heads.stream().allMatch(List::isEmpty)) {
            for (int i = c.storedLayers() - 1; i >= 0; i--) {
                if (c.headsOf(i) > 0) {
                    heads.set(i, List.of(0));
                    break;
                }
            }
        }
        return new PrunePlan(heads, neurons);
    }

    @Test
    void removalComputesWhatMaskingComputesOnEveryShape() {
        for (EncoderConfig c : TinyModels.everyShape()) {
            Checkpoint model = TinyModels.model(c, TinyModels.classifier("pooler"), 3);
            PrunePlan plan = randomPlan(c, 5);
            Checkpoint pruned = StructuredPruning.apply(model, plan);
            Checkpoint masked = StructuredPruning.mask(model, plan);
            assertTrue(pruned.parameterCount() < model.parameterCount(), c.family() + ": smaller");
            for (int i = 0; i < c.storedLayers(); i++) {
                assertEquals(plan.heads().get(i).size(), pruned.config().headsOf(i));
                assertEquals(plan.neurons().get(i).size(), pruned.config().ffnOf(i));
            }
            try (NDManager m = manager.newSubManager(); Encoder a = Encoder.load(pruned, m); Encoder b = Encoder.load(masked, m)) {
                NDArray[] in = TinyModels.paddedBatch(m, c, 1, 9, 6, 3);
                float[] want = b.classify(b.forward(in[0], in[1], in[2], false, false).lastHidden(), false).toFloatArray();
                float[] got = a.classify(a.forward(in[0], in[1], in[2], false, false).lastHidden(), false).toFloatArray();
                assertArrayEquals(want, got, 1e-5f, c.family() + " " + c.layerHeads() + ": removed = masked");
                float[] hidWant = b.forward(in[0], in[1], in[2], false, false).lastHidden().toFloatArray();
                try (io.shrink.core.infer.FastEncoder fast = io.shrink.core.infer.FastEncoder.load(pruned, m)) {
                    assertArrayEquals(hidWant, fast.forward(in[0], in[1], in[2]).toFloatArray(), 1e-4f, "fast path runs it");
                }
            }
        }
    }

    /** One fixed batch, cross-entropy on labels, no dropout: the loss as a function of the weights only. */
    private static final class FixedTask implements Trainer.Task<Integer> {
        private final EncoderConfig c;

        FixedTask(EncoderConfig c) {
            this.c = c;
        }

        @Override
        public List<Integer> batches(int epoch) {
            return List.of(0);
        }

        @Override
        public int size(Integer batch) {
            return 3;
        }

        @Override
        public NDArray loss(Encoder encoder, Integer batch, NDManager step) {
            NDArray[] in = TinyModels.paddedBatch(step, c, 4, 8, 5, 7);
            NDArray logits = encoder.classify(encoder.forward(in[0], in[1], in[2], false, false).lastHidden(), false);
            return Losses.crossEntropy(logits, step.create(new long[] {1, 0, 1}));
        }

        @Override
        public Trainer.Evaluation evaluate(Encoder encoder) {
            throw new UnsupportedOperationException();
        }
    }

    private double loss(Checkpoint model, EncoderConfig c) {
        try (NDManager m = manager.newSubManager(); Encoder e = Encoder.load(model, m)) {
            return new FixedTask(c).loss(e, 0, m).getFloat();
        }
    }

    /** {@code model} with the output columns of head {@code h} (or neuron) of layer {@code i} scaled by {@code s}. */
    private static Checkpoint scaled(Checkpoint model, String matrix, List<Integer> columns, double s) {
        FloatTensor w = model.tensors().get(matrix);
        float[] data = w.data().clone();
        int cols = (int) w.shape()[1];
        for (int r = 0; r < w.shape()[0]; r++) {
            for (int k : columns) {
                data[r * cols + k] = (float) (data[r * cols + k] * s);
            }
        }
        Map<String, FloatTensor> t = new LinkedHashMap<>(model.tensors());
        t.put(matrix, new FloatTensor(matrix, w.shape(), data));
        return new Checkpoint(model.config(), model.head(), t, model.tokenizer());
    }

    @Test
    void gateGradientsEqualFiniteDifferencesOfTheLoss() {
        EncoderConfig c = TinyModels.bert();
        Checkpoint model = TinyModels.model(c, TinyModels.classifier("pooler"), 11);
        Importance raw;
        try (NDManager m = manager.newSubManager(); Encoder e = Encoder.load(model, m)) {
            raw = Importance.rawOfTask(e, new FixedTask(c), 1, 7);
        }
        double eps = 1e-2;
        for (int i = 0; i < c.storedLayers(); i++) {
            for (int h = 0; h < c.headsOf(i); h++) {
                List<Integer> cols = StructuredPruning.headRows(List.of(h), c.headSize());
                double fd = (loss(scaled(model, attnOut(i) + ".weight", cols, 1 + eps), c)
                        - loss(scaled(model, attnOut(i) + ".weight", cols, 1 - eps), c)) / (2 * eps);
                assertEquals(Math.abs(fd), raw.heads().get(i)[h], 2e-3 + 0.02 * Math.abs(fd), "layer " + i + " head " + h);
            }
            for (int n = 0; n < c.ffnOf(i); n += 13) {
                double fd = (loss(scaled(model, ffnOut(i) + ".weight", List.of(n), 1 + eps), c)
                        - loss(scaled(model, ffnOut(i) + ".weight", List.of(n), 1 - eps), c)) / (2 * eps);
                assertEquals(Math.abs(fd), raw.neurons().get(i)[n], 2e-3 + 0.02 * Math.abs(fd), "layer " + i + " neuron " + n);
            }
        }
    }

    @Test
    void plansRankGloballyAndMagnitudeScoresAreColumnNorms() {
        Importance s = new Importance(List.of(new double[] {0.9, 0.1, 0.5, 0.2}, new double[] {0.3, 0.8, 0.05, 0.7}),
                List.of(new double[] {1, 2, 3}, new double[] {3, 2, 1}));
        PrunePlan p = s.plan(0.5, 1.0 / 3);
        assertEquals(List.of(List.of(0, 2), List.of(1, 3)), p.heads(), "the 4 lowest of 8 heads go, across layers");
        assertEquals(List.of(List.of(1, 2), List.of(0, 1)), p.neurons(), "2 of 6 neurons: the two 1s (lower layer first on ties)");
        assertEquals(List.of(List.of(0, 1, 2, 3), List.of(0, 1, 2, 3)), s.plan(0, 0).heads());

        Checkpoint model = TinyModels.model(TinyModels.bert(), HeadConfig.none(), 2);
        Importance mag = Importance.ofMagnitude(model);
        FloatTensor w = model.tensors().get(attnOut(1) + ".weight");
        int d = model.config().headSize();
        double[] want = new double[model.config().headsOf(1)];
        for (int r = 0; r < w.shape()[0]; r++) {
            for (int k = 0; k < w.shape()[1]; k++) {
                want[k / d] += w.data()[r * (int) w.shape()[1] + k] * (double) w.data()[r * (int) w.shape()[1] + k];
            }
        }
        double norm = 0;
        for (int h = 0; h < want.length; h++) {
            want[h] = Math.sqrt(want[h]);
            norm += want[h] * want[h];
        }
        for (int h = 0; h < want.length; h++) {
            assertEquals(want[h] / Math.sqrt(norm), mag.heads().get(1)[h], 1e-9);
        }
    }

    @Test
    void plansThatCannotRunAreUsageErrors() {
        EncoderConfig c = TinyModels.bert();
        ShrinkException none = assertThrows(ShrinkException.class, () -> new PrunePlan(List.of(List.of(), List.of()),
                List.of(List.of(0), List.of(0))).checkedFor(c));
        assertTrue(none.getMessage().contains("every attention head of every layer"), none.getMessage());
        ShrinkException bad = assertThrows(ShrinkException.class, () -> new PrunePlan(List.of(List.of(0, 9), List.of(1)),
                List.of(List.of(0), List.of(0))).checkedFor(c));
        assertTrue(bad.getMessage().contains("head 9"), bad.getMessage());
        assertThrows(ShrinkException.class, () -> new PrunePlan(List.of(List.of(0)), List.of(List.of(0))).checkedFor(c));
    }
}
