package io.shrink.core.train;

import io.shrink.core.model.ComputePrecision;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.shrink.core.TinyModels;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.checkpoint.Safetensors;
import io.shrink.core.model.Encoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The training loop on a tiny synthetic task: it learns, and an interrupted run resumes to the same weights. */
class TrainerTest {
    /** Label 1 when token 40 occurs in the sequence. */
    record Example(long[] ids, long label) {
    }

    static List<Example> data(int n, long seed) {
        Random r = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = 4 + r.nextInt(5);
            long[] ids = new long[len];
            ids[0] = 2;
            boolean positive = r.nextBoolean();
            for (int j = 1; j < len - 1; j++) {
                ids[j] = 5 + r.nextInt(30);
            }
            if (positive) {
                ids[1 + r.nextInt(len - 2)] = 40;
            }
            ids[len - 1] = 3;
            out.add(new Example(ids, positive ? 1 : 0));
        }
        return out;
    }

    static final class SyntheticTask implements Trainer.Task<List<Example>> {
        final List<Example> train = data(64, 1);
        final List<Example> dev = data(48, 2);
        final long seed;

        SyntheticTask(long seed) {
            this.seed = seed;
        }

        @Override
        public List<List<Example>> batches(int epoch) {
            List<Example> order = new ArrayList<>(train);
            Collections.shuffle(order, new Random(seed * 31 + epoch));
            List<List<Example>> out = new ArrayList<>();
            for (int i = 0; i < order.size(); i += 8) {
                out.add(order.subList(i, Math.min(order.size(), i + 8)));
            }
            return out;
        }

        @Override
        public int size(List<Example> batch) {
            return batch.size();
        }

        @Override
        public NDArray loss(Encoder encoder, List<Example> batch, NDManager step) {
            NDArray[] in = inputs(batch, step);
            NDArray hidden = encoder.forward(in[0], null, in[1], true, false).lastHidden();
            return Losses.crossEntropy(encoder.classify(hidden, true), in[2]);
        }

        @Override
        public Trainer.Evaluation evaluate(Encoder encoder) {
            try (NDManager m = encoder.parameters().values().iterator().next().getManager().newSubManager()) {
                NDArray[] in = inputs(dev, m);
                NDArray logits = encoder.classify(encoder.forward(in[0], null, in[1], false, false).lastHidden(), false);
                float acc = logits.argMax(-1).eq(in[2]).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).mean().getFloat();
                return new Trainer.Evaluation(acc, true, Map.of("accuracy", (double) acc));
            }
        }

        static NDArray[] inputs(List<Example> batch, NDManager m) {
            int len = batch.stream().mapToInt(e -> e.ids().length).max().orElse(1);
            long[] ids = new long[batch.size() * len];
            long[] mask = new long[batch.size() * len];
            long[] labels = new long[batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                long[] e = batch.get(i).ids();
                for (int j = 0; j < e.length; j++) {
                    ids[i * len + j] = e[j];
                    mask[i * len + j] = 1;
                }
                labels[i] = batch.get(i).label();
            }
            return new NDArray[] {m.create(ids, new Shape(batch.size(), len)), m.create(mask, new Shape(batch.size(), len)),
                    m.create(labels)};
        }
    }

    static TrainOptions options(int checkpointEvery) {
        return options(checkpointEvery, ComputePrecision.FP32);
    }

    static TrainOptions options(int checkpointEvery, ComputePrecision precision) {
        return new TrainOptions(2e-3, 0.01, 0.1, 3, 0, 8, 2, 1.0, 7, 4, checkpointEvery, 1, false, precision);
    }

    static Checkpoint model() {
        return TinyModels.model(TinyModels.bert(), TinyModels.classifier("pooler"), 5);
    }

    @ParameterizedTest
    @EnumSource(ComputePrecision.class)
    void learnsTheSyntheticTask(ComputePrecision precision, @TempDir Path dir) {
        SyntheticTask task = new SyntheticTask(3);
        try (NDManager m = NDManager.newBaseManager("PyTorch"); Encoder enc = Encoder.load(model(), m)) {
            double before = task.evaluate(enc).main();
            TrainOptions longer = new TrainOptions(1e-3, 0.01, 0.1, 20, 0, 8, 1, 1.0, 7, 0, 0, 10, false, precision);
            Trainer.Outcome out = new Trainer(longer, Map.of("lr", 1e-3), Progress.NONE).run(enc, task, dir, false);
            assertEquals(160, out.state().step(), "20 epochs x 8 batches");
            assertEquals(20, out.state().evaluations().size(), "one evaluation per epoch");
            assertTrue(before < 0.7 && out.state().bestScore() >= 0.9, "accuracy " + before + " -> " + out.state().bestScore());
            assertTrue(Files.isRegularFile(out.best()));
        }
    }

    @ParameterizedTest
    @EnumSource(ComputePrecision.class)
    void interruptedRunResumesToTheSameWeights(ComputePrecision precision, @TempDir Path dir) {
        Map<String, Object> opts = Map.of("lr", 2e-3);
        Path straight = dir.resolve("straight");
        Path resumed = dir.resolve("resumed");
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            try (Encoder enc = Encoder.load(model(), m)) {
                new Trainer(options(2, precision), opts, Progress.NONE).run(enc, new SyntheticTask(3), straight, false);
            }
            Progress killer = new Progress() {
                @Override
                public void start(String label, long total) {
                }

                @Override
                public void update(long done, String status) {
                    if (done == 7) {
                        throw new IllegalStateException("simulated interruption after step 7");
                    }
                }

                @Override
                public void message(String line) {
                }

                @Override
                public void close() {
                }
            };
            try (Encoder enc = Encoder.load(model(), m)) {
                assertThrows(IllegalStateException.class,
                        () -> new Trainer(options(2, precision), opts, killer).run(enc, new SyntheticTask(3), resumed, false));
            }
            try (Encoder enc = Encoder.load(model(), m)) {
                Trainer.Outcome out = new Trainer(options(2, precision), opts, Progress.NONE).run(enc, new SyntheticTask(3), resumed, true);
                assertEquals(12, out.state().step());
            }
            try (Encoder enc = Encoder.load(model(), m)) {
                assertThrows(io.shrink.core.ShrinkException.class, () ->
                        new Trainer(options(2, precision), Map.of("lr", 1e-3), Progress.NONE).run(enc, new SyntheticTask(3), resumed, true),
                        "a resume with other options is refused");
            }
        }
        Map<String, FloatTensor> a = Safetensors.read(straight.resolve("checkpoint/model.safetensors"));
        Map<String, FloatTensor> b = Safetensors.read(resumed.resolve("checkpoint/model.safetensors"));
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).data(), b.get(k).data(), 0f, "bit-identical " + k);
        }
        assertArrayEquals(Safetensors.read(straight.resolve(Trainer.BEST)).get("classifier.weight").data(),
                Safetensors.read(resumed.resolve(Trainer.BEST)).get("classifier.weight").data(), 0f);
    }

    /** bf16 training follows float32 closely but not exactly: it really computes in bf16. */
    @Test
    void bf16TrainingStaysCloseToFloat32(@TempDir Path dir) {
        Map<ComputePrecision, float[]> end = new java.util.EnumMap<>(ComputePrecision.class);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (ComputePrecision p : ComputePrecision.values()) {
                try (Encoder enc = Encoder.load(model(), m)) {
                    new Trainer(options(0, p), Map.of(), Progress.NONE).run(enc, new SyntheticTask(3), dir.resolve(p.label()), false);
                    end.put(p, enc.parameters().get("encoder.layer.0.intermediate.dense.weight").toFloatArray());
                }
            }
        }
        float[] a = end.get(ComputePrecision.FP32);
        float[] b = end.get(ComputePrecision.BF16);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - b[i]) * (double) (a[i] - b[i]);
            norm += a[i] * (double) a[i];
        }
        double rel = Math.sqrt(diff / norm);
        assertTrue(rel > 0 && rel < 0.02, "bf16 vs fp32 weights after 12 steps: relative L2 " + rel);
    }

    /** The synthetic task with evaluations that score worse every time, so the best evaluation is the first. */
    static final class WorseningTask implements Trainer.Task<List<Example>> {
        private final SyntheticTask task = new SyntheticTask(3);
        private int evaluations;

        @Override
        public List<List<Example>> batches(int epoch) {
            return task.batches(epoch);
        }

        @Override
        public int size(List<Example> batch) {
            return task.size(batch);
        }

        @Override
        public NDArray loss(Encoder encoder, List<Example> batch, NDManager step) {
            return task.loss(encoder, batch, step);
        }

        @Override
        public Trainer.Evaluation evaluate(Encoder encoder) {
            double score = 1.0 / ++evaluations;
            return new Trainer.Evaluation(score, true, Map.of("score", score));
        }
    }

    /**
     * With keepLast the kept weights are the end of training (the last checkpoint's) although the first evaluation
     * scored best; keeping the best keeps that first one. keepLast false is left out of the JSON form, so checkpoints
     * written before the option existed still resume.
     */
    @Test
    void keepLastKeepsTheEndOfTrainingNotTheBestEvaluation(@TempDir Path dir) throws Exception {
        TrainOptions best = options(0);
        TrainOptions last = new TrainOptions(2e-3, 0.01, 0.1, 3, 0, 8, 2, 1.0, 7, 4, 0, 1, true);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Trainer.Outcome kb;
            Trainer.Outcome kl;
            try (Encoder enc = Encoder.load(model(), m)) {
                kb = new Trainer(best, Map.of(), Progress.NONE).run(enc, new WorseningTask(), dir.resolve("best"), false);
            }
            try (Encoder enc = Encoder.load(model(), m)) {
                kl = new Trainer(last, Map.of(), Progress.NONE).run(enc, new WorseningTask(), dir.resolve("last"), false);
            }
            assertEquals(3, kl.state().evaluations().size(), "steps 4, 8 and 12");
            assertEquals(4, kb.state().bestStep(), "the best evaluation is the first");
            assertEquals(12, kl.state().bestStep(), "the last step");
            assertEquals(1 / 3.0, kl.state().bestScore(), 1e-12);
            float[] end = Safetensors.read(dir.resolve("last/checkpoint/model.safetensors")).get("classifier.weight").data();
            assertArrayEquals(end, Safetensors.read(kl.best()).get("classifier.weight").data(), 0f, "the end-of-training weights");
            assertArrayEquals(end, Safetensors.read(dir.resolve("best/checkpoint/model.safetensors")).get("classifier.weight").data(),
                    0f, "both runs trained alike");
            assertTrue(!java.util.Arrays.equals(end, Safetensors.read(kb.best()).get("classifier.weight").data()),
                    "keeping the best keeps the step-4 weights");
        }
        String json = io.shrink.core.util.Json.MAPPER.writeValueAsString(best);
        assertTrue(!json.contains("keepLast") && !json.contains("kept"), json);
        assertTrue(io.shrink.core.util.Json.MAPPER.valueToTree(last).get("keepLast").asBoolean());
        assertEquals("last", last.kept());
        assertTrue(TrainOptions.keepLast("LAST") && !TrainOptions.keepLast("best"));
        assertThrows(io.shrink.core.ShrinkException.class, () -> TrainOptions.keepLast("first"));
    }

    /** Replaces value {@code index} of tensor {@code name} in a safetensors file. */
    private static void poke(Path file, String name, int index, float value) throws java.io.IOException {
        Map<String, io.shrink.core.tensor.FloatTensor> t = new java.util.LinkedHashMap<>(Safetensors.read(file));
        float[] data = t.get(name).data().clone();
        data[index] = value;
        t.put(name, new io.shrink.core.tensor.FloatTensor(name, t.get(name).shape(), data));
        Safetensors.write(file, t.values(), Map.of());
    }

    /**
     * A resume deletes the staging folder a checkpoint write killed before its rename left behind, and refuses a
     * checkpoint whose weights or optimizer moments are not finite, naming the file and tensor.
     */
    @Test
    void resumeSweepsStagingAndRefusesNonFiniteCheckpoints(@TempDir Path dir) throws Exception {
        Map<String, Object> opts = Map.of("lr", 2e-3);
        Path ckpt = dir.resolve(Trainer.CHECKPOINT);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            try (Encoder enc = Encoder.load(model(), m)) {
                assertTrue(new Trainer(options(2), opts, Progress.NONE).run(enc, new SyntheticTask(3), dir, false, 2).paused());
            }
            Path leftover = dir.resolve(".checkpoint-" + java.util.UUID.randomUUID());
            Files.createDirectories(leftover);
            Files.write(leftover.resolve("model.safetensors"), new byte[100]);
            byte[] weights = Files.readAllBytes(ckpt.resolve("model.safetensors"));
            byte[] moments = Files.readAllBytes(ckpt.resolve("optimizer.safetensors"));

            poke(ckpt.resolve("model.safetensors"), "classifier.weight", 3, Float.NaN);
            try (Encoder enc = Encoder.load(model(), m)) {
                io.shrink.core.ShrinkException e = assertThrows(io.shrink.core.ShrinkException.class,
                        () -> new Trainer(options(2), opts, Progress.NONE).run(enc, new SyntheticTask(3), dir, true, 1));
                assertEquals(io.shrink.core.ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
                assertTrue(e.getMessage().contains("model.safetensors: tensor classifier.weight [2, 32] at index 3 is NaN"),
                        e.getMessage());
            }
            assertFalse(Files.exists(leftover), "the staging folder of the killed write is gone");

            Files.write(ckpt.resolve("model.safetensors"), weights);
            poke(ckpt.resolve("model.safetensors"), "embeddings.LayerNorm.weight", 0, 1e30f);
            try (Encoder enc = Encoder.load(model(), m)) {
                io.shrink.core.ShrinkException e = assertThrows(io.shrink.core.ShrinkException.class,
                        () -> new Trainer(options(2), opts, Progress.NONE).run(enc, new SyntheticTask(3), dir, true, 1));
                assertTrue(e.getMessage().contains("embeddings.LayerNorm.weight [32] at index 0 is 1.0E30, beyond the bound "
                        + "|x| <= 10000"), e.getMessage());
            }

            Files.write(ckpt.resolve("model.safetensors"), weights);
            String moment = Safetensors.read(ckpt.resolve("optimizer.safetensors")).keySet().iterator().next();
            poke(ckpt.resolve("optimizer.safetensors"), moment, 0, Float.POSITIVE_INFINITY);
            try (Encoder enc = Encoder.load(model(), m)) {
                io.shrink.core.ShrinkException e = assertThrows(io.shrink.core.ShrinkException.class,
                        () -> new Trainer(options(2), opts, Progress.NONE).run(enc, new SyntheticTask(3), dir, true, 1));
                assertTrue(e.getMessage().contains("optimizer.safetensors: tensor " + moment) && e.getMessage().contains("is Infinity"),
                        e.getMessage());
            }

            Files.write(ckpt.resolve("optimizer.safetensors"), moments);
            try (Encoder enc = Encoder.load(model(), m)) {
                assertTrue(new Trainer(options(2), opts, Progress.NONE).run(enc, new SyntheticTask(3), dir, true, 1).paused(),
                        "the restored checkpoint resumes");
            }
        }
    }

    /** A loss that turns NaN at step 3: the error says the step, the non-finite term and that the weights were finite. */
    @Test
    void divergenceSaysWhereAndWhatWentNonFinite(@TempDir Path dir) {
        SyntheticTask inner = new SyntheticTask(3);
        int[] calls = {0};
        Trainer.Task<List<Example>> task = new Trainer.Task<>() {
            @Override
            public List<List<Example>> batches(int epoch) {
                return inner.batches(epoch);
            }

            @Override
            public int size(List<Example> batch) {
                return batch.size();
            }

            @Override
            public NDArray loss(Encoder encoder, List<Example> batch, NDManager step) {
                NDArray loss = inner.loss(encoder, batch, step);
                return ++calls[0] == 7 ? loss.mul(step.full(new Shape(), Float.NaN)) : loss; // step 3's first micro-batch
            }

            @Override
            public Trainer.Evaluation evaluate(Encoder encoder) {
                return inner.evaluate(encoder);
            }

            @Override
            public String lossTerms() {
                return "non-finite: ce NaN; finite: hard 0.6931";
            }
        };
        try (NDManager m = NDManager.newBaseManager("PyTorch"); Encoder enc = Encoder.load(model(), m)) {
            io.shrink.core.ShrinkException e = assertThrows(io.shrink.core.ShrinkException.class,
                    () -> new Trainer(options(2), Map.of(), Progress.NONE).run(enc, task, dir, false));
            assertEquals(io.shrink.core.ShrinkException.Kind.FAILED, e.kind());
            assertTrue(e.getMessage().startsWith("training diverged at step 3 of 12 (epoch 0, micro-batch 6): loss NaN "
                    + "(non-finite: ce NaN; finite: hard 0.6931); the weights were finite; at learning rate"), e.getMessage());
            assertTrue(e.getMessage().contains("try a lower --lr or --max-grad-norm; the last checkpoint is in "
                    + dir.resolve(Trainer.CHECKPOINT)), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }
}
