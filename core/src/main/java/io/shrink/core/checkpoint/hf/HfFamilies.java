package io.shrink.core.checkpoint.hf;

import io.shrink.core.ShrinkException;

import java.util.LinkedHashMap;
import java.util.Map;

/** The Hugging Face model types shrink reads and writes, keyed by {@code model_type}. */
public final class HfFamilies {
    private static final Map<String, HfFamily> BY_TYPE = new LinkedHashMap<>();

    static {
        register(new BertFamily());
        register(new DistilBertFamily());
        register(new AlbertFamily());
    }

    private HfFamilies() {
    }

    private static void register(HfFamily f) {
        BY_TYPE.put(f.modelType(), f);
    }

    /** The family for a {@code model_type}; a corrupt-kind error names the known ones otherwise. */
    public static HfFamily get(String modelType, String source) {
        HfFamily f = BY_TYPE.get(modelType);
        if (f == null) {
            throw ShrinkException.corrupt(source + ": unknown model_type '" + modelType + "' (supported: "
                    + String.join(", ", BY_TYPE.keySet()) + ")");
        }
        return f;
    }

    /** All supported {@code model_type}s. */
    public static Iterable<String> types() {
        return BY_TYPE.keySet();
    }
}
