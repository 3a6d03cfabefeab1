package io.shrink.core.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * AdamW against torch.optim.AdamW's update written out by hand; clipping against a hand-computed norm; a
 * parameter with an all-zero gradient is left alone.
 */
class AdamWTest {
    @Test
    void twoStepsMatchHandComputedAdamW() {
        double lr = 0.1;
        double wd = 0.01;
        double[] c = {0.5, -1.5};
        try (NDManager m = NDManager.newBaseManager("PyTorch"); AdamW adam = new AdamW(m, wd)) {
            NDArray w = m.create(new float[] {1f, -2f});
            NDArray b = m.create(new float[] {0.3f});
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("layer.weight", w);
            params.put("layer.bias", b);
            w.setRequiresGradient(true);
            b.setRequiresGradient(true);
            double[] pw = {1, -2};
            double[] pb = {0.3};
            double[] mw = new double[2];
            double[] vw = new double[2];
            double[] mb = new double[1];
            double[] vb = new double[1];
            for (int t = 1; t <= 2; t++) {
                try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector();
                     NDManager step = m.newSubManager()) {
                    // loss = sum(c * w^2) + 2 b  ->  dw = 2 c w, db = 2
                    NDArray loss = w.square().mul(step.create(new float[] {(float) c[0], (float) c[1]})).sum()
                            .add(b.mul(step.create(new float[] {2f})).sum());
                    gc.backward(loss);
                }
                double[] gw = {2 * c[0] * pw[0], 2 * c[1] * pw[1]};
                adam.step(params, lr);
                for (int i = 0; i < 2; i++) {
                    pw[i] -= lr * wd * pw[i]; // decoupled decay on the weight
                    pw[i] = adamUpdate(pw[i], gw[i], mw, vw, i, t, lr);
                }
                pb[0] = adamUpdate(pb[0], 2.0, mb, vb, 0, t, lr); // no decay on the bias
                assertArrayEquals(new float[] {(float) pw[0], (float) pw[1]}, w.toFloatArray(), 1e-6f, "weight at step " + t);
                assertEquals(pb[0], b.toFloatArray()[0], 1e-6, "bias at step " + t);
            }
        }
    }

    private static double adamUpdate(double p, double g, double[] m, double[] v, int i, int t, double lr) {
        m[i] = 0.9 * m[i] + 0.1 * g;
        v[i] = 0.999 * v[i] + 0.001 * g * g;
        double mHat = m[i] / (1 - Math.pow(0.9, t));
        double vHat = v[i] / (1 - Math.pow(0.999, t));
        return p - lr * mHat / (Math.sqrt(vHat) + 1e-8);
    }

    @Test
    void clipsTheGlobalNorm() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray a = m.create(new float[] {1f, 1f});
            NDArray b = m.create(new float[] {1f});
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                // grads: a -> (3, 4), b -> (12); global norm sqrt(9 + 16 + 144) = 13
                gc.backward(a.mul(m.create(new float[] {3f, 4f})).sum().add(b.mul(m.create(new float[] {12f})).sum()));
            }
            Map<String, NDArray> params = Map.of("a", a, "b", b);
            try (AdamW adam = new AdamW(m, 0)) {
                assertEquals(13.0, adam.clip(params, 6.5), 1e-5);
            }
            assertArrayEquals(new float[] {1.5f, 2f}, a.getGradient().toFloatArray(), 1e-5f);
            assertArrayEquals(new float[] {6f}, b.getGradient().toFloatArray(), 1e-5f);
        }
    }

    @Test
    void leavesParametersWithoutGradientSignalAloneAndZeroesGradients() {
        try (NDManager m = NDManager.newBaseManager("PyTorch"); AdamW adam = new AdamW(m, 0.1)) {
            NDArray used = m.create(new float[] {1f, 2f});
            NDArray unused = m.create(new float[] {3f, 4f});
            used.setRequiresGradient(true);
            unused.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                gc.backward(used.mul(m.create(new float[] {1f, -1f})).sum());
            }
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("used.weight", used);
            params.put("unused.weight", unused);
            // clipped from sqrt(2) to 1, then the first Adam step moves each weight by lr * sign(g), after decay
            assertEquals(Math.sqrt(2), adam.step(params, 0.5, 1.0), 1e-6);
            assertArrayEquals(new float[] {1f * 0.95f - 0.5f, 2f * 0.95f + 0.5f}, used.toFloatArray(), 1e-5f);
            assertArrayEquals(new float[] {3f, 4f}, unused.toFloatArray(), "no gradient signal: no decay, no update");
            assertArrayEquals(new float[] {0f, 0f}, used.getGradient().toFloatArray(), "gradients are zeroed");
        }
    }
}
