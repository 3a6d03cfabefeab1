package io.shrink.core.eval;

import io.shrink.core.ShrinkException;
import io.shrink.core.data.GlueTask;
import io.shrink.core.data.SquadDataset;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsTest {
    private static final double EPS = 1e-12;

    @Test
    void accuracy() {
        // 3 of 4 equal: 0.75
        assertEquals(0.75, ClassificationMetrics.ACCURACY.compute(List.of(1, 0, 2, 1), List.of(1, 0, 2, 0)), EPS);
        assertArrayEquals(new double[] {1, 1, 1, 0},
                ClassificationMetrics.ACCURACY.perExample(List.of(1, 0, 2, 1), List.of(1, 0, 2, 0)), EPS);
    }

    @Test
    void f1OfClassOne() {
        // pred 1 1 1 0 0 0 / gold 1 1 0 1 0 0: TP=2, FP=1, FN=1 -> 2*2/(4+1+1) = 4/6
        assertEquals(4.0 / 6, ClassificationMetrics.F1.compute(List.of(1, 1, 1, 0, 0, 0), List.of(1, 1, 0, 1, 0, 0)), EPS);
        // no positive anywhere: 0 (scikit-learn's zero_division)
        assertEquals(0, ClassificationMetrics.F1.compute(List.of(0, 0), List.of(0, 0)), EPS);
    }

    @Test
    void mcc() {
        // TP=2, TN=2, FP=1, FN=1: (2*2 - 1*1) / sqrt(3*3*3*3) = 3/9
        assertEquals(1.0 / 3, ClassificationMetrics.MCC.compute(List.of(1, 1, 1, 0, 0, 0), List.of(1, 1, 0, 1, 0, 0)), EPS);
        // perfect and inverted
        assertEquals(1, ClassificationMetrics.MCC.compute(List.of(1, 0, 1), List.of(1, 0, 1)), EPS);
        assertEquals(-1, ClassificationMetrics.MCC.compute(List.of(0, 1, 0), List.of(1, 0, 1)), EPS);
        // constant predictions: the denominator is 0, defined as 0 like scikit-learn
        assertEquals(0, ClassificationMetrics.MCC.compute(List.of(1, 1, 1, 1), List.of(1, 0, 1, 0)), EPS);
        // three classes, pred 0 1 2 2 / gold 0 1 1 2: c=3, s=4, p=(1,1,2), t=(1,2,1)
        // (3*4 - (1+2+2)) / sqrt((16-6)(16-6)) = 7/10
        assertEquals(0.7, ClassificationMetrics.MCC.compute(List.of(0, 1, 2, 2), List.of(0, 1, 1, 2)), EPS);
    }

    @Test
    void pearsonAndSpearman() {
        // x = 1 2 3 4, y = 2 4 5 4: means 2.5, 3.75; dx = -1.5 -.5 .5 1.5; dy = -1.75 .25 1.25 .25
        // sum dx*dy = 2.625 - .125 + .625 + .375 = 3.5; sum dx^2 = 5; sum dy^2 = 3.0625+.0625+1.5625+.0625 = 4.75
        // r = 3.5 / sqrt(5 * 4.75) = 3.5 / sqrt(23.75)
        List<Double> x = List.of(1.0, 2.0, 3.0, 4.0);
        List<Double> y = List.of(2.0, 4.0, 5.0, 4.0);
        assertEquals(3.5 / Math.sqrt(23.75), CorrelationMetrics.PEARSON.compute(x, y), 1e-12);
        // ranks of y with ties averaged: 2 -> 1, 4 -> (2+3)/2 = 2.5 twice, 5 -> 4: ry = 1 2.5 4 2.5, rx = 1 2 3 4
        // dry = -1.5 0 1.5 0: sum dx*dry = 2.25 + .75 = 3; sum dry^2 = 4.5; rho = 3 / sqrt(5 * 4.5) = 3 / sqrt(22.5)
        assertEquals(3 / Math.sqrt(22.5), CorrelationMetrics.SPEARMAN.compute(x, y), 1e-12);
        // constant side: undefined
        assertTrue(Double.isNaN(CorrelationMetrics.PEARSON.compute(x, List.of(1.0, 1.0, 1.0, 1.0))));
        assertTrue(Double.isNaN(CorrelationMetrics.SPEARMAN.compute(List.of(1.0), List.of(2.0))));
    }

    @Test
    void squadNormalisation() {
        assertEquals("cat", SquadMetrics.normalize("The  Cat!"));
        assertEquals("cat", SquadMetrics.normalize("  a\tcat. "));
        // "another" and "theory" are not articles; the underscore is punctuation
        assertEquals("another theory", SquadMetrics.normalize("An another, the theory"));
        assertEquals("ab cd", SquadMetrics.normalize("a_b c-d"));
        // non-breaking space is whitespace for Python's str.split()
        assertEquals("1 000", SquadMetrics.normalize("1\u00a0000"));
        assertEquals(1, SquadMetrics.exactMatch("The  Cat!", List.of("cat")), EPS);
    }

    @Test
    void squadF1AndEm() {
        // no overlap
        assertEquals(0, SquadMetrics.f1("a dog", List.of("the cat")), EPS);
        // pred "cat sat down" (3 tokens), gold "the cat sat" -> "cat sat" (2): same 2, P=2/3, R=1, F1 = 2*(2/3)/(5/3) = 0.8
        assertEquals(0.8, SquadMetrics.f1("cat sat down", List.of("the cat sat")), EPS);
        // multiset: pred "cat cat" vs gold "cat": same 1, P=1/2, R=1, F1=2/3
        assertEquals(2.0 / 3, SquadMetrics.f1("cat cat", List.of("cat")), EPS);
        // multiple golds: max over them (0 for "dog", 1 for "Cat.")
        assertEquals(1, SquadMetrics.f1("cat", List.of("dog", "Cat.")), EPS);
        assertEquals(1, SquadMetrics.exactMatch("cat", List.of("dog", "Cat.")), EPS);
        assertEquals(0, SquadMetrics.exactMatch("cat sat", List.of("cat")), EPS);
        // both normalise to nothing: EM 1 but v1.1's F1 is 0 (no common token)
        assertEquals(1, SquadMetrics.exactMatch("the", List.of("a")), EPS);
        assertEquals(0, SquadMetrics.f1("the", List.of("a")), EPS);
    }

    @Test
    void squadEvaluateScales100AndScoresMissingAsZero() {
        var q1 = new SquadDataset.Question("q1", "?", "c", List.of(new SquadDataset.Answer("The cat", 0, 7)), 0);
        var q2 = new SquadDataset.Question("q2", "?", "c", List.of(new SquadDataset.Answer("sat down", 0, 8)), 0);
        var q3 = new SquadDataset.Question("q3", "?", "c", List.of(new SquadDataset.Answer("the", 0, 3)), 0);
        // q1 exact (EM 100, F1 100); q2 "sat" vs "sat down": P=1, R=1/2, F1=2/3 (EM 0); q3 unanswered: 0, 0
        SquadMetrics.Scores s = SquadMetrics.evaluate(Map.of("q1", "cat", "q2", "sat"), List.of(q1, q2, q3));
        assertEquals(100.0 / 3, s.exactMatch(), 1e-9);
        assertEquals((100 + 200.0 / 3) / 3, s.f1(), 1e-9);
        assertEquals(1, s.unanswered());
        assertArrayEquals(new double[] {100, 0, 0}, s.emPerQuestion(), EPS);
        assertEquals(List.of("q1", "q2", "q3"), s.questionIds());
    }

    @Test
    void registry() {
        assertSame(ClassificationMetrics.MCC, Metrics.get("mcc"));
        assertSame(CorrelationMetrics.SPEARMAN, Metrics.regression("spearman"));
        assertSame(SquadMetrics.F1, Metrics.squad("squad_f1"));
        assertTrue(Metrics.names().containsAll(List.of("accuracy", "f1", "mcc", "pearson", "spearman", "squad_em", "squad_f1")));
        GlueTask.ALL.forEach(t -> t.metrics().forEach(Metrics::get));
        assertEquals(ShrinkException.Kind.USAGE, assertThrows(ShrinkException.class, () -> Metrics.get("bleu")).kind());
        assertThrows(ShrinkException.class, () -> Metrics.classification("pearson"));
        Metrics.names().forEach(n -> assertTrue(Metrics.get(n).higherIsBetter(), n));
    }

    @Test
    void glueScores() {
        // MRPC (0.9 + 0.8) / 2 = 0.85; STS-B (0.88 + 0.86) / 2 = 0.87; MNLI (0.84 + 0.83) / 2 = 0.835
        assertEquals(0.85, GlueScore.taskScore(GlueTask.MRPC, Map.of("f1", 0.9, "accuracy", 0.8)), EPS);
        assertEquals(0.87, GlueScore.taskScore(GlueTask.STSB, Map.of("pearson", 0.88, "spearman", 0.86)), EPS);
        assertEquals(0.835, GlueScore.taskScore(GlueTask.MNLI,
                Map.of("accuracy_matched", 0.84, "accuracy_mismatched", 0.83)), EPS);
        assertThrows(ShrinkException.class, () -> GlueScore.taskScore(GlueTask.MRPC, Map.of("f1", 0.9)));
        // (0.85 + 0.87 + 0.835) / 3 = 0.851666...
        assertEquals(2.555 / 3, GlueScore.macro(Map.of("MRPC", 0.85, "sts-b", 0.87, "mnli", 0.835)), EPS);
        assertThrows(ShrinkException.class, () -> GlueScore.macro(Map.of("sst2", 0.9, "SST-2", 0.9)));
    }

    @Test
    void glueMacroReplicatesAverageTheTasksRoundByRound() {
        double[] macro = GlueScore.macroReplicates(List.of(new double[] {0.8, 0.6, 0.7}, new double[] {0.4, Double.NaN, 0.5}));
        assertEquals(0.6, macro[0], EPS);
        assertTrue(Double.isNaN(macro[1]), "a round where one task is undefined is undefined");
        assertEquals(0.6, macro[2], EPS);
        assertThrows(IllegalArgumentException.class,
                () -> GlueScore.macroReplicates(List.of(new double[] {0.1}, new double[] {0.2, 0.3})));
        assertThrows(ShrinkException.class, () -> GlueScore.macroReplicates(List.of()));
    }
}
