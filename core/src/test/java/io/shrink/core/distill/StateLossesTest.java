package io.shrink.core.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.shrink.core.TinyModels;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.HeadConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cosine term on the last or on every mapped pair of hidden states, by hand on 2-wide states. */
class StateLossesTest {
    static NDManager m;
    static Encoder student;

    @BeforeAll
    static void start() {
        m = NDManager.newBaseManager("PyTorch");
        student = Encoder.load(TinyModels.model(TinyModels.bert(), HeadConfig.mlm(), 1), m); // no projection
    }

    @AfterAll
    static void stop() {
        student.close();
        m.close();
    }

    static NDArray h(float... v) {
        return m.create(v, new Shape(1, 2, 2)); // (batch 1, seq 2, width 2)
    }

    /** Student states 0 and 1; teacher states 0, 1 and 2; the student's layer 1 came from the teacher's layer 2. */
    static float cosine(String layers, long[] realPos, float weight) {
        NDArray s0 = h(1, 0, 0, 1);
        NDArray s1 = h(1, 0, 1, 1);
        NDArray t0 = h(1, 0, 0, 1);
        NDArray t1 = h(5, 5, 5, 5);
        NDArray t2 = h(0, 1, 1, 1);
        Encoder.Output so = new Encoder.Output(s1, List.of(s0, s1), null);
        Encoder.Output to = new Encoder.Output(t2, List.of(t0, t1, t2), null);
        LossWeights w = new LossWeights(0, 0, weight, 0, 0, 0, 2.0, false, layers);
        StateLosses losses = new StateLosses(w, List.of(new int[] {0, 0}, new int[] {1, 2}));
        NDArray zero = m.zeros(new Shape());
        return losses.add(zero, student, so, to, realPos, m.ones(new Shape(1, 2))).getFloat();
    }

    @Test
    void lastComparesTheLastStatesOnly() {
        // rows: 1 - cos([1,0],[0,1]) = 1 and 1 - cos([1,1],[1,1]) = 0, mean 0.5; times weight 2
        assertEquals(1.0f, cosine(LossWeights.LAST, new long[] {0, 1}, 2f), 1e-6);
        assertEquals(2.0f, cosine(LossWeights.LAST, new long[] {0}, 2f), 1e-6, "padding (position 1) left out");
    }

    @Test
    void mappedAveragesEveryPairIncludingTheEmbeddings() {
        // pair (0, 0): identical rows, 0; pair (1, 2): 0.5 as above; mean 0.25, times weight 2
        assertEquals(0.5f, cosine(LossWeights.MAPPED, new long[] {0, 1}, 2f), 1e-6);
        assertEquals(1.0f, cosine(LossWeights.MAPPED, new long[] {0}, 2f), 1e-6);
    }

    @Test
    void mappedCosineKeepsHiddenStatesAndIsValidated() {
        assertTrue(new StateLosses(new LossWeights(0, 0, 1, 0, 0, 0, 2, false, LossWeights.MAPPED), List.of()).keepHidden());
        assertFalse(new StateLosses(new LossWeights(0, 0, 1, 0, 0, 0, 2, false), List.of()).keepHidden());
        assertEquals(LossWeights.MAPPED, LossWeights.resolve(true, Map.of(), null, false, CosineLayers.MAPPED)
                .cosineLayers());
        assertTrue(assertThrowsUsage(() -> new LossWeights(5.0, 2.0, 1.0, 0, 0, 0, 2.0, false, "all")
                .validate(true)).contains("--cos-layers must be last or mapped"));
    }

    private static String assertThrowsUsage(Runnable r) {
        return org.junit.jupiter.api.Assertions.assertThrows(io.shrink.core.ShrinkException.class, r::run).getMessage();
    }
}
