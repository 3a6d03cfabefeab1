package io.shrink.core.distill;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Each distillation loss against values computed by hand (Python, double precision) on small tensors. */
class DistillLossesTest {
    static NDManager m;

    @BeforeAll
    static void start() {
        m = NDManager.newBaseManager("PyTorch");
    }

    @AfterAll
    static void stop() {
        m.close();
    }

    static NDArray a(float[] v, long... shape) {
        return m.create(v, new Shape(shape));
    }

    @Test
    void softCrossEntropyIsScaledByTemperatureSquared() {
        NDArray s = a(new float[] {1, 2, 0, 0, 0, 3}, 2, 3);
        NDArray t = a(new float[] {0.5f, 1.5f, -1, 2, 0, 1}, 2, 3);
        // -mean_rows sum_c softmax(t/2)_c log softmax(s/2)_c * 4, computed by hand: 4.800008598687817
        assertEquals(4.800008598687817, DistillLosses.softCrossEntropy(s, DistillLosses.temperedProbabilities(t, 2), 2).getFloat(), 1e-5);
        // at T = 1 no scaling: 1.5676415769084582
        assertEquals(1.5676415769084582, DistillLosses.softCrossEntropy(s, DistillLosses.temperedProbabilities(t, 1), 1).getFloat(), 1e-5);
    }

    @Test
    void softCrossEntropyGradientIsTemperatureTimesProbabilityGap() {
        NDArray s = a(new float[] {1, 2, 0, 0, 0, 3}, 2, 3);
        NDArray p = DistillLosses.temperedProbabilities(a(new float[] {0.5f, 1.5f, -1, 2, 0, 1}, 2, 3), 2);
        s.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            gc.backward(DistillLosses.softCrossEntropy(s, p, 2));
        }
        // d/ds [T^2 * CE(p, softmax(s/T))] / n = T * (softmax(s/T) - p) / n
        float[] q = s.div(m.full(new Shape(), 2f)).softmax(-1).toFloatArray();
        float[] pv = p.toFloatArray();
        float[] expected = new float[6];
        for (int i = 0; i < 6; i++) {
            expected[i] = 2f * (q[i] - pv[i]) / 2f;
        }
        assertArrayEquals(expected, s.getGradient().toFloatArray(), 1e-5f);
    }

    @Test
    void decodedSoftCrossEntropyMatchesTheWholeLossInValueAndGradients() {
        java.util.Random r = new java.util.Random(7);
        int n = 7;
        int width = 4;
        int classes = 11;
        NDArray ss = random(r, n, width);
        NDArray ws = random(r, classes, width);
        NDArray bs = random(r, classes);
        NDArray st = random(r, n, width);
        NDArray wt = random(r, classes, width);
        NDArray bt = random(r, classes);
        float[][] whole = new float[4][];
        float[][] chunked = new float[4][];
        for (int chunk : new int[] {0, 3, 1, 7, 100}) {
            NDArray s = ss.duplicate();
            NDArray w = ws.duplicate();
            NDArray b = bs.duplicate();
            for (NDArray x : new NDArray[] {s, w, b}) {
                x.setRequiresGradient(true);
            }
            NDArray loss;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                if (chunk == 0) {
                    NDArray logits = s.getNDArrayInternal().linear(s, w, b).singletonOrThrow(); // (n, classes)
                    NDArray p = DistillLosses.temperedProbabilities(st.getNDArrayInternal().linear(st, wt, bt).singletonOrThrow(), 2);
                    loss = DistillLosses.softCrossEntropy(logits, p, 2);
                } else {
                    loss = DistillLosses.decodedSoftCrossEntropy(s, new DistillLosses.Decoder(w, b), st,
                            new DistillLosses.Decoder(wt, bt), 2, chunk);
                }
                gc.backward(loss);
            }
            float[][] out = chunk == 0 ? whole : chunked;
            out[0] = new float[] {loss.getFloat()};
            out[1] = s.getGradient().toFloatArray();
            out[2] = w.getGradient().toFloatArray();
            out[3] = b.getGradient().toFloatArray();
            if (chunk != 0) {
                for (int i = 0; i < 4; i++) {
                    assertArrayEquals(whole[i], chunked[i], 1e-5f, "chunk " + chunk + ", output " + i);
                }
            }
        }
        assertEquals(true, Math.abs(whole[1][0]) > 1e-4, "a gradient that can be compared");
    }

    private static NDArray random(java.util.Random r, long... shape) {
        float[] v = new float[(int) new Shape(shape).size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return a(v, shape);
    }

    @Test
    void cosineAndMse() {
        NDArray s = a(new float[] {1, 0, 1, 1}, 2, 2);
        NDArray t = a(new float[] {0, 1, 2, 2}, 2, 2);
        // orthogonal rows: 1 - 0; parallel rows: 1 - 1; mean 0.5
        assertEquals(0.5, DistillLosses.cosine(s, t).getFloat(), 1e-6);
        // ((1)^2 + (1)^2 + (1)^2 + (1)^2) / 4
        assertEquals(1.0, DistillLosses.meanSquaredError(s, t).getFloat(), 1e-6);
    }

    @Test
    void attentionKlIgnoresPaddedQueriesAndKeys() {
        // batch 1, 1 head, seq 3 with the last token padding (its key has probability 0, its query row is ignored)
        NDArray t = a(new float[] {0.75f, 0.25f, 0, 0.5f, 0.5f, 0, 0.2f, 0.3f, 0.5f}, 1, 1, 3, 3);
        NDArray s = a(new float[] {0.5f, 0.5f, 0, 0.25f, 0.75f, 0, 0.9f, 0.05f, 0.05f}, 1, 1, 3, 3);
        NDArray mask = m.create(new long[] {1, 1, 0}, new Shape(1, 3));
        // (KL([.75,.25] || [.5,.5]) + KL([.5,.5] || [.25,.75])) / 2 = 0.1373265360835137
        assertEquals(0.1373265360835137, DistillLosses.attentionKl(s, t, mask).getFloat(), 1e-6);
        assertEquals(0.0, DistillLosses.attentionKl(t, t, mask).getFloat(), 1e-7);
        // different head counts: both averaged over heads first
        NDArray t2 = t.concat(t, 1); // (1, 2, 3, 3)
        assertEquals(0.1373265360835137, DistillLosses.attentionKl(s, t2, mask).getFloat(), 1e-6);
    }

    @Test
    void spanLossExcludesPadding() {
        NDArray mask = m.create(new long[] {1, 1, 1, 0}, new Shape(1, 4));
        NDArray ts = a(new float[] {0, 2, 1, 5}, 1, 4);
        NDArray te = a(new float[] {1, 0, 3, -2}, 1, 4);
        NDArray s1 = a(new float[] {0.1f, 1, 0.5f, 0}, 1, 4);
        NDArray s2 = a(new float[] {0.1f, 1, 0.5f, 9}, 1, 4);
        NDArray ps = DistillLosses.maskedTemperedProbabilities(ts, mask, 2);
        NDArray pe = DistillLosses.maskedTemperedProbabilities(te, mask, 2);
        assertEquals(0f, ps.toFloatArray()[3], 1e-12f, "padding has probability 0 in the teacher's distribution");
        float l1 = DistillLosses.spanSoftCrossEntropy(s1, s1, ps, pe, mask, 2).getFloat();
        float l2 = DistillLosses.spanSoftCrossEntropy(s2, s2, ps, pe, mask, 2).getFloat();
        assertEquals(l1, l2, 1e-6, "the padded position's logits do not matter");
        // equals the mean of the start and end soft CE over the three real positions
        NDArray real = a(new float[] {0.1f, 1, 0.5f}, 1, 3);
        float start = DistillLosses.softCrossEntropy(real, DistillLosses.temperedProbabilities(a(new float[] {0, 2, 1}, 1, 3), 2), 2).getFloat();
        float end = DistillLosses.softCrossEntropy(real, DistillLosses.temperedProbabilities(a(new float[] {1, 0, 3}, 1, 3), 2), 2).getFloat();
        assertEquals((start + end) / 2, l1, 1e-5);
    }

    @Test
    void rowsPicksRealPositionsAndPassesGradients() {
        // (batch 2, seq 3, width 2); lengths 2 and 3
        NDArray x = a(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 2, 3, 2);
        long[] pos = DistillLosses.realPositions(new int[] {2, 3}, 3);
        assertArrayEquals(new long[] {0, 1, 3, 4, 5}, pos);
        x.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray r = DistillLosses.rows(x, pos);
            assertArrayEquals(new float[] {0, 1, 2, 3, 6, 7, 8, 9, 10, 11}, r.toFloatArray());
            gc.backward(r.sum());
        }
        assertArrayEquals(new float[] {1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1}, x.getGradient().toFloatArray());
    }
}
