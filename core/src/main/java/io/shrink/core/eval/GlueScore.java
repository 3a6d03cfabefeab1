package io.shrink.core.eval;

import io.shrink.core.ShrinkException;
import io.shrink.core.data.GlueTask;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The GLUE leaderboard's scores (Wang et al. 2018, §4): a task's score is the mean of its metrics (MRPC and QQP:
 * (F1 + accuracy) / 2; STS-B: (Pearson + Spearman) / 2), and the benchmark score is the unweighted mean of the task
 * scores. MNLI counts as one task whose score is the mean of its matched and mismatched accuracy: the leaderboard
 * shows the two in separate columns, but the paper averages tasks, not columns, so MNLI must not weigh twice.
 * The diagnostic set (AX) is not a task here. Scores keep the metrics' scale (fractions; the leaderboard shows ×100).
 */
public final class GlueScore {
    private GlueScore() {
    }

    /**
     * The score of {@code task} from its metric values keyed as {@link GlueTask#resultKeys()} names them
     * (e.g. {@code f1} and {@code accuracy} for MRPC, {@code accuracy_matched} and {@code accuracy_mismatched} for MNLI).
     */
    public static double taskScore(GlueTask task, Map<String, Double> metrics) {
        List<String> keys = task.resultKeys();
        double sum = 0;
        for (String key : keys) {
            Double v = metrics.get(key);
            if (v == null) {
                throw ShrinkException.usage("GLUE task " + task.name() + " needs metric '" + key + "' for its score; got "
                        + metrics.keySet());
            }
            sum += v;
        }
        return sum / keys.size();
    }

    /**
     * The macro average of task scores keyed by task name (any name {@link GlueTask#find} accepts). The official
     * GLUE score needs all nine tasks; with fewer this is the average over the tasks given.
     */
    public static double macro(Map<String, Double> taskScores) {
        if (taskScores.isEmpty()) {
            throw ShrinkException.usage("no GLUE task scores to average");
        }
        Map<GlueTask, Double> byTask = new HashMap<>();
        taskScores.forEach((name, score) -> {
            if (byTask.put(GlueTask.of(name), score) != null) {
                throw ShrinkException.usage("GLUE task " + name + " given twice");
            }
        });
        return byTask.values().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    /**
     * Bootstrap replicates of the macro score from each task's replicates of its task score (same number of
     * resamples, each task resampled on its own): round b's macro is the mean of the tasks' round-b scores, and
     * is undefined ({@code NaN}) when one of them is.
     */
    public static double[] macroReplicates(List<double[]> taskReplicates) {
        if (taskReplicates.isEmpty()) {
            throw ShrinkException.usage("no GLUE task scores to average");
        }
        int rounds = taskReplicates.get(0).length;
        double[] macro = new double[rounds];
        for (double[] task : taskReplicates) {
            if (task.length != rounds) {
                throw new IllegalArgumentException("tasks with different numbers of resamples: " + task.length + " and " + rounds);
            }
            for (int b = 0; b < rounds; b++) {
                macro[b] += task[b] / taskReplicates.size();
            }
        }
        return macro;
    }
}
