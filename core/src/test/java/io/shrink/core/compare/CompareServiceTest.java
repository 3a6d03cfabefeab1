package io.shrink.core.compare;

import io.shrink.core.ShrinkException;
import io.shrink.core.eval.ClassificationMetrics;
import io.shrink.core.eval.CorrelationMetrics;
import io.shrink.core.results.Results;
import io.shrink.core.results.RunResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompareServiceTest {
    @TempDir
    Path tmp;

    /** A run directory with a result of {@code task} and the given lines of predictions.jsonl. */
    private Path run(String name, String task, List<String> predictions) throws IOException {
        Path dir = tmp.resolve(name);
        Results.write(new RunResult(RunResult.SCHEMA_VERSION, name, "evaluate",
                List.of(new RunResult.ModelRef("model-" + name, "00", "bert", 10)), task, Map.of(), null, null, null), dir);
        Files.write(dir.resolve("predictions.jsonl"), predictions);
        return dir;
    }

    private static String row(String set, int id, String prediction, String gold) {
        return "{\"set\":\"" + set + "\",\"id\":\"" + id + "\",\"prediction\":" + prediction + ",\"gold\":" + gold + "}";
    }

    private static List<String> mrpc(int[] pred, int[] gold) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < pred.length; i++) {
            l.add(row("eval", i, "\"" + pred[i] + "\"", "\"" + gold[i] + "\""));
        }
        return l;
    }

    private RunResult compare(Path a, Path b) {
        return new CompareService().run(new CompareRequest(a, b, 500, 0, tmp.resolve("out")));
    }

    @Test
    void mrpcRunsAreComparedOnAccuracyAndF1() throws IOException {
        int[] gold = {1, 0, 1, 1, 0, 1, 0, 1, 1, 0};
        int[] pa = {1, 0, 1, 1, 0, 1, 0, 1, 0, 0};
        int[] pb = {1, 1, 0, 1, 0, 1, 1, 1, 0, 0};
        RunResult r = compare(run("a", "mrpc", mrpc(pa, gold)), run("b", "mrpc", mrpc(pb, gold)));
        assertEquals("compare", r.command());
        assertEquals("mrpc", r.task());
        assertEquals(List.of("model-a", "model-b"), r.models().stream().map(RunResult.ModelRef::id).toList());
        assertEquals(List.of("accuracy_difference", "f1_difference"), List.copyOf(r.metrics().keySet()));
        assertEquals(0.9 - 0.6, r.metrics().get("accuracy_difference").value(), 1e-12);
        // A: tp 5, fp 0, fn 1 -> F1 10/11; B: tp 4, fp 2, fn 2 -> F1 8/12
        assertEquals(10 / 11.0 - 8 / 12.0, r.metrics().get("f1_difference").value(), 1e-12);
        assertEquals(10, r.details().get("examples"));
        @SuppressWarnings("unchecked")
        Map<String, Object> acc = (Map<String, Object>) ((Map<String, Object>) r.details().get("comparisons")).get("accuracy");
        assertEquals(0.9, (Double) acc.get("a"), 1e-12);
        assertEquals(0.6, (Double) acc.get("b"), 1e-12);
        assertTrue(Files.isRegularFile(tmp.resolve("out/result.json")));
        RunResult back = Results.read(tmp.resolve("out/result.json"));
        assertEquals(r.metrics(), back.metrics());
        assertEquals(2, back.provenance().dataFiles().size(), "both predictions files are hashed");
    }

    @Test
    void examplesAreMatchedByIdNotByLinePosition() throws IOException {
        int[] gold = {1, 0, 1, 1};
        List<String> a = mrpc(new int[]{1, 0, 1, 0}, gold);
        List<String> b = new ArrayList<>(mrpc(new int[]{1, 0, 1, 0}, gold));
        java.util.Collections.reverse(b);
        RunResult r = compare(run("a", "mrpc", a), run("b", "mrpc", b));
        assertEquals(0.0, r.metrics().get("accuracy_difference").value());
        assertEquals(0.0, r.metrics().get("accuracy_difference").ciHigh());
    }

    @Test
    void stsbIsComparedOnPearsonAndSpearman() throws IOException {
        double[] gold = {0.0, 1.0, 2.0, 3.0, 4.0, 5.0};
        double[] pa = {0.2, 1.1, 1.9, 3.2, 3.9, 4.8};
        double[] pb = {1.0, 0.5, 3.0, 2.0, 5.0, 4.0};
        List<String> la = new ArrayList<>();
        List<String> lb = new ArrayList<>();
        for (int i = 0; i < gold.length; i++) {
            la.add(row("eval", i, Double.toString(pa[i]), Double.toString(gold[i])));
            lb.add(row("eval", i, Double.toString(pb[i]), Double.toString(gold[i])));
        }
        RunResult r = compare(run("a", "stsb", la), run("b", "stsb", lb));
        List<Double> g = List.of(0.0, 1.0, 2.0, 3.0, 4.0, 5.0);
        double expected = CorrelationMetrics.PEARSON.compute(List.of(0.2, 1.1, 1.9, 3.2, 3.9, 4.8), g)
                - CorrelationMetrics.PEARSON.compute(List.of(1.0, 0.5, 3.0, 2.0, 5.0, 4.0), g);
        assertEquals(expected, r.metrics().get("pearson_difference").value(), 1e-12);
        assertTrue(r.metrics().containsKey("spearman_difference"));
    }

    @Test
    void mnliSetsGetTheirOwnKeys() throws IOException {
        List<String> a = List.of(row("matched", 0, "\"entailment\"", "\"entailment\""),
                row("matched", 1, "\"neutral\"", "\"neutral\""),
                row("mismatched", 0, "\"contradiction\"", "\"neutral\""),
                row("mismatched", 1, "\"neutral\"", "\"neutral\""));
        List<String> b = List.of(row("matched", 0, "\"neutral\"", "\"entailment\""),
                row("matched", 1, "\"neutral\"", "\"neutral\""),
                row("mismatched", 0, "\"neutral\"", "\"neutral\""),
                row("mismatched", 1, "\"neutral\"", "\"neutral\""));
        RunResult r = compare(run("a", "mnli", a), run("b", "mnli", b));
        assertEquals(0.5, r.metrics().get("accuracy_matched_difference").value(), 1e-12);
        assertEquals(-0.5, r.metrics().get("accuracy_mismatched_difference").value(), 1e-12);
    }

    @Test
    void squadIsComparedOnExactMatchAndF1OfTheAnswerTexts() throws IOException {
        List<String> a = List.of("{\"id\":\"q1\",\"prediction\":\"the Eiffel Tower\",\"gold\":[\"Eiffel Tower\",\"tower\"]}",
                "{\"id\":\"q2\",\"prediction\":\"1889\",\"gold\":[\"in 1889\"]}");
        List<String> b = List.of("{\"id\":\"q1\",\"prediction\":\"Paris\",\"gold\":[\"Eiffel Tower\",\"tower\"]}",
                "{\"id\":\"q2\",\"prediction\":\"1889\",\"gold\":[\"in 1889\"]}");
        RunResult r = compare(run("a", "squad", a), run("b", "squad", b));
        // q1: A is exact after normalisation (the article goes), B is wrong; q2: both predict "1889" against
        // "in 1889", not exact, token F1 2 * (1 * 0.5) / 1.5 for both. EM and F1 are x100: A - B = 50 on each
        assertEquals(50.0, r.metrics().get("exact_match_difference").value(), 1e-9);
        assertEquals(50.0, r.metrics().get("f1_difference").value(), 1e-9);
    }

    @Test
    void runsOfDifferentTasksOrExamplesAreUsageErrors() throws IOException {
        int[] gold = {1, 0, 1};
        Path a = run("a", "mrpc", mrpc(new int[]{1, 0, 1}, gold));
        Path sst2 = run("s", "sst2", mrpc(new int[]{1, 0, 1}, gold));
        Path fewer = run("f", "mrpc", mrpc(new int[]{1, 0}, new int[]{1, 0}));
        Path otherGold = run("g", "mrpc", mrpc(new int[]{1, 0, 1}, new int[]{1, 1, 1}));
        Path glue = run("glue", "glue", mrpc(new int[]{1, 0, 1}, gold));
        for (Path b : List.of(sst2, fewer, otherGold)) {
            ShrinkException e = assertThrows(ShrinkException.class, () -> compare(a, b), b.toString());
            assertEquals(ShrinkException.Kind.USAGE, e.kind(), e.getMessage());
        }
        assertEquals(ShrinkException.Kind.USAGE, assertThrows(ShrinkException.class, () -> compare(glue, glue)).kind());
        assertEquals(ShrinkException.Kind.USAGE, assertThrows(ShrinkException.class,
                () -> new CompareService().run(new CompareRequest(a, a, 0, 0, tmp.resolve("o")))).kind());
    }

    @Test
    void missingOrBrokenPredictionsAreCorruptData() throws IOException {
        int[] gold = {1, 0};
        Path a = run("a", "mrpc", mrpc(new int[]{1, 0}, gold));
        Path noPredictions = run("n", "mrpc", List.of());
        Files.delete(noPredictions.resolve("predictions.jsonl"));
        Path broken = run("x", "mrpc", List.of("{\"id\":\"0\",\"prediction\":\"1\",\"gold\":\"1\"}", "{not json"));
        Path badLabel = run("l", "mrpc", List.of(row("eval", 0, "\"yes\"", "\"1\""), row("eval", 1, "\"0\"", "\"0\"")));
        for (Path b : List.of(tmp.resolve("absent"), noPredictions, broken, badLabel)) {
            ShrinkException e = assertThrows(ShrinkException.class, () -> compare(a, b), b.toString());
            assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind(), e.getMessage());
        }
        assertTrue(assertThrows(ShrinkException.class, () -> compare(a, broken)).getMessage().contains("predictions.jsonl:2"));
        assertEquals(0.0, compare(a.resolve("result.json"), a).metrics().get("f1_difference").value(),
                "a run may be named by its result.json");
        assertTrue(ClassificationMetrics.ACCURACY.higherIsBetter());
    }

    @Test
    void groupsOfRunsAreComparedOnTheirMeanWithEachRunListed() throws IOException {
        int[] gold = {1, 0, 1, 1, 0, 1, 0, 1, 1, 0};
        Path a1 = run("a1", "mrpc", mrpc(new int[]{1, 0, 1, 1, 0, 1, 0, 1, 0, 0}, gold));
        Path a2 = run("a2", "mrpc", mrpc(new int[]{1, 0, 1, 1, 0, 1, 0, 1, 1, 0}, gold));
        Path b1 = run("b1", "mrpc", mrpc(new int[]{1, 1, 0, 1, 0, 1, 1, 1, 0, 0}, gold));
        Path b2 = run("b2", "mrpc", mrpc(new int[]{1, 0, 0, 1, 0, 1, 1, 1, 0, 0}, gold));
        RunResult r = new CompareService().run(new CompareRequest(List.of(a1, a2), List.of(b1, b2), 500, 0,
                tmp.resolve("groups")));
        assertEquals(List.of("model-a1", "model-a2", "model-b1", "model-b2"),
                r.models().stream().map(RunResult.ModelRef::id).toList());
        assertEquals((0.9 + 1.0) / 2 - (0.6 + 0.7) / 2, r.metrics().get("accuracy_difference").value(), 1e-12);
        @SuppressWarnings("unchecked")
        Map<String, Object> acc = (Map<String, Object>) ((Map<String, Object>) r.details().get("comparisons")).get("accuracy");
        assertEquals(List.of(0.9, 1.0), acc.get("aRuns"));
        assertEquals(List.of(0.6, 0.7), acc.get("bRuns"));
        assertEquals(Math.sqrt(0.005), (Double) acc.get("aStdev"), 1e-12, "sample standard deviation (n - 1)");
        assertTrue(acc.containsKey("examplesOnlyCiLow") && acc.containsKey("examplesOnlyABetterShare"));
        assertEquals(2, ((List<?>) r.details().get("a")).size());
        assertEquals(4, r.provenance().dataFiles().size(), "every run's predictions are hashed");
        RunResult back = Results.read(tmp.resolve("groups/result.json"));
        assertEquals(r.metrics(), back.metrics());

        Path sst2 = run("s", "sst2", mrpc(new int[]{1, 0, 1, 1, 0, 1, 0, 1, 1, 0}, gold));
        assertEquals(ShrinkException.Kind.USAGE, assertThrows(ShrinkException.class, () -> new CompareService().run(
                new CompareRequest(List.of(a1, sst2), List.of(b1), 10, 0, tmp.resolve("o")))).kind(),
                "every run of a group must be on the task");
        @SuppressWarnings("unchecked")
        Map<String, Object> single = (Map<String, Object>) ((Map<String, Object>) compare(a1, b1).details()
                .get("comparisons")).get("accuracy");
        assertTrue(!single.containsKey("aRuns"), "one run against one keeps the paired layout");
    }
}
