package io.shrink.core.evaluate;

import io.shrink.core.model.ComputePrecision;
import io.shrink.core.task.DataOptions;

import java.nio.file.Path;

/**
 * Everything {@code evaluate} was asked to do.
 *
 * @param model     registry id of the model (for {@code glue}: the model whose fine-tuned children are evaluated)
 * @param task      a task name ({@link io.shrink.core.task.Tasks}), or {@code glue} for every GLUE task in the directory
 * @param data      which data to read; {@code maxEvalExamples} samples each evaluation set (seeded)
 * @param maxLength longest input in tokens (0 = what the model was fine-tuned with, else the task's default)
 * @param bootstrap resamples for the 95% intervals (0 = none)
 * @param seed      seed of the sample and the bootstrap
 * @param precision what the encoder computes in (null: fp32); bf16 scores are stored in the registry under
 *                  {@code TASK@bf16}, so they never replace the float32 ones
 * @param outDir    where result.json and predictions.jsonl go (null: a new run directory)
 */
public record EvaluateRequest(String model, String task, DataOptions data, int maxLength, int bootstrap, long seed,
                              ComputePrecision precision, Path outDir) {
    /** Float32 when no precision is given. */
    public EvaluateRequest {
        if (precision == null) {
            precision = ComputePrecision.FP32;
        }
    }
}
