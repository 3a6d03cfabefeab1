package io.shrink.core.compress.prune;

import io.shrink.core.task.DataOptions;

/**
 * What {@code prune} was asked to do.
 *
 * @param model        registry id of the model to prune (a float model; with {@code importance}, with a head for the task)
 * @param task         the task whose training loss scores heads and neurons ({@code importance}); null for {@code magnitude}
 * @param data         where the task's data is ({@code maxTrainExamples} is set from {@code batches} × {@code batchSize})
 * @param maxLength    longest input in tokens (0: the task's default)
 * @param headFraction share of all attention heads to remove, in [0, 1)
 * @param ffnFraction  share of all FFN neurons to remove, in [0, 1)
 * @param criterion    {@code importance} (gradients of the task loss, Michel et al. 2019) or {@code magnitude}
 * @param batches      training batches the importance is summed over
 * @param batchSize    examples per batch
 * @param seed         seed of the data sample and dropout
 * @param outputId     registry id of the pruned model (null: MODEL-pruned)
 * @param force        replace an existing model of that id
 */
public record PruneRequest(String model, String task, DataOptions data, int maxLength, double headFraction,
                           double ffnFraction, String criterion, int batches, int batchSize, long seed, String outputId,
                           boolean force) {
}
