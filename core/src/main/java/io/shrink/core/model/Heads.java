package io.shrink.core.model;

import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.ModelInit;
import io.shrink.core.model.ModelShapes;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Puts a task head on a model for fine-tuning: the encoder (and a pretrained BERT pooler, when the new
 * head pools that way) is kept, any other head is dropped, and new head weights are initialised as BERT
 * does (seeded). A model that already has the requested head is returned unchanged.
 */
public final class Heads {
    private Heads() {
    }

    /** The default pooling for a family: DistilBERT's pre_classifier, BERT's pooler otherwise. */
    public static String defaultPooling(String family) {
        return family.equals("distilbert") ? "pre_classifier" : "pooler";
    }

    /** {@code base} with {@code head}; new head weights are drawn from {@code seed}. */
    public static Checkpoint attach(Checkpoint base, HeadConfig head, long seed) {
        if (base.head().equals(head)) {
            return base;
        }
        Map<String, long[]> wanted = ModelShapes.expected(base.config(), head);
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : wanted.entrySet()) {
            FloatTensor existing = base.tensors().get(e.getKey());
            boolean reusable = existing != null && java.util.Arrays.equals(existing.shape(), e.getValue())
                    && (e.getKey().startsWith("embeddings.") || e.getKey().startsWith("encoder.")
                    || e.getKey().startsWith("pooler."));
            out.put(e.getKey(), reusable ? existing : ModelInit.tensor(e.getKey(), e.getValue(), rnd));
        }
        return new Checkpoint(base.config(), head, out, base.tokenizer());
    }
}
