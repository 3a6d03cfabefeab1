package io.shrink.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.shrink.core.PyTorchManagerTest;
import io.shrink.core.TinyModels;
import io.shrink.core.model.Checkpoint;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EncoderTest extends PyTorchManagerTest {
    @Test
    void paddingDoesNotChangeRealTokens() {
        try (NDManager m = manager.newSubManager();
             Encoder enc = Encoder.load(TinyModels.model(TinyModels.bert(), HeadConfig.none(), 1), m)) {
            NDArray alone = enc.forward(ids(m, 2, 40, 41, 42, 3), null, null, false, false).lastHidden(); // (1, 5, 32)
            NDArray padded = enc.forward(ids(m, 2, 40, 41, 42, 3, 0, 0, 0), null,
                    ids(m, 1, 1, 1, 1, 1, 0, 0, 0), false, false).lastHidden(); // (1, 8, 32)
            float[] a = alone.toFloatArray();
            float[] p = padded.toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], p[i], 1e-5, "position " + i / 32);
            }
        }
    }

    @Test
    void dropoutOnlyInTraining() {
        try (NDManager m = manager.newSubManager();
             Encoder enc = Encoder.load(TinyModels.model(TinyModels.bert(), HeadConfig.none(), 2), m)) {
            NDArray x = ids(m, 2, 10, 11, 12, 13, 3);
            float[] e1 = enc.forward(x, null, null, false, false).lastHidden().toFloatArray();
            float[] e2 = enc.forward(x, null, null, false, false).lastHidden().toFloatArray();
            assertArrayEquals(e1, e2, "inference is deterministic");
            Encoder.seed(17);
            float[] t1 = enc.forward(x, null, null, true, false).lastHidden().toFloatArray();
            assertFalse(java.util.Arrays.equals(e1, t1), "training applies dropout");
            float[] t2 = enc.forward(x, null, null, true, false).lastHidden().toFloatArray();
            assertFalse(java.util.Arrays.equals(t1, t2), "a new dropout mask each pass");
            Encoder.seed(17);
            assertArrayEquals(t1, enc.forward(x, null, null, true, false).lastHidden().toFloatArray(),
                    "the same seed repeats the same dropout");
        }
    }

    @Test
    void runsEveryFamilyAndHeadWithExpectedShapes() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = ids(m, 2, 10, 11, 12, 4, 3);
            for (EncoderConfig c : List.of(TinyModels.bert(), TinyModels.distilbert(), TinyModels.albert())) {
                try (Encoder mlm = Encoder.load(TinyModels.model(c, HeadConfig.mlm(), 3), m)) {
                    Encoder.Output out = mlm.forward(x, null, null, false, true);
                    assertEquals(new Shape(1, 6, 32), out.lastHidden().getShape());
                    assertEquals(c.numLayers() + 1, out.hiddenStates().size());
                    assertEquals(new Shape(1, 6, c.vocabSize()), mlm.mlmLogits(out.lastHidden()).getShape());
                }
                String pooling = c.family().equals("distilbert") ? "pre_classifier" : "pooler";
                try (Encoder cls = Encoder.load(TinyModels.model(c, TinyModels.classifier(pooling), 3), m)) {
                    assertEquals(new Shape(1, 2), cls.classify(cls.forward(x, null, null, false, false).lastHidden(), false).getShape());
                }
                try (Encoder qa = Encoder.load(TinyModels.model(c, new HeadConfig("qa", null, List.of()), 3), m)) {
                    var logits = qa.qaLogits(qa.forward(x, null, null, false, false).lastHidden());
                    assertEquals(new Shape(1, 6), logits.get(0).getShape());
                    assertEquals(new Shape(1, 6), logits.get(1).getShape());
                }
            }
        }
    }

    @Test
    void sharedLayersApplyTheSameWeightsEveryLayer() {
        Checkpoint shared = TinyModels.model(TinyModels.albert(), HeadConfig.none(), 4);
        assertEquals(1, shared.config().storedLayers());
        assertTrue(shared.tensors().keySet().stream().noneMatch(n -> n.startsWith("encoder.layer.1.")));
        try (NDManager m = manager.newSubManager(); Encoder enc = Encoder.load(shared, m)) {
            Encoder.Output out = enc.forward(ids(m, 2, 10, 3), null, null, false, true);
            assertEquals(4, out.hiddenStates().size(), "embeddings + 3 applications of one layer");
        }
    }

    @Test
    void heterogeneousPrunedLayersRun() {
        EncoderConfig pruned = TinyModels.bert().withLayers(List.of(3, 0), List.of(16, 0));
        Checkpoint ckpt = TinyModels.model(pruned, HeadConfig.mlm(), 5);
        assertArrayEquals(new long[] {24, 32}, ckpt.tensors().get("encoder.layer.0.attention.self.query.weight").shape());
        assertArrayEquals(new long[] {0, 32}, ckpt.tensors().get("encoder.layer.1.attention.self.query.weight").shape());
        try (NDManager m = manager.newSubManager(); Encoder enc = Encoder.load(ckpt, m)) {
            NDArray h = enc.forward(ids(m, 2, 10, 11, 3), null, null, false, false).lastHidden();
            assertEquals(new Shape(1, 4, 32), h.getShape());
            for (float v : h.toFloatArray()) {
                assertTrue(Float.isFinite(v));
            }
        }
    }

    @Test
    void rejectsSequencesLongerThanMaxPositions() {
        try (NDManager m = manager.newSubManager();
             Encoder enc = Encoder.load(TinyModels.model(TinyModels.bert(), HeadConfig.none(), 6), m)) {
            long[] tooLong = new long[65];
            assertThrows(IllegalArgumentException.class,
                    () -> enc.forward(m.create(tooLong, new Shape(1, 65)), null, null, false, false));
        }
    }

    static NDArray ids(NDManager m, long... ids) {
        return m.create(ids, new Shape(1, ids.length));
    }
}
