package io.shrink.core.compare;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything {@code compare} was asked to do.
 *
 * @param a         group A: run directories holding {@code result.json} and {@code predictions.jsonl}, or their
 *                  {@code result.json}; usually one run, or one run per seed
 * @param b         group B, the same way; every run must have been scored on the same examples of the same task
 * @param bootstrap paired resamples for the 95% interval of each difference
 * @param seed      seed of the resamples
 * @param outDir    where the comparison's {@code result.json} goes (null: a new run directory)
 */
public record CompareRequest(List<Path> a, List<Path> b, int bootstrap, long seed, Path outDir) {
    /** Copies the groups. */
    public CompareRequest {
        a = List.copyOf(a);
        b = List.copyOf(b);
    }

    /** One run against one run. */
    public CompareRequest(Path a, Path b, int bootstrap, long seed, Path outDir) {
        this(List.of(a), List.of(b), bootstrap, seed, outDir);
    }
}
