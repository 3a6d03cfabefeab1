package io.shrink.core.model;

import io.shrink.core.ShrinkException;
import io.shrink.core.tensor.FloatTensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.shrink.core.model.CanonicalNames.*;

/**
 * The canonical parameters an encoder of a given shape and head must have, with their shapes. Checkpoint
 * validation, parameter counting and random initialisation all derive from this one table.
 */
public final class ModelShapes {

    private ModelShapes() {
    }

    /**
     * Canonical name to shape of every required parameter, in a stable order. The BERT pooler is listed
     * only when the head needs it; {@link #optional} names the ones a checkpoint may carry in addition.
     */
    public static Map<String, long[]> expected(EncoderConfig c, HeadConfig head) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long e = c.embeddingSize();
        long h = c.hiddenSize();
        m.put(WORD_EMB, new long[] {c.vocabSize(), e});
        m.put(POS_EMB, new long[] {c.maxPositions(), e});
        if (c.typeVocabSize() > 0) {
            m.put(TYPE_EMB, new long[] {c.typeVocabSize(), e});
        }
        linearNorm(m, EMB_LN, e);
        if (c.factorisedEmbeddings()) {
            linear(m, EMB_PROJ, h, e);
        }
        for (int i = 0; i < c.storedLayers(); i++) {
            long attn = (long) c.headsOf(i) * c.headSize();
            long ffn = c.ffnOf(i);
            linear(m, query(i), attn, h);
            linear(m, key(i), attn, h);
            linear(m, value(i), attn, h);
            linear(m, attnOut(i), h, attn);
            linearNorm(m, attnLn(i), h);
            linear(m, ffnIn(i), ffn, h);
            linear(m, ffnOut(i), h, ffn);
            linearNorm(m, ffnLn(i), h);
        }
        switch (head.type()) {
            case "mlm" -> {
                linear(m, MLM_DENSE, e, h);
                linearNorm(m, MLM_LN, e);
                m.put(MLM_BIAS, new long[] {c.vocabSize()});
            }
            case "classification", "regression" -> {
                linear(m, head.pooling().equals("pooler") ? POOLER : PRE_CLASSIFIER, h, h);
                linear(m, CLASSIFIER, head.numOutputs(), h);
            }
            case "qa" -> linear(m, QA, 2, h);
            default -> {
            }
        }
        return m;
    }

    /** Parameters a checkpoint may hold beyond {@link #expected}: the BERT pooler on a bare or MLM model. */
    public static Map<String, long[]> optional(EncoderConfig c, HeadConfig head) {
        Map<String, long[]> m = new LinkedHashMap<>();
        if (!head.type().equals("classification") && !head.type().equals("regression")) {
            linear(m, POOLER, c.hiddenSize(), c.hiddenSize());
        }
        return m;
    }

    private static void linear(Map<String, long[]> m, String prefix, long out, long in) {
        m.put(prefix + ".weight", new long[] {out, in});
        m.put(prefix + ".bias", new long[] {out});
    }

    private static void linearNorm(Map<String, long[]> m, String prefix, long width) {
        m.put(prefix + ".weight", new long[] {width});
        m.put(prefix + ".bias", new long[] {width});
    }

    /**
     * Checks that {@code tensors} holds every expected parameter with the expected shape, and returns them
     * in canonical order, keeping optional ones that are present and dropping anything else.
     *
     * @param source names the file or checkpoint in error messages
     */
    public static Map<String, FloatTensor> validate(EncoderConfig c, HeadConfig head, Map<String, FloatTensor> tensors,
                                                    String source) {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected(c, head).entrySet()) {
            FloatTensor t = tensors.get(e.getKey());
            if (t == null) {
                throw ShrinkException.corrupt(source + ": missing parameter '" + e.getKey() + "' for a "
                        + c.family() + " model with head '" + head.type() + "'");
            }
            check(t, e.getValue(), source);
            out.put(e.getKey(), t);
        }
        for (Map.Entry<String, long[]> e : optional(c, head).entrySet()) {
            FloatTensor t = tensors.get(e.getKey());
            if (t != null) {
                check(t, e.getValue(), source);
                out.put(e.getKey(), t);
            }
        }
        return out;
    }

    private static void check(FloatTensor t, long[] shape, String source) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw ShrinkException.corrupt(source + ": parameter '" + t.name() + "' has shape " + t.shapeString()
                    + " but the config needs " + Arrays.toString(shape));
        }
    }

    /** Parameters that are embedding tables (word, position, token type), as Hugging Face counts them. */
    public static long embeddingParameters(EncoderConfig c) {
        return (long) (c.vocabSize() + c.maxPositions() + c.typeVocabSize()) * c.embeddingSize();
    }
}
