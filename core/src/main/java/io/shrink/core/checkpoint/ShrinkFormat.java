package io.shrink.core.checkpoint;

import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.DType;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.tensor.TypedTensor;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.ModelShapes;
import io.shrink.core.model.Quantization;
import io.shrink.core.tokenize.WordPieceTokenizer;
import io.shrink.core.util.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a model is stored in the registry: {@code weights.safetensors} under canonical names,
 * {@code model.json} with the encoder config and head, and the tokenizer as {@code vocab.txt} plus
 * {@code tokenizer.json}. Unlike the Hugging Face layout it can hold any shape the encoder runs,
 * including per-layer pruned models. Weights a checkpoint holds in a type other than F32
 * ({@link Checkpoint#stored()}) are written and read back in that type; an all-F32 model is written as before.
 */
public final class ShrinkFormat {
    /** The weights file inside a model directory. */
    public static final String WEIGHTS = "weights.safetensors";
    /** The config file inside a model directory. */
    public static final String MODEL_JSON = "model.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ShrinkFormat() {
    }

    /**
     * The contents of {@code model.json}.
     *
     * @param formatVersion the layout version (1)
     * @param config        the encoder's shape
     * @param head          the head
     * @param lowercase     whether the tokenizer lower-cases
     * @param quantization  how stored types run, absent for a float32 model
     */
    @JsonPropertyOrder({"formatVersion", "config", "head", "lowercase", "quantization"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ModelJson(int formatVersion, EncoderConfig config, HeadConfig head, boolean lowercase,
                            Quantization quantization) {
    }

    /** Writes a checkpoint into {@code dir} (each file atomically). */
    public static void write(Checkpoint ckpt, Path dir) throws IOException {
        Files.createDirectories(dir);
        if (ckpt.stored().isEmpty()) {
            Safetensors.write(dir.resolve(WEIGHTS), ckpt.tensors().values(), Map.of("producer", "shrink"));
        } else {
            Safetensors.writeTyped(dir.resolve(WEIGHTS), ckpt.typedTensors().values(), Map.of("producer", "shrink"));
        }
        WordPieceTokenizer.writeVocabTxt(ckpt.tokenizer(), dir.resolve("vocab.txt"));
        WordPieceTokenizer.writeTokenizerJson(ckpt.tokenizer(), dir.resolve("tokenizer.json"));
        ModelJson mj = new ModelJson(1, ckpt.config(), ckpt.head(), ckpt.tokenizer().lowercase(), ckpt.quantization());
        AtomicFiles.writeString(dir.resolve(MODEL_JSON), JSON.writeValueAsString(mj) + "\n");
    }

    /** Reads only {@code model.json} (cheap: no weights). */
    public static ModelJson readModelJson(Path dir) {
        Path file = dir.resolve(MODEL_JSON);
        try {
            ModelJson mj = JSON.readValue(file.toFile(), ModelJson.class);
            if (mj == null || mj.config() == null || mj.head() == null) {
                throw ShrinkException.corrupt(file + ": config or head missing");
            }
            if (mj.formatVersion() != 1) {
                throw ShrinkException.corrupt(file + ": format version " + mj.formatVersion()
                        + " is not one this shrink reads (1)");
            }
            mj.config().validate();
            return mj;
        } catch (IOException e) {
            if (e.getCause() instanceof ShrinkException se) {
                throw ShrinkException.corrupt(file + ": " + se.getMessage());
            }
            throw ShrinkException.corrupt(file + ": unreadable model description (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Reads and validates a model directory. */
    public static Checkpoint read(Path dir) {
        ModelJson mj = readModelJson(dir);
        Map<String, FloatTensor> tensors = Safetensors.read(dir.resolve(WEIGHTS));
        Map<String, FloatTensor> valid = ModelShapes.validate(mj.config(), mj.head(), tensors, dir.toString());
        Map<String, TypedTensor> stored = new LinkedHashMap<>();
        if (Safetensors.hasStoredTypes(dir.resolve(WEIGHTS))) {
            Safetensors.readTyped(dir.resolve(WEIGHTS)).forEach((name, t) -> {
                FloatTensor f = valid.get(name);
                if (t.dtype() != DType.F32 && f != null && Arrays.equals(f.shape(), t.shape())) {
                    stored.put(name, t);
                }
            });
        }
        Path vocab = dir.resolve("vocab.txt");
        return new Checkpoint(mj.config(), mj.head(), valid, WordPieceTokenizer.readVocabTxt(vocab, mj.lowercase()),
                stored, mj.quantization());
    }
}
