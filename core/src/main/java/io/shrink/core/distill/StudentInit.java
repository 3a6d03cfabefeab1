package io.shrink.core.distill;

import io.shrink.core.ShrinkException;
import io.shrink.core.checkpoint.Checkpoint;
import io.shrink.core.checkpoint.FloatTensor;
import io.shrink.core.model.EncoderConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.shrink.core.checkpoint.CanonicalNames.POS_EMB;
import static io.shrink.core.checkpoint.CanonicalNames.TYPE_EMB;

/**
 * A shallower student initialised from a teacher, as DistilBERT was (Sanh et al. 2019): the embeddings
 * and the head are copied, and student layer i is a copy of teacher layer {@code layers[i]}. For a
 * DistilBERT-style student without token types, the teacher's segment-0 embedding is added to every
 * position embedding, so a single-segment input embeds exactly as in the teacher.
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
        for (FloatTensor tensor : teacher.tensors().values()) {
            String name = tensor.name();
            if (name.startsWith("encoder.layer.")) {
                continue;
            }
            if (dropTypes && name.equals(TYPE_EMB)) {
                continue;
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
}
