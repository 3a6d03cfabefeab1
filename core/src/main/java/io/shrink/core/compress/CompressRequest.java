package io.shrink.core.compress;

import java.util.Map;

/**
 * Everything a compression run was asked to do.
 *
 * @param model    registry id of the model to compress
 * @param method   the method's registry name ({@link Compressors})
 * @param settings the method's settings by name (values as typed or as strings to convert)
 * @param outputId registry id of the new model
 * @param force    replace an existing registry model with the output id
 * @param seed     seed for anything random
 * @param command  the command name the new model's lineage records, e.g. {@code models derive}
 */
public record CompressRequest(String model, String method, Map<String, Object> settings, String outputId,
                              boolean force, long seed, String command) {
}
