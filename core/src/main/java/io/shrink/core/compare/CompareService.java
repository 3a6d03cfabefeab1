package io.shrink.core.compare;

import com.fasterxml.jackson.databind.JsonNode;
import io.shrink.core.ShrinkException;
import io.shrink.core.eval.Metric;
import io.shrink.core.eval.PairedBootstrap;
import io.shrink.core.results.Provenance;
import io.shrink.core.results.Results;
import io.shrink.core.results.RunResult;
import io.shrink.core.task.PredictionMetric;
import io.shrink.core.task.Predictions;
import io.shrink.core.task.Task;
import io.shrink.core.task.Tasks;
import io.shrink.core.util.Json;
import org.apache.commons.math3.stat.descriptive.moment.StandardDeviation;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Compares two runs scored on the same examples (say, a distilled student and the same student trained without
 * distillation), or two groups of runs (the same two students trained with several seeds), with a
 * {@link PairedBootstrap} of every metric of their task, from the {@code predictions.jsonl}
 * that {@code evaluate}, {@code fine-tune} and {@code distill} write. Works for the GLUE tasks, IMDb and SQuAD.
 * Writes the comparison as a {@code compare} result.
 */
public final class CompareService {
    /** The suffix of the compared metrics' keys in the result, e.g. {@code f1_difference}. */
    public static final String DIFFERENCE = "_difference";
    private static final String DEFAULT_SET = "eval";

    /** Runs the comparison and returns the written result. */
    public RunResult run(CompareRequest r) {
        if (r.bootstrap() < 1) {
            throw ShrinkException.usage("--bootstrap must be at least 1, got " + r.bootstrap());
        }
        if (r.a().isEmpty() || r.b().isEmpty()) {
            throw ShrinkException.usage("compare needs at least one run on each side");
        }
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        List<Run> a = r.a().stream().map(Run::read).toList();
        List<Run> b = r.b().stream().map(Run::read).toList();
        Run first = a.get(0);
        String task = first.result.task();
        List<Run> all = new ArrayList<>(a);
        all.addAll(b);
        for (Run other : all.subList(1, all.size())) {
            if (task == null || !task.equalsIgnoreCase(Objects.requireNonNullElse(other.result.task(), ""))) {
                throw ShrinkException.usage("the runs are on different tasks: " + task + " (" + first.dir + ") and "
                        + other.result.task() + " (" + other.dir + ")");
            }
        }
        List<String> order = new ArrayList<>(first.rows.keySet());
        for (Run other : all.subList(1, all.size())) {
            sameExamples(first, other);
        }
        boolean groups = a.size() > 1 || b.size() > 1;
        Map<String, PairedBootstrap.GroupComparison> comparisons = new LinkedHashMap<>();
        for (String set : sets(first, order)) {
            List<String> keys = order.stream().filter(k -> first.rows.get(k).set.equals(set)).toList();
            String suffix = set.equals(DEFAULT_SET) ? "" : "_" + set;
            for (PredictionMetric<?, ?> s : scorers(task, first)) {
                comparisons.put(s.key() + suffix, compare(s, keys, a, b, r.bootstrap(), r.seed()));
            }
        }
        Map<String, RunResult.Metric> metrics = new TreeMap<>();
        Map<String, Object> table = new TreeMap<>();
        comparisons.forEach((key, c) -> {
            metrics.put(key + DIFFERENCE, c.difference().toMetric(c.higherIsBetter()));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("a", c.a());
            row.put("b", c.b());
            row.put("difference", c.difference().value());
            row.put("ciLow", finite(c.difference().low()));
            row.put("ciHigh", finite(c.difference().high()));
            row.put("aBetterShare", finite(c.aBetterShare()));
            row.put("undefinedResamples", c.difference().undefined());
            if (groups) {
                row.put("aRuns", c.aRuns());
                row.put("bRuns", c.bRuns());
                row.put("aStdev", stdev(c.aRuns()));
                row.put("bStdev", stdev(c.bRuns()));
                row.put("examplesOnlyCiLow", finite(c.examplesOnly().low()));
                row.put("examplesOnlyCiHigh", finite(c.examplesOnly().high()));
                row.put("examplesOnlyABetterShare", finite(c.examplesOnlyABetterShare()));
            }
            table.put(key, row);
        });
        Map<String, Object> details = new TreeMap<>();
        details.put("a", groups ? a.stream().map(Run::describe).toList() : first.describe());
        details.put("b", groups ? b.stream().map(Run::describe).toList() : b.get(0).describe());
        details.put("comparisons", table);
        details.put("examples", order.size());
        details.put("resamples", r.bootstrap());
        if (groups) {
            details.put("method", "two-level paired bootstrap: each resample draws the examples once for every run "
                    + "and, independently in each group, as many runs as the group has, with replacement; "
                    + "examplesOnly* keeps every run and resamples the examples only");
        }
        Map<String, Object> options = new TreeMap<>();
        options.put("a", groups ? r.a().stream().map(Path::toString).toList() : r.a().get(0).toString());
        options.put("b", groups ? r.b().stream().map(Path::toString).toList() : r.b().get(0).toString());
        options.put("bootstrap", r.bootstrap());
        options.put("seed", r.seed());
        List<RunResult.ModelRef> models = new ArrayList<>();
        all.forEach(run -> run.model().ifPresent(models::add));
        String runId = Results.newRunId("compare", label(a) + "-vs-" + label(b));
        Path outDir = r.outDir() != null ? r.outDir() : Results.defaultRunsDir().resolve(runId);
        double wall = (System.nanoTime() - t0) / 1e9;
        try {
            RunResult result = new RunResult(RunResult.SCHEMA_VERSION, runId, "compare", models, task, metrics,
                    new RunResult.Timings(started.toString(), Instant.now().toString(), wall, Map.of("compare", wall)),
                    details, Provenance.capture(r.seed(), options, all.stream().map(Run::predictions).toList()));
            Results.write(result, outDir);
            return result;
        } catch (IOException e) {
            throw ShrinkException.failed("cannot write the comparison in " + outDir + ": " + e.getMessage(), e);
        }
    }

    /** The first run's label, with the group's size when it has several runs. */
    private static String label(List<Run> group) {
        return group.get(0).label() + (group.size() > 1 ? "-x" + group.size() : "");
    }

    /** The sample standard deviation (n - 1), or null for a single run. */
    private static Double stdev(List<Double> xs) {
        return xs.size() < 2 ? null : new StandardDeviation(true).evaluate(xs.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static Double finite(double x) {
        return Double.isFinite(x) ? x : null;
    }

    /** Checks that B has exactly A's examples with the same gold. */
    private static void sameExamples(Run a, Run b) {
        int common = 0;
        for (Map.Entry<String, Row> e : a.rows.entrySet()) {
            Row other = b.rows.get(e.getKey());
            if (other != null) {
                common++;
                if (!e.getValue().gold.equals(other.gold)) {
                    throw ShrinkException.usage("the runs disagree on the gold answer of example " + e.getValue().id
                            + " (" + e.getValue().set + "): " + e.getValue().gold + " in " + a.predictions + ", "
                            + other.gold + " in " + b.predictions);
                }
            }
        }
        if (common != a.rows.size() || common != b.rows.size()) {
            throw ShrinkException.usage("the runs were scored on different examples: " + a.rows.size() + " in "
                    + a.predictions + ", " + b.rows.size() + " in " + b.predictions + ", " + common + " in both");
        }
    }

    private static List<String> sets(Run a, List<String> order) {
        return order.stream().map(k -> a.rows.get(k).set).distinct().toList();
    }

    /** The metrics of {@code task}, each able to read its predictions and references from the rows. */
    private static List<PredictionMetric<?, ?>> scorers(String task, Run a) {
        Optional<Task> t = Tasks.find(task);
        if (t.isEmpty()) {
            throw ShrinkException.usage("compare needs runs of one task (" + String.join(", ", Tasks.names()) + "); "
                    + a.predictions.getParent() + " is a '" + task + "' run");
        }
        return t.get().predictionMetrics();
    }

    /** {@code metric} compared between the runs of group {@code a} and of group {@code b} on the examples {@code keys}. */
    private static <P, R> PairedBootstrap.GroupComparison compare(PredictionMetric<P, R> metric, List<String> keys,
                                                                  List<Run> a, List<Run> b, int resamples, long seed) {
        List<R> gold = new ArrayList<>(keys.size());
        for (String k : keys) {
            gold.add(metric.reference().apply(a.get(0).rows.get(k).gold));
        }
        return PairedBootstrap.compareGroups(metric.metric(), predictions(metric, keys, a), predictions(metric, keys, b),
                gold, resamples, seed);
    }

    private static <P> List<List<P>> predictions(PredictionMetric<P, ?> metric, List<String> keys, List<Run> group) {
        List<List<P>> out = new ArrayList<>();
        for (Run run : group) {
            List<P> p = new ArrayList<>(keys.size());
            for (String k : keys) {
                p.add(metric.prediction().apply(run.rows.get(k).prediction));
            }
            out.add(p);
        }
        return out;
    }

    /** One example's line of {@code predictions.jsonl}. */
    private record Row(String set, String id, JsonNode prediction, JsonNode gold) {
    }

    /** A run read back: its result, its predictions file and the rows by set and id. */
    private record Run(Path dir, RunResult result, Path predictions, Map<String, Row> rows) {
        static Run read(Path path) {
            Path dir = Files.isRegularFile(path) ? path.toAbsolutePath().getParent() : path;
            Path resultFile = dir.resolve(Results.RESULT_FILE);
            Path predictions = dir.resolve(Predictions.FILE);
            if (!Files.isDirectory(dir)) {
                throw ShrinkException.corrupt("no run at " + path);
            }
            if (!Files.isRegularFile(resultFile) || !Files.isRegularFile(predictions)) {
                throw ShrinkException.corrupt(dir + " holds no " + (Files.isRegularFile(resultFile) ? Predictions.FILE
                        : Results.RESULT_FILE) + "; compare needs the run directory of an evaluate, fine-tune or distill run");
            }
            RunResult result = Results.read(resultFile);
            Map<String, Row> rows = new LinkedHashMap<>();
            try (BufferedReader in = Files.newBufferedReader(predictions, StandardCharsets.UTF_8)) {
                String line;
                int n = 0;
                while ((line = in.readLine()) != null) {
                    n++;
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode node;
                    try {
                        node = Json.MAPPER.readTree(line);
                    } catch (IOException e) {
                        throw ShrinkException.corrupt(predictions + ":" + n + ": not a JSON line");
                    }
                    JsonNode id = node.get("id");
                    JsonNode prediction = node.get("prediction");
                    JsonNode gold = node.get("gold");
                    if (id == null || prediction == null || gold == null || gold.isNull()) {
                        throw ShrinkException.corrupt(predictions + ":" + n + ": needs id, prediction and gold");
                    }
                    String set = node.hasNonNull("set") ? node.get("set").asText() : DEFAULT_SET;
                    if (rows.put(set + "\u0000" + id.asText(), new Row(set, id.asText(), prediction, gold)) != null) {
                        throw ShrinkException.corrupt(predictions + ":" + n + ": example " + id.asText() + " appears twice");
                    }
                }
            } catch (IOException e) {
                throw ShrinkException.corrupt("cannot read " + predictions + ": " + e.getMessage(), e);
            }
            if (rows.isEmpty()) {
                throw ShrinkException.corrupt(predictions + " is empty");
            }
            return new Run(dir, result, predictions, rows);
        }

        Optional<RunResult.ModelRef> model() {
            return result.models() == null || result.models().isEmpty() ? Optional.empty()
                    : Optional.of(result.models().get(0));
        }

        String label() {
            return model().map(RunResult.ModelRef::id).orElse(dir.getFileName().toString());
        }

        Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("run", dir.toString());
            m.put("runId", result.runId());
            m.put("command", result.command());
            m.put("model", model().map(RunResult.ModelRef::id).orElse(null));
            return m;
        }
    }
}
