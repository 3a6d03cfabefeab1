package io.shrink.core.compress;

import io.shrink.core.model.Checkpoint;

/**
 * A compression method's output: the new model and the report of what was done.
 *
 * @param model  the compressed model
 * @param report what was done, as recorded in the new model's lineage and the command's output
 */
public record Compressed(Checkpoint model, CompressionReport report) {
}
