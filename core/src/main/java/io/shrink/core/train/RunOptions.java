package io.shrink.core.train;

import java.nio.file.Path;

/**
 * Where a training run keeps its files and how much of it runs now.
 *
 * @param runDir    run directory: checkpoints, result.json, predictions.jsonl (null: a new one under the results folder)
 * @param resume    continue the interrupted run in {@code runDir}
 * @param stopAfter take at most this many optimizer steps in this process, then pause with a checkpoint (0 = to the end)
 * @param bootstrap resamples for the final 95% intervals (0 = none)
 */
public record RunOptions(Path runDir, boolean resume, int stopAfter, int bootstrap) {
}
