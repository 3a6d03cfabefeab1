package io.shrink.core.compare;

import java.nio.file.Path;

/**
 * Everything {@code compare} was asked to do.
 *
 * @param a         run A: a run directory holding {@code result.json} and {@code predictions.jsonl}, or its
 *                  {@code result.json}
 * @param b         run B, the same way; it must have been scored on the same examples of the same task
 * @param bootstrap paired resamples for the 95% interval of each difference
 * @param seed      seed of the resamples
 * @param outDir    where the comparison's {@code result.json} goes (null: a new run directory)
 */
public record CompareRequest(Path a, Path b, int bootstrap, long seed, Path outDir) {
}
