package io.shrink.core.train;

import io.shrink.core.model.ComputePrecision;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.shrink.core.PyTorchManagerTest;
import io.shrink.core.TinyModels;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused TorchScript training stack against the DJL-operations encoder, on every family and pruned shape:
 * forward outputs, hidden states, attention distributions and the gradients of every parameter, in float32 (fused
 * attention and its backward against the unfused reference: 1e-4) and in bf16, native and emulated (a few percent).
 */
class FusedStackTest extends PyTorchManagerTest {
    static List<EncoderConfig> configs() {
        return TinyModels.everyShape();
    }

    /** Outputs and gradients of one pass: the loss is a fixed random projection of the outputs. */
    private record Pass(float[] last, List<float[]> hidden, List<float[]> attentions, Map<String, float[]> grads) {
    }

    private static Pass pass(Encoder encoder, NDManager m, boolean keep) {
        EncoderConfig c = encoder.config();
        encoder.parameters().values().forEach(p -> p.setRequiresGradient(true));
        try (NDManager step = m.newSubManager();
             GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray[] in = TinyModels.paddedBatch(step, c, 1, 11, 7, 2); // ids, types, mask: (3, 11)
            Encoder.Output out = encoder.forward(in[0], in[1], in[2], false, keep, keep);
            float[] proj = new float[(int) out.lastHidden().size()];
            Random pr = new Random(2);
            for (int i = 0; i < proj.length; i++) {
                proj[i] = (float) pr.nextGaussian();
            }
            NDArray loss = out.lastHidden().mul(step.create(proj, out.lastHidden().getShape())).sum(); // ()
            gc.backward(loss);
            Map<String, float[]> grads = new LinkedHashMap<>();
            encoder.parameters().forEach((name, p) -> grads.put(name, p.getGradient().toFloatArray()));
            List<float[]> hidden = keep ? out.hiddenStates().stream().map(NDArray::toFloatArray).toList() : null;
            List<float[]> att = keep ? out.attentions().stream().map(a -> a == null ? null : a.toFloatArray()).toList() : null;
            Pass p = new Pass(out.lastHidden().toFloatArray(), hidden, att, grads);
            encoder.parameters().values().forEach(a -> a.getGradient().subi(a.getGradient())); // zero for the next pass
            return p;
        } finally {
            encoder.parameters().values().forEach(p -> p.setRequiresGradient(false));
        }
    }

    private static double norm(float[] x) {
        double n = 0;
        for (float v : x) {
            n += v * (double) v;
        }
        return Math.sqrt(n);
    }

    private static double relL2(float[] expected, float[] actual) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < expected.length; i++) {
            num += (expected[i] - actual[i]) * (double) (expected[i] - actual[i]);
            den += expected[i] * (double) expected[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    private static void compare(Pass ref, Pass got, double outTol, double gradTol, String what) {
        assertTrue(relL2(ref.last(), got.last()) <= outTol, what + ": last hidden off by " + relL2(ref.last(), got.last()));
        if (ref.hidden() != null) {
            assertEquals(ref.hidden().size(), got.hidden().size(), what);
            for (int i = 0; i < ref.hidden().size(); i++) {
                assertTrue(relL2(ref.hidden().get(i), got.hidden().get(i)) <= outTol, what + ": hidden state " + i);
            }
            assertEquals(ref.attentions().size(), got.attentions().size(), what);
            for (int i = 0; i < ref.attentions().size(); i++) {
                if (ref.attentions().get(i) == null) {
                    assertNull(got.attentions().get(i), what + ": layer " + i + " has no heads");
                } else {
                    assertTrue(relL2(ref.attentions().get(i), got.attentions().get(i)) <= outTol, what + ": attention " + i);
                }
            }
        }
        // each gradient's error relative to its own norm, or to a thousandth of the global norm where it is tiny (the
        // key bias's gradient is zero in exact arithmetic: softmax ignores what is added to every score of a row)
        double global = 0;
        for (float[] g : ref.grads().values()) {
            global += norm(g) * norm(g);
        }
        double floor = 1e-3 * Math.sqrt(global);
        ref.grads().forEach((name, g) -> {
            float[] other = got.grads().get(name);
            double diff = 0;
            for (int i = 0; i < g.length; i++) {
                diff += (g[i] - other[i]) * (double) (g[i] - other[i]);
            }
            double err = Math.sqrt(diff) / Math.max(norm(g), floor);
            assertTrue(err <= gradTol, what + ": gradient of " + name + " off by " + err);
        });
    }

    @Test
    void float32MatchesTheReferenceEncoderInOutputsAndGradients() {
        for (EncoderConfig c : configs()) {
            Checkpoint ckpt = TinyModels.model(c, HeadConfig.none(), 7);
            for (boolean keep : new boolean[] {false, true}) {
                try (NDManager m = manager.newSubManager(); Encoder encoder = Encoder.load(ckpt, m)) {
                    Pass ref = pass(encoder, m, keep);
                    encoder.useStack(FusedStack.of(encoder, ComputePrecision.FP32));
                    Pass fused = pass(encoder, m, keep);
                    compare(ref, fused, 1e-5, 1e-4, c.family() + " " + c.layerHeads() + " keep=" + keep);
                }
            }
        }
    }

    @Test
    void bf16StaysCloseToFloat32NativeAndEmulated() {
        for (boolean nativeBf16 : new boolean[] {true, false}) {
            for (EncoderConfig c : configs()) {
                Checkpoint ckpt = TinyModels.model(c, HeadConfig.none(), 7);
                try (NDManager m = manager.newSubManager(); Encoder encoder = Encoder.load(ckpt, m)) {
                    Pass ref = pass(encoder, m, true);
                    encoder.useStack(FusedStack.of(encoder, ComputePrecision.BF16, nativeBf16));
                    Pass bf16 = pass(encoder, m, true);
                    // bf16 keeps 8 bits of mantissa: about 0.4% per rounding, a few percent after a backward pass
                    compare(ref, bf16, 0.02, 0.06, c.family() + " " + c.layerHeads() + " bf16 native=" + nativeBf16);
                    assertNotEquals(0.0, relL2(ref.last(), bf16.last()), "bf16 must round something");
                }
            }
        }
    }

    @Test
    void dropoutAppliesOnlyInTrainingAndRepeatsForTheSameSeed() {
        Checkpoint ckpt = TinyModels.model(TinyModels.bert(), HeadConfig.none(), 7);
        try (NDManager m = manager.newSubManager(); Encoder encoder = Encoder.load(ckpt, m)) {
            encoder.useStack(FusedStack.of(encoder, ComputePrecision.FP32));
            NDArray ids = m.randomInteger(5, 40, new Shape(2, 9), DataType.INT64);
            float[] eval1 = encoder.forward(ids, null, null, false, false).lastHidden().toFloatArray();
            float[] eval2 = encoder.forward(ids, null, null, false, false).lastHidden().toFloatArray();
            assertEquals(0.0, relL2(eval1, eval2));
            Encoder.seed(11);
            float[] train1 = encoder.forward(ids, null, null, true, false).lastHidden().toFloatArray();
            Encoder.seed(11);
            float[] train2 = encoder.forward(ids, null, null, true, false).lastHidden().toFloatArray();
            assertEquals(0.0, relL2(train1, train2), "same seed, same dropout masks");
            assertTrue(relL2(eval1, train1) > 1e-3, "dropout changes the training output");
        }
    }
}
