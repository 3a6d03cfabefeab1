package io.shrink.core.compress;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.WeightBytes;
import io.shrink.core.models.ModelService;
import io.shrink.core.registry.ModelId;
import io.shrink.core.registry.RegistryEntry;
import io.shrink.core.util.Json;

import java.util.Map;
import java.util.TreeMap;

/**
 * Runs a compression method on a registry model and stores the result in the registry with its lineage: the
 * method, its resolved settings and the parent.
 */
public final class CompressService {
    /** Unknown settings are errors; a setting left out takes its type's zero value (false, 0) or null. */
    private static final ObjectMapper SETTINGS = Json.MAPPER.copy()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private final ModelService models;

    /** A service over the given registry. */
    public CompressService(ModelService models) {
        this.models = models;
    }

    /**
     * The outcome: the new registry entry and the method's report.
     *
     * @param entry  the stored model
     * @param parent the model it was made from
     * @param report what the method did
     * @param before the parent's weight bytes as stored
     * @param after  the new model's weight bytes as stored
     */
    public record Result(RegistryEntry entry, RegistryEntry parent, CompressionReport report, WeightBytes before,
                         WeightBytes after) {
    }

    /** Compresses, stores and returns the new model. */
    public Result run(CompressRequest r) {
        return run(r, new CompressionContext(r.seed()));
    }

    /** As {@link #run(CompressRequest)}, giving the method {@code context} (calibration data, progress). */
    public Result run(CompressRequest r, CompressionContext context) {
        Compressor<?> method = Compressors.of(r.method());
        String outputId = ModelId.validate(r.outputId());
        if (!r.force() && models.registry().exists(outputId)) {
            throw ShrinkException.usage("model '" + outputId + "' already exists; use --force to replace it");
        }
        Checkpoint parent = models.load(r.model());
        Compressed out = apply(method, parent, r.settings(), context);
        Map<String, Object> options = new TreeMap<>(out.report().options());
        options.put("method", method.name());
        RegistryEntry e = models.add(out.model(), outputId, r.force(), r.model(),
                new RegistryEntry.Lineage(r.command(), r.model(), options, null));
        return new Result(e, models.show(r.model()), out.report(), WeightBytes.of(parent), WeightBytes.of(out.model()));
    }

    private static <S> Compressed apply(Compressor<S> method, Checkpoint model, Map<String, Object> settings,
                                        CompressionContext context) {
        return method.compress(model, settings(method, settings), context);
    }

    /** Reads {@code values} into the method's settings record; unknown or malformed settings are usage errors. */
    public static <S> S settings(Compressor<S> method, Map<String, Object> values) {
        try {
            return SETTINGS.convertValue(values == null ? Map.of() : values, method.settingsType());
        } catch (IllegalArgumentException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().split("\n")[0];
            throw ShrinkException.usage("invalid settings for compression method '" + method.name() + "' " + values
                    + ": " + why.replaceAll(" \\((class|set) [^)]*\\)", "") + "; its settings: " + settingNames(method));
        }
    }

    private static String settingNames(Compressor<?> method) {
        StringBuilder sb = new StringBuilder();
        for (var c : method.settingsType().getRecordComponents()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(c.getName());
        }
        return sb.toString();
    }
}
