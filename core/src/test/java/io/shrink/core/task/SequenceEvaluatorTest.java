package io.shrink.core.task;

import io.shrink.core.data.Example;
import io.shrink.core.data.GlueTask;
import io.shrink.core.eval.Bootstrap;
import io.shrink.core.eval.ClassificationMetrics;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SequenceEvaluatorTest {
    /** MRPC-shaped data: 200 labelled pairs and predictions that are right three times in four. */
    private static SequenceData mrpc(List<Integer> gold) {
        List<Example> dev = new ArrayList<>();
        for (int i = 0; i < gold.size(); i++) {
            dev.add(new Example("ex" + i, i, "a " + i, "b " + i, gold.get(i), Double.NaN, Path.of("dev.tsv"), i + 2));
        }
        GlueTask t = GlueTask.MRPC;
        return new SequenceData(t.name(), t.labels(), false, List.of(), Map.of("", dev), t.metrics(), List.of(), t);
    }

    @Test
    void taskScoreReplicatesCombineTheMetricsOfTheSameResample() {
        SplittableRandom r = new SplittableRandom(5);
        List<Integer> gold = new ArrayList<>();
        List<Integer> pred = new ArrayList<>();
        double[] predictions = new double[200];
        for (int i = 0; i < 200; i++) {
            gold.add(r.nextInt(2));
            pred.add(i % 4 == 0 ? 1 - gold.get(i) : gold.get(i));
            predictions[i] = pred.get(i);
        }
        TaskScores o = SequenceEvaluator.score(mrpc(gold), Map.of("", predictions), 300, 9);

        double[] f1 = Bootstrap.replicates(ClassificationMetrics.F1, pred, gold, 300, 9);
        double[] acc = Bootstrap.replicates(ClassificationMetrics.ACCURACY, pred, gold, 300, 9);
        assertEquals(300, o.scoreReplicates().length);
        for (int b = 0; b < 300; b++) {
            assertEquals((f1[b] + acc[b]) / 2, o.scoreReplicates()[b], 1e-12, "round " + b);
        }
        assertEquals(0.75, o.metrics().get("accuracy").value(), 1e-12);
        assertEquals((o.metrics().get("f1").value() + 0.75) / 2, o.score(), 1e-12);
        Bootstrap.Interval accInterval = Bootstrap.interval(ClassificationMetrics.ACCURACY, pred, gold, 300, 9);
        assertEquals(accInterval.low(), o.metrics().get("accuracy").ciLow(), 1e-12);
        assertEquals(accInterval.high(), o.metrics().get("accuracy").ciHigh(), 1e-12);
        assertTrue(o.metrics().get("f1").ciLow() < o.metrics().get("f1").value());

        assertNull(SequenceEvaluator.score(mrpc(gold), Map.of("", predictions), 0, 9).scoreReplicates(),
                "no bootstrap, no replicates");
    }
}
