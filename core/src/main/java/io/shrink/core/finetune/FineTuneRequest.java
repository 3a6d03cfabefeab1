package io.shrink.core.finetune;

import io.shrink.core.task.DataOptions;
import io.shrink.core.task.FeatureOptions;
import io.shrink.core.train.RunOptions;
import io.shrink.core.train.TrainOptions;

/**
 * Everything {@code fine-tune} was asked to do.
 *
 * @param model    registry id of the model to start from
 * @param task     task name, as {@link io.shrink.core.task.Tasks} knows it
 * @param outputId registry id of the fine-tuned model (null: {@code <model>-<task>})
 * @param force    replace an existing registry model with the output id
 * @param data     which data to read
 * @param features how examples become inputs (length 0: the task's default)
 * @param train    optimisation settings
 * @param run      run directory, resume, pause and bootstrap settings
 */
public record FineTuneRequest(String model, String task, String outputId, boolean force, DataOptions data,
                              FeatureOptions features, TrainOptions train, RunOptions run) {
}
