package io.shrink.core.compress.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.shrink.core.ShrinkException;
import io.shrink.core.TinyModels;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.ModelInit;
import io.shrink.core.model.ModelShapes;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.shrink.core.model.CanonicalNames.EMB_LN;
import static io.shrink.core.model.CanonicalNames.EMB_PROJ;
import static io.shrink.core.model.CanonicalNames.MLM_BIAS;
import static io.shrink.core.model.CanonicalNames.MLM_DENSE;
import static io.shrink.core.model.CanonicalNames.POS_EMB;
import static io.shrink.core.model.CanonicalNames.TYPE_EMB;
import static io.shrink.core.model.CanonicalNames.WORD_EMB;
import static io.shrink.core.model.CanonicalNames.attnLn;
import static io.shrink.core.model.CanonicalNames.attnOut;
import static io.shrink.core.model.CanonicalNames.ffnIn;
import static io.shrink.core.model.CanonicalNames.ffnOut;
import static io.shrink.core.model.CanonicalNames.query;
import static io.shrink.core.model.CanonicalNames.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StudentInitTest {
    static EncoderConfig fourLayers() {
        EncoderConfig b = TinyModels.bert();
        return new EncoderConfig("bert", b.vocabSize(), 32, 4, 4, 8, 64, 64, 2, 32, false, List.of(), List.of(),
                "gelu", 1e-12, 0.1, 0.1, 0);
    }

    @Test
    void parsesSelections() {
        assertEquals(List.of(0, 2, 4, 7, 9, 11), LayerSelection.parse("0,2,4,7,9,11", 12));
        assertEquals(List.of(0, 2, 4, 6, 8, 10), LayerSelection.parse("every-other", 12));
        assertEquals(List.of(0, 1, 2), LayerSelection.parse("first:3", 12));
        for (String bad : List.of("0,12", "1,1", "x", "first:0", "-1", "first:13")) {
            assertEquals(ShrinkException.Kind.USAGE,
                    assertThrows(ShrinkException.class, () -> LayerSelection.parse(bad, 12)).kind(), bad);
        }
    }

    @Test
    void copiesChosenLayersRenumbered() {
        Checkpoint teacher = TinyModels.model(fourLayers(), HeadConfig.mlm(), 1);
        Checkpoint student = StudentInit.fromTeacher(teacher, List.of(0, 3), false);
        assertEquals(2, student.config().numLayers());
        assertEquals("bert", student.config().family());
        assertArrayEquals(teacher.tensors().get("encoder.layer.3.output.dense.weight").data(),
                student.tensors().get("encoder.layer.1.output.dense.weight").data());
        assertArrayEquals(teacher.tensors().get("cls.predictions.bias").data(),
                student.tensors().get("cls.predictions.bias").data());
        assertFalse(student.tensors().containsKey("encoder.layer.2.output.dense.weight"));
    }

    @Test
    void droppingTokenTypesKeepsSingleSegmentOutputsExact() {
        Checkpoint teacher = TinyModels.model(fourLayers(), HeadConfig.none(), 2);
        Checkpoint student = StudentInit.fromTeacher(teacher, List.of(0, 1, 2, 3), true);
        assertEquals("distilbert", student.config().family());
        assertEquals(0, student.config().typeVocabSize());
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             Encoder t = Encoder.load(teacher, m);
             Encoder s = Encoder.load(student, m)) {
            NDArray ids = m.create(new long[] {2, 40, 41, 42, 3}, new Shape(1, 5));
            float[] a = t.forward(ids, null, null, false, false).lastHidden().toFloatArray();
            float[] b = s.forward(ids, null, null, false, false).lastHidden().toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-5);
            }
        }
    }

    @Test
    void refusesSharedTeachers() {
        Checkpoint albert = TinyModels.model(TinyModels.albert(), HeadConfig.mlm(), 3);
        assertThrows(ShrinkException.class, () -> StudentInit.fromTeacher(albert, List.of(0), false));
    }

    // ---- narrower students (TinyBERT style) ----

    /**
     * A random checkpoint of {@code config} whose every value is then replaced by a code unique across the model
     * (tensor number * 10000 + flat index, exact in float32), so a value taken from the wrong place cannot match.
     */
    static Checkpoint coded(EncoderConfig config, HeadConfig head) {
        Checkpoint random = ModelInit.random(config, head, TinyModels.vocab(), 5);
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        int n = 1;
        for (FloatTensor t : random.tensors().values()) {
            float[] d = new float[t.data().length];
            for (int i = 0; i < d.length; i++) {
                d[i] = n * 10000f + i;
            }
            out.put(t.name(), new FloatTensor(t.name(), t.shape(), d));
            n++;
        }
        return new Checkpoint(config, head, out, random.tokenizer());
    }

    /** Element [r][c] of a 2-D tensor. */
    static float at(FloatTensor t, int r, int c) {
        assertEquals(2, t.shape().length, t.name());
        assertTrue(r < t.shape()[0] && c < t.shape()[1], t.name() + " [" + r + "][" + c + "] outside " + t.shapeString());
        return t.data()[r * (int) t.shape()[1] + c];
    }

    static void assertShapesAsConfigured(Checkpoint c) {
        Map<String, long[]> expected = ModelShapes.expected(c.config(), c.head());
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(c.tensors().keySet()), "parameter names");
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            assertArrayEquals(e.getValue(), c.tensors().get(e.getKey()).shape(), e.getKey());
        }
        // and the checkpoint passes the same validation a loaded file gets
        ModelShapes.validate(c.config(), c.head(), c.tensors(), "narrowed student");
    }

    @Test
    void narrowerStudentHasTheRequestedShape() {
        Checkpoint teacher = TinyModels.model(fourLayers(), HeadConfig.mlm(), 1);
        Checkpoint student = StudentInit.fromTeacher(teacher, List.of(0, 3), false);
        for (StudentInit.Init init : StudentInit.Init.values()) {
            // 2 heads of size 8 (attention width 16) under hidden 24: heads * headSize need not equal hidden
            Checkpoint narrow = StudentInit.narrow(student, 24, 2, 48, init, 7);
            EncoderConfig c = narrow.config();
            assertEquals("bert", c.family());
            assertEquals(24, c.hiddenSize());
            assertEquals(2, c.numHeads());
            assertEquals(8, c.headSize());
            assertEquals(48, c.intermediateSize());
            assertEquals(24, c.embeddingSize());
            assertEquals(2, c.numLayers());
            assertEquals(teacher.config().vocabSize(), c.vocabSize());
            assertEquals(64, c.maxPositions());
            assertEquals(2, c.typeVocabSize());
            assertFalse(c.shareLayers());
            assertEquals(List.of(), c.layerHeads());
            assertEquals(List.of(), c.layerFfn());
            assertEquals(HeadConfig.mlm(), narrow.head());
            assertEquals(teacher.tokenizer(), narrow.tokenizer());
            assertShapesAsConfigured(narrow);
            // a few shapes written out
            int vocab = c.vocabSize();
            assertArrayEquals(new long[] {16, 24}, narrow.tensors().get(query(1) + ".weight").shape());
            assertArrayEquals(new long[] {16}, narrow.tensors().get(query(1) + ".bias").shape());
            assertArrayEquals(new long[] {24, 16}, narrow.tensors().get(attnOut(0) + ".weight").shape());
            assertArrayEquals(new long[] {48, 24}, narrow.tensors().get(ffnIn(0) + ".weight").shape());
            assertArrayEquals(new long[] {24, 48}, narrow.tensors().get(ffnOut(1) + ".weight").shape());
            assertArrayEquals(new long[] {vocab, 24}, narrow.tensors().get(WORD_EMB).shape());
            assertArrayEquals(new long[] {24, 24}, narrow.tensors().get(MLM_DENSE + ".weight").shape());
            assertArrayEquals(new long[] {vocab}, narrow.tensors().get(MLM_BIAS).shape());
            assertFalse(narrow.tensors().containsKey("encoder.layer.2.output.dense.weight"));
        }
    }

    @Test
    void narrowerStudentOfEveryHeadMatchesItsConfig() {
        for (HeadConfig head : List.of(HeadConfig.none(), HeadConfig.mlm(), TinyModels.classifier("pooler"),
                TinyModels.classifier("pre_classifier"), new HeadConfig("regression", "pooler", List.of()),
                new HeadConfig("qa", null, List.of()))) {
            // a BERT-pooler head needs token types (a DistilBERT-style student has no pooler)
            boolean dropTypes = !"pooler".equals(head.pooling());
            Checkpoint student = StudentInit.fromTeacher(TinyModels.model(fourLayers(), head, 3), List.of(1, 2), dropTypes);
            Checkpoint narrow = StudentInit.narrow(student, 16, 2, 32, StudentInit.Init.TRUNCATE, 0);
            assertEquals(16, narrow.config().hiddenSize(), head.type());
            assertEquals(dropTypes ? 0 : student.config().typeVocabSize(), narrow.config().typeVocabSize(),
                    "the token-type choice survives narrowing");
            assertEquals(head, narrow.head());
            assertShapesAsConfigured(narrow);
        }
    }

    @Test
    void narrowingKeepsFactorisedEmbeddingsUpToTheNewWidth() {
        // a non-shared encoder with 16-wide embeddings projected to hidden 32
        EncoderConfig factorised = new EncoderConfig("bert", TinyModels.vocab().vocab().size(), 32, 2, 4, 8, 64, 64, 2, 16,
                false, List.of(), List.of(), "gelu", 1e-12, 0.1, 0.1, 0);
        Checkpoint student = coded(factorised, HeadConfig.mlm());
        Checkpoint wide = StudentInit.narrow(student, 24, 3, 48, StudentInit.Init.TRUNCATE, 0);
        assertEquals(16, wide.config().embeddingSize(), "embeddings narrower than the new hidden size stay");
        assertArrayEquals(new long[] {24, 16}, wide.tensors().get(EMB_PROJ + ".weight").shape());
        assertEquals(at(student.tensors().get(EMB_PROJ + ".weight"), 23, 15), at(wide.tensors().get(EMB_PROJ + ".weight"), 23, 15));
        assertShapesAsConfigured(wide);

        Checkpoint thin = StudentInit.narrow(student, 8, 1, 16, StudentInit.Init.TRUNCATE, 0);
        assertEquals(8, thin.config().embeddingSize(), "embeddings are cut to the hidden size");
        assertFalse(thin.tensors().containsKey(EMB_PROJ + ".weight"));
        assertArrayEquals(new long[] {student.config().vocabSize(), 8}, thin.tensors().get(WORD_EMB).shape());
        assertEquals(at(student.tensors().get(WORD_EMB), 7, 7), at(thin.tensors().get(WORD_EMB), 7, 7));
        assertShapesAsConfigured(thin);
    }

    @Test
    void truncateTakesLeadingSlices() {
        Checkpoint teacher = coded(fourLayers(), HeadConfig.mlm());
        Checkpoint student = StudentInit.fromTeacher(teacher, List.of(0, 3), false);
        Checkpoint narrow = StudentInit.narrow(student, 24, 2, 48, StudentInit.Init.TRUNCATE, 99);
        Map<String, FloatTensor> t = teacher.tensors();
        Map<String, FloatTensor> s = narrow.tensors();

        // query weight (16, 24) from the teacher's (32, 32): [r][c] is teacher flat index r * 32 + c
        FloatTensor q = s.get(query(0) + ".weight");
        float[] tq = t.get(query(0) + ".weight").data();
        for (int r = 0; r < 16; r++) {
            for (int c = 0; c < 24; c++) {
                assertEquals(tq[r * 32 + c], at(q, r, c), "query [" + r + "][" + c + "]");
            }
        }
        assertEquals(tq[0], q.data()[0]);
        assertEquals(tq[1 * 32 + 0], q.data()[24], "row 1 starts after 24 kept columns");
        assertEquals(tq[15 * 32 + 23], q.data()[16 * 24 - 1], "last kept element");

        // student layer 1 is teacher layer 3
        assertEquals(t.get(value(3) + ".weight").data()[5 * 32 + 17], at(s.get(value(1) + ".weight"), 5, 17));
        assertEquals(t.get(attnOut(3) + ".weight").data()[23 * 32 + 15], at(s.get(attnOut(1) + ".weight"), 23, 15));
        assertEquals(t.get(ffnIn(3) + ".weight").data()[47 * 32 + 23], at(s.get(ffnIn(1) + ".weight"), 47, 23));
        assertEquals(t.get(ffnOut(3) + ".weight").data()[10 * 64 + 47], at(s.get(ffnOut(1) + ".weight"), 10, 47));
        assertEquals(t.get(ffnOut(0) + ".weight").data()[2 * 64 + 3], at(s.get(ffnOut(0) + ".weight"), 2, 3));
        // 1-D: the first entries
        assertArrayEquals(Arrays.copyOf(t.get(query(3) + ".bias").data(), 16), s.get(query(1) + ".bias").data());
        assertArrayEquals(Arrays.copyOf(t.get(ffnIn(0) + ".bias").data(), 48), s.get(ffnIn(0) + ".bias").data());
        assertArrayEquals(Arrays.copyOf(t.get(attnLn(3) + ".weight").data(), 24), s.get(attnLn(1) + ".weight").data());
        assertArrayEquals(Arrays.copyOf(t.get(EMB_LN + ".bias").data(), 24), s.get(EMB_LN + ".bias").data());
        // embeddings keep every row, the first 24 columns
        int vocab = teacher.config().vocabSize();
        assertEquals(t.get(WORD_EMB).data()[(vocab - 1) * 32 + 23], at(s.get(WORD_EMB), vocab - 1, 23));
        assertEquals(t.get(POS_EMB).data()[63 * 32], at(s.get(POS_EMB), 63, 0));
        assertEquals(t.get(TYPE_EMB).data()[32 + 9], at(s.get(TYPE_EMB), 1, 9));
        // the MLM head: dense (24, 24), output bias over the whole vocabulary unchanged
        assertEquals(t.get(MLM_DENSE + ".weight").data()[23 * 32 + 22], at(s.get(MLM_DENSE + ".weight"), 23, 22));
        assertArrayEquals(t.get(MLM_BIAS).data(), s.get(MLM_BIAS).data());
    }

    @Test
    void randomInitDiffersFromTheTeacherAndIsSeeded() {
        Checkpoint teacher = TinyModels.model(fourLayers(), HeadConfig.mlm(), 1);
        Checkpoint student = StudentInit.fromTeacher(teacher, List.of(0, 3), false);
        Checkpoint truncated = StudentInit.narrow(student, 16, 2, 32, StudentInit.Init.TRUNCATE, 42);
        Checkpoint a = StudentInit.narrow(student, 16, 2, 32, StudentInit.Init.RANDOM, 42);
        Checkpoint b = StudentInit.narrow(student, 16, 2, 32, StudentInit.Init.RANDOM, 42);
        Checkpoint other = StudentInit.narrow(student, 16, 2, 32, StudentInit.Init.RANDOM, 43);
        assertEquals(truncated.config(), a.config());
        assertShapesAsConfigured(a);
        assertEquals(a.tensors(), b.tensors(), "same seed, same weights");
        for (String name : List.of(query(0) + ".weight", ffnIn(1) + ".weight", WORD_EMB, MLM_DENSE + ".weight")) {
            float[] r = a.tensors().get(name).data();
            assertFalse(Arrays.equals(truncated.tensors().get(name).data(), r), name + " is not the teacher's slice");
            assertFalse(Arrays.equals(other.tensors().get(name).data(), r), name + " depends on the seed");
            // BERT's initialiser: normal with std 0.02 truncated at two standard deviations
            double sum2 = 0;
            for (float v : r) {
                assertTrue(Math.abs(v) <= 0.04f + 1e-7f, name + " value " + v);
                sum2 += v * v;
            }
            double std = Math.sqrt(sum2 / r.length);
            assertTrue(std > 0.012 && std < 0.025, name + " std " + std);
        }
        // as BERT initialises: LayerNorm gains 1, biases 0
        float[] gain = a.tensors().get(attnLn(0) + ".weight").data();
        for (float v : gain) {
            assertEquals(1f, v);
        }
        for (float v : a.tensors().get(MLM_BIAS).data()) {
            assertEquals(0f, v);
        }
        assertNotEquals(a.contentHash(), truncated.contentHash());
    }

    @Test
    void wideningIsAUsageError() {
        Checkpoint student = StudentInit.fromTeacher(TinyModels.model(fourLayers(), HeadConfig.mlm(), 1), List.of(0, 1), false);
        int[][] wider = {{40, 4, 64}, {32, 5, 64}, {32, 4, 128}, {64, 8, 256}};
        for (int[] w : wider) {
            for (StudentInit.Init init : StudentInit.Init.values()) {
                ShrinkException e = assertThrows(ShrinkException.class,
                        () -> StudentInit.narrow(student, w[0], w[1], w[2], init, 0), Arrays.toString(w));
                assertEquals(ShrinkException.Kind.USAGE, e.kind(), e.getMessage());
                assertTrue(e.getMessage().contains("cannot be wider"), e.getMessage());
            }
        }
        // the same width is allowed (a copy)
        Checkpoint same = StudentInit.narrow(student, 32, 4, 64, StudentInit.Init.TRUNCATE, 0);
        assertEquals(student.config(), same.config());
        for (Map.Entry<String, FloatTensor> e : same.tensors().entrySet()) {
            assertArrayEquals(student.tensors().get(e.getKey()).data(), e.getValue().data(), e.getKey());
        }
    }

    @Test
    void narrowingAPrunedStudentIsAUsageError() {
        EncoderConfig pruned = new EncoderConfig("bert", TinyModels.vocab().vocab().size(), 32, 2, 4, 8, 64, 64, 2, 32, false,
                List.of(4, 2), List.of(64, 32), "gelu", 1e-12, 0.1, 0.1, 0);
        Checkpoint student = TinyModels.model(pruned, HeadConfig.none(), 1);
        ShrinkException e = assertThrows(ShrinkException.class,
                () -> StudentInit.narrow(student, 16, 2, 32, StudentInit.Init.TRUNCATE, 0));
        assertEquals(ShrinkException.Kind.USAGE, e.kind());
    }

    @Test
    void narrowedStudentRuns() {
        Checkpoint student = StudentInit.fromTeacher(TinyModels.model(fourLayers(), HeadConfig.mlm(), 4), List.of(0, 2), false);
        Checkpoint narrow = StudentInit.narrow(student, 24, 2, 48, StudentInit.Init.TRUNCATE, 0);
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             Encoder s = Encoder.load(narrow, m)) {
            NDArray ids = m.create(new long[] {2, 40, 41, 42, 3}, new Shape(1, 5));
            NDArray hidden = s.forward(ids, null, null, false, false).lastHidden();
            assertEquals(new Shape(1, 5, 24), hidden.getShape());
            for (float v : hidden.toFloatArray()) {
                assertTrue(Float.isFinite(v));
            }
        }
    }

    @Test
    void leadingSliceByHand() {
        FloatTensor v = new FloatTensor("v", new long[] {5}, new float[] {1, 2, 3, 4, 5});
        FloatTensor v3 = StudentInit.leadingSlice(v, new long[] {3});
        assertEquals("v", v3.name());
        assertArrayEquals(new long[] {3}, v3.shape());
        assertArrayEquals(new float[] {1, 2, 3}, v3.data());

        // (3, 4) holding 0..11 row-major; the leading (2, 3) block is rows 0-1, columns 0-2
        float[] m = new float[12];
        for (int i = 0; i < 12; i++) {
            m[i] = i;
        }
        FloatTensor t = new FloatTensor("m", new long[] {3, 4}, m);
        FloatTensor block = StudentInit.leadingSlice(t, new long[] {2, 3});
        assertArrayEquals(new long[] {2, 3}, block.shape());
        assertArrayEquals(new float[] {0, 1, 2, 4, 5, 6}, block.data());
        assertArrayEquals(new float[] {0, 1, 2, 3}, StudentInit.leadingSlice(t, new long[] {1, 4}).data());
        assertArrayEquals(new float[] {0, 4, 8}, StudentInit.leadingSlice(t, new long[] {3, 1}).data());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, StudentInit.leadingSlice(t, new long[] {3, 4}).data());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, t.data(), "the source is not modified");

        assertThrows(IllegalArgumentException.class, () -> StudentInit.leadingSlice(t, new long[] {2}));
        assertThrows(IllegalArgumentException.class, () -> StudentInit.leadingSlice(v, new long[] {1, 1}));
    }

    @Test
    void distilBertStyleStudentDropsThePoolerAndRefusesAPoolerHead() {
        Checkpoint mlm = StudentInit.fromTeacher(TinyModels.model(fourLayers(), HeadConfig.mlm(), 3), List.of(0, 2), true);
        assertFalse(mlm.tensors().keySet().stream().anyMatch(k -> k.startsWith("pooler.")), "DistilBERT has no pooler");
        assertEquals("distilbert", mlm.config().family());
        io.shrink.core.ShrinkException e = org.junit.jupiter.api.Assertions.assertThrows(io.shrink.core.ShrinkException.class,
                () -> StudentInit.fromTeacher(TinyModels.model(fourLayers(), TinyModels.classifier("pooler"), 3), List.of(0, 2), true));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("pooler"), e.getMessage());
    }

    @Test
    void anExistingStudentMustShareTheTeachersHeadAndTokenizer() {
        Checkpoint teacher = TinyModels.model(TinyModels.bert(), TinyModels.classifier("pooler"), 1);
        Checkpoint same = TinyModels.model(TinyModels.distilbert(), TinyModels.classifier("pre_classifier"), 2);
        StudentInit.checkCompatible(teacher, same, "s");

        Checkpoint otherLabels = TinyModels.model(TinyModels.bert(),
                new HeadConfig("classification", "pooler", List.of("a", "b", "c")), 3);
        assertTrue(assertThrows(ShrinkException.class, () -> StudentInit.checkCompatible(teacher, otherLabels, "s"))
                .getMessage().contains("they must match"));

        List<String> vocab = new java.util.ArrayList<>(TinyModels.vocab().vocab());
        vocab.set(80, "zebra");
        Checkpoint otherVocab = new Checkpoint(same.config(), same.head(), same.tensors(),
                new io.shrink.core.tokenize.TokenizerSpec(vocab, true));
        ShrinkException e = assertThrows(ShrinkException.class, () -> StudentInit.checkCompatible(teacher, otherVocab, "s"));
        assertEquals(ShrinkException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().contains("first difference at id 80"), e.getMessage());

        Checkpoint cased = new Checkpoint(same.config(), same.head(), same.tensors(),
                new io.shrink.core.tokenize.TokenizerSpec(TinyModels.vocab().vocab(), false));
        assertTrue(assertThrows(ShrinkException.class, () -> StudentInit.checkCompatible(teacher, cased, "s"))
                .getMessage().contains("cased"));
    }
}
