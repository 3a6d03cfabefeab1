package io.shrink.core.compress.layers;

import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.model.EncoderConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.shrink.core.model.CanonicalNames.POS_EMB;
import static io.shrink.core.model.CanonicalNames.TYPE_EMB;

/**
 * A shallower student initialised from a teacher, as DistilBERT was (Sanh et al. 2019): the embeddings
 * and the head are copied, and student layer i is a copy of teacher layer {@code layers[i]}. For a
 * DistilBERT-style student without token types, the teacher's segment-0 embedding is added to every
 * position embedding, so a single-segment input embeds exactly as in the teacher; such a student has no
 * pooler either, so a teacher whose classifier pools through BERT's pooler must keep its token types.
 */
public final class StudentInit {
    private StudentInit() {
    }

    /**
     * Builds the student.
     *
     * @param teacher         the teacher checkpoint (not cross-layer shared)
     * @param layers          teacher layers to copy, in student order
     * @param dropTokenTypes  remove token-type embeddings (DistilBERT style; family becomes {@code distilbert})
     */
    public static Checkpoint fromTeacher(Checkpoint teacher, List<Integer> layers, boolean dropTokenTypes) {
        EncoderConfig t = teacher.config();
        if (t.shareLayers()) {
            throw ShrinkException.usage("the teacher shares one layer across depth; there are no distinct layers to copy");
        }
        List<Integer> heads = new ArrayList<>();
        List<Integer> ffn = new ArrayList<>();
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        boolean dropTypes = dropTokenTypes && t.typeVocabSize() > 0;
        if (dropTypes && "pooler".equals(teacher.head().pooling())) {
            throw ShrinkException.usage("a DistilBERT-style student without token types cannot keep the teacher's BERT pooler "
                    + "head (DistilBERT pools through pre_classifier); keep the token types (drop --drop-token-types)");
        }
        for (FloatTensor tensor : teacher.tensors().values()) {
            String name = tensor.name();
            if (name.startsWith("encoder.layer.")) {
                continue;
            }
            if (dropTypes && (name.equals(TYPE_EMB) || name.startsWith("pooler."))) {
                continue; // DistilBERT has neither token types nor a pooler
            }
            if (dropTypes && name.equals(POS_EMB)) {
                tensor = foldSegmentZero(tensor, teacher.tensors().get(TYPE_EMB));
            }
            out.put(name, tensor);
        }
        for (int i = 0; i < layers.size(); i++) {
            int from = layers.get(i);
            String prefix = "encoder.layer." + from + ".";
            for (FloatTensor tensor : teacher.tensors().values()) {
                if (tensor.name().startsWith(prefix)) {
                    String name = "encoder.layer." + i + "." + tensor.name().substring(prefix.length());
                    out.put(name, tensor.rename(name));
                }
            }
            heads.add(t.headsOf(from));
            ffn.add(t.ffnOf(from));
        }
        boolean uniform = heads.stream().allMatch(h -> h == t.numHeads()) && ffn.stream().allMatch(f -> f == t.intermediateSize());
        String family = dropTypes ? "distilbert" : t.family();
        EncoderConfig c = new EncoderConfig(family, t.vocabSize(), t.hiddenSize(), layers.size(), t.numHeads(),
                t.headSize(), t.intermediateSize(), t.maxPositions(), dropTypes ? 0 : t.typeVocabSize(),
                t.embeddingSize(), false, uniform ? List.of() : heads, uniform ? List.of() : ffn, t.hiddenAct(),
                t.layerNormEps(), t.hiddenDropout(), t.attentionDropout(), t.padTokenId()).validate();
        return new Checkpoint(c, teacher.head(), out, teacher.tokenizer());
    }

    /** How a narrower student's weights start. */
    public enum Init {
        /** Every weight is the leading slice of the teacher's (first hidden units, heads and FFN neurons). */
        TRUNCATE,
        /** Every weight is drawn afresh as BERT initialises (seeded). */
        RANDOM;

        /** The name as {@code --init} takes it. */
        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Makes a student narrower (TinyBERT style): hidden size, attention heads (of the same head size) and
     * FFN width shrink; weights are truncated from the full-width student or drawn afresh.
     *
     * @param student a student of the teacher's width (from {@link #fromTeacher})
     * @param hidden  the new hidden size
     * @param heads   attention heads per layer ({@code heads * headSize} need not equal {@code hidden})
     * @param ffn     FFN width
     * @param init    how the weights start
     * @param seed    seed for {@link Init#RANDOM}
     */
    public static Checkpoint narrow(Checkpoint student, int hidden, int heads, int ffn, Init init, long seed) {
        EncoderConfig s = student.config();
        if (hidden > s.hiddenSize() || heads > s.numHeads() || ffn > s.intermediateSize()) {
            throw ShrinkException.usage("a narrower student cannot be wider than its teacher: hidden " + hidden + " (teacher "
                    + s.hiddenSize() + "), heads " + heads + " (" + s.numHeads() + "), FFN " + ffn + " (" + s.intermediateSize() + ")");
        }
        if (!s.layerHeads().isEmpty() || !s.layerFfn().isEmpty()) {
            throw ShrinkException.usage("narrowing a student whose layers have different shapes (a pruned teacher) is not supported");
        }
        int embedding = Math.min(s.embeddingSize(), hidden);
        EncoderConfig c = new EncoderConfig(s.family(), s.vocabSize(), hidden, s.numLayers(), heads, s.headSize(), ffn,
                s.maxPositions(), s.typeVocabSize(), embedding, false, List.of(), List.of(), s.hiddenAct(),
                s.layerNormEps(), s.hiddenDropout(), s.attentionDropout(), s.padTokenId()).validate();
        Map<String, long[]> shapes = io.shrink.core.model.ModelShapes.expected(c, student.head());
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            FloatTensor from = student.tensors().get(e.getKey());
            out.put(e.getKey(), init == Init.RANDOM || from == null
                    ? io.shrink.core.model.ModelInit.tensor(e.getKey(), e.getValue(), rnd)
                    : leadingSlice(from, e.getValue()));
        }
        return new Checkpoint(c, student.head(), out, student.tokenizer());
    }

    /** The leading block of a tensor: indices {@code [0, shape[d])} along every dimension d. */
    static FloatTensor leadingSlice(FloatTensor t, long[] shape) {
        if (shape.length != t.shape().length) {
            throw new IllegalArgumentException(t.name() + ": rank " + t.shape().length + " vs " + shape.length);
        }
        if (shape.length == 1) {
            return new FloatTensor(t.name(), shape, java.util.Arrays.copyOf(t.data(), (int) shape[0]));
        }
        // (rows, cols) from (rowsT, colsT)
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        int colsT = (int) t.shape()[1];
        float[] data = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(t.data(), r * colsT, data, r * cols, cols);
        }
        return new FloatTensor(t.name(), shape, data);
    }

    private static FloatTensor foldSegmentZero(FloatTensor positions, FloatTensor types) {
        // positions (maxPositions, emb) + types[0] (emb)
        int width = (int) positions.shape()[1];
        float[] p = positions.data().clone();
        float[] seg0 = types.data();
        for (int i = 0; i < p.length; i++) {
            p[i] += seg0[i % width];
        }
        return new FloatTensor(positions.name(), positions.shape(), p);
    }

    /**
     * Checks that an existing model can be trained as {@code teacher}'s student: the same head (type and labels), and
     * the same tokenizer (vocabulary and casing), since both read the same token ids and the student learns from
     * the teacher's outputs position by position. Throws a usage error naming the difference.
     */
    public static void checkCompatible(Checkpoint teacher, Checkpoint student, String studentId) {
        if (!student.head().type().equals(teacher.head().type()) || !student.head().labels().equals(teacher.head().labels())) {
            throw ShrinkException.usage("student '" + studentId + "' has head '" + student.head().type() + "' "
                    + student.head().labels() + ", the teacher '" + teacher.head().type() + "' " + teacher.head().labels()
                    + ": they must match");
        }
        if (student.tokenizer().lowercase() != teacher.tokenizer().lowercase()) {
            throw ShrinkException.usage("student '" + studentId + "' is " + (student.tokenizer().lowercase() ? "uncased" : "cased")
                    + " and the teacher is not: they must share one tokenizer");
        }
        if (!student.tokenizer().vocab().equals(teacher.tokenizer().vocab())) {
            List<String> sv = student.tokenizer().vocab();
            List<String> tv = teacher.tokenizer().vocab();
            int at = 0;
            while (at < Math.min(sv.size(), tv.size()) && sv.get(at).equals(tv.get(at))) {
                at++;
            }
            throw ShrinkException.usage("student '" + studentId + "' has another vocabulary than the teacher (" + sv.size()
                    + " and " + tv.size() + " tokens, first difference at id " + at + "): they must share one tokenizer");
        }
    }
}
