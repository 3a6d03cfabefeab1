package io.shrink.core.compare;

import com.fasterxml.jackson.databind.JsonNode;
import io.shrink.core.ShrinkException;
import io.shrink.core.data.GlueTask;
import io.shrink.core.data.ImdbReader;
import io.shrink.core.eval.Metric;
import io.shrink.core.eval.Metrics;
import io.shrink.core.eval.PairedBootstrap;
import io.shrink.core.eval.SquadMetrics;
import io.shrink.core.finetune.FineTuneService;
import io.shrink.core.finetune.SequenceData;
import io.shrink.core.results.Provenance;
import io.shrink.core.results.Results;
import io.shrink.core.results.RunResult;
import io.shrink.core.util.Json;

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
 * distillation) with a {@link PairedBootstrap} of every metric of their task, from the {@code predictions.jsonl}
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
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        Run a = Run.read(r.a());
        Run b = Run.read(r.b());
        String task = a.result.task();
        if (task == null || !task.equalsIgnoreCase(Objects.requireNonNullElse(b.result.task(), ""))) {
            throw ShrinkException.usage("the runs are on different tasks: " + task + " (" + r.a() + ") and "
                    + b.result.task() + " (" + r.b() + ")");
        }
        List<String> order = sameExamples(a, b);
        Map<String, PairedBootstrap.Comparison> comparisons = new LinkedHashMap<>();
        for (String set : sets(a, order)) {
            List<String> keys = order.stream().filter(k -> a.rows.get(k).set.equals(set)).toList();
            String suffix = set.equals(DEFAULT_SET) ? "" : "_" + set;
            for (Scorer<?, ?> s : scorers(task, a)) {
                comparisons.put(s.metricKey + suffix, s.compare(keys, a, b, r.bootstrap(), r.seed()));
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
            table.put(key, row);
        });
        Map<String, Object> details = new TreeMap<>();
        details.put("a", a.describe());
        details.put("b", b.describe());
        details.put("comparisons", table);
        details.put("examples", order.size());
        details.put("resamples", r.bootstrap());
        Map<String, Object> options = new TreeMap<>();
        options.put("a", r.a().toString());
        options.put("b", r.b().toString());
        options.put("bootstrap", r.bootstrap());
        options.put("seed", r.seed());
        List<RunResult.ModelRef> models = new ArrayList<>();
        a.model().ifPresent(models::add);
        b.model().ifPresent(models::add);
        String runId = Results.newRunId("compare", a.label() + "-vs-" + b.label());
        Path outDir = r.outDir() != null ? r.outDir() : Results.defaultRunsDir().resolve(runId);
        double wall = (System.nanoTime() - t0) / 1e9;
        try {
            RunResult result = new RunResult(RunResult.SCHEMA_VERSION, runId, "compare", models, a.result.task(), metrics,
                    new RunResult.Timings(started.toString(), Instant.now().toString(), wall, Map.of("compare", wall)),
                    details, Provenance.capture(r.seed(), options, List.of(a.predictions, b.predictions)));
            Results.write(result, outDir);
            return result;
        } catch (IOException e) {
            throw ShrinkException.failed("cannot write the comparison in " + outDir + ": " + e.getMessage(), e);
        }
    }

    private static Double finite(double x) {
        return Double.isFinite(x) ? x : null;
    }

    /** A's example keys in file order, after checking that B has exactly the same examples with the same gold. */
    private static List<String> sameExamples(Run a, Run b) {
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
        return new ArrayList<>(a.rows.keySet());
    }

    private static List<String> sets(Run a, List<String> order) {
        return order.stream().map(k -> a.rows.get(k).set).distinct().toList();
    }

    /** The metrics of {@code task}, each able to read its predictions and references from the rows. */
    private static List<Scorer<?, ?>> scorers(String task, Run a) {
        if (task.equalsIgnoreCase("squad")) {
            Function<JsonNode, String> text = JsonNode::asText;
            Function<JsonNode, List<String>> answers = g -> {
                List<String> l = new ArrayList<>();
                g.forEach(x -> l.add(x.asText()));
                return l;
            };
            return List.<Scorer<?, ?>>of(new Scorer<>("exact_match", SquadMetrics.EXACT_MATCH, text, answers),
                    new Scorer<>("f1", SquadMetrics.F1, text, answers));
        }
        if (!SequenceData.isSequenceTask(task)) {
            throw ShrinkException.usage("compare needs runs of one GLUE task, imdb or squad; " + a.predictions.getParent()
                    + " is a '" + task + "' run");
        }
        boolean imdb = task.equalsIgnoreCase(SequenceData.IMDB);
        GlueTask glue = imdb ? null : GlueTask.of(task);
        List<String> names = imdb ? List.of("accuracy") : glue.metrics();
        List<Scorer<?, ?>> scorers = new ArrayList<>();
        if (glue != null && glue.regression()) {
            Function<JsonNode, Double> score = n -> {
                if (!n.isNumber()) {
                    throw ShrinkException.corrupt(a.predictions + ": a " + task + " score must be a number, got " + n);
                }
                return n.asDouble();
            };
            names.forEach(n -> scorers.add(new Scorer<>(n, Metrics.regression(n), score, score)));
        } else {
            List<String> labels = imdb ? ImdbReader.LABELS : glue.labels();
            Function<JsonNode, Integer> index = n -> {
                int i = labels.indexOf(n.asText());
                if (i < 0) {
                    throw ShrinkException.corrupt("predictions of " + task + " use the unknown label '" + n.asText()
                            + "' (labels: " + String.join(", ", labels) + ")");
                }
                return i;
            };
            names.forEach(n -> scorers.add(new Scorer<>(n, Metrics.classification(n), index, index)));
        }
        return scorers;
    }

    /** One metric with the functions that turn a row's prediction and gold into the metric's types. */
    private record Scorer<P, R>(String metricKey, Metric<P, R> metric, Function<JsonNode, P> prediction,
                                Function<JsonNode, R> reference) {
        PairedBootstrap.Comparison compare(List<String> keys, Run a, Run b, int resamples, long seed) {
            List<P> pa = new ArrayList<>(keys.size());
            List<P> pb = new ArrayList<>(keys.size());
            List<R> gold = new ArrayList<>(keys.size());
            for (String k : keys) {
                pa.add(prediction.apply(a.rows.get(k).prediction));
                pb.add(prediction.apply(b.rows.get(k).prediction));
                gold.add(reference.apply(a.rows.get(k).gold));
            }
            return PairedBootstrap.compare(metric, pa, pb, gold, resamples, seed);
        }
    }

    /** One example's line of {@code predictions.jsonl}. */
    private record Row(String set, String id, JsonNode prediction, JsonNode gold) {
    }

    /** A run read back: its result, its predictions file and the rows by set and id. */
    private record Run(Path dir, RunResult result, Path predictions, Map<String, Row> rows) {
        static Run read(Path path) {
            Path dir = Files.isRegularFile(path) ? path.toAbsolutePath().getParent() : path;
            Path resultFile = dir.resolve(Results.RESULT_FILE);
            Path predictions = dir.resolve(FineTuneService.PREDICTIONS);
            if (!Files.isDirectory(dir)) {
                throw ShrinkException.corrupt("no run at " + path);
            }
            if (!Files.isRegularFile(resultFile) || !Files.isRegularFile(predictions)) {
                throw ShrinkException.corrupt(dir + " holds no " + (Files.isRegularFile(resultFile) ? FineTuneService.PREDICTIONS
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
