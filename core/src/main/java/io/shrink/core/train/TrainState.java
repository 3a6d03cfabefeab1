package io.shrink.core.train;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/**
 * Where a training run stands, saved with every checkpoint so a run can continue exactly: the next
 * optimizer step, the epoch and the batch within it, the best evaluation so far, and the history.
 *
 * @param step        optimizer steps taken
 * @param epoch       the current epoch (0-based)
 * @param batchIndex  the next micro-batch of that epoch
 * @param bestScore   the main metric of the kept weights: the best so far, or the last with keepLast (NaN before
 *                    the first evaluation)
 * @param bestStep    the step of the kept weights (-1 before)
 * @param evaluations every evaluation: step, epoch and its metrics
 * @param options     the options the run started with (a resume must use the same)
 */
@JsonPropertyOrder({"step", "epoch", "batchIndex", "bestScore", "bestStep", "evaluations", "options"})
public record TrainState(int step, int epoch, int batchIndex, double bestScore, int bestStep,
                         List<Map<String, Object>> evaluations, Map<String, Object> options) {
}
