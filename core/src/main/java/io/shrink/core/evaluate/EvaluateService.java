package io.shrink.core.evaluate;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.shrink.core.ShrinkException;
import io.shrink.core.data.DataDirs;
import io.shrink.core.eval.Bootstrap;
import io.shrink.core.eval.GlueScore;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.ComputePrecision;
import io.shrink.core.model.Encoder;
import io.shrink.core.models.ModelService;
import io.shrink.core.registry.RegistryEntry;
import io.shrink.core.results.Provenance;
import io.shrink.core.results.Results;
import io.shrink.core.results.RunResult;
import io.shrink.core.task.FeatureOptions;
import io.shrink.core.task.Predictions;
import io.shrink.core.task.Task;
import io.shrink.core.task.TaskData;
import io.shrink.core.task.TaskScores;
import io.shrink.core.task.Tasks;
import io.shrink.core.tokenize.WordPieceTokenizer;
import io.shrink.core.train.Progress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Evaluates fine-tuned models with the official metrics and 95% bootstrap intervals: one task, or every
 * GLUE task found in the data directory with the GLUE macro score. Writes {@code result.json} and
 * {@code predictions.jsonl}.
 */
public final class EvaluateService {
    private final ModelService models;

    /** A service over the given registry. */
    public EvaluateService(ModelService models) {
        this.models = models;
    }

    /** Runs the evaluation and returns the written result. */
    public RunResult run(EvaluateRequest r, Progress progress) {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        models.show(r.model());
        boolean suite = r.task().equalsIgnoreCase(Tasks.GLUE_SUITE);
        List<Task> tasks = suite ? glueTasksIn(r) : List.of(Tasks.of(r.task()));
        String label = suite ? Tasks.GLUE_SUITE : tasks.get(0).name();
        Map<String, RunResult.Metric> metrics = new TreeMap<>();
        Map<String, Double> taskScores = new TreeMap<>();
        Map<String, Object> details = new TreeMap<>();
        List<RunResult.ModelRef> refs = new ArrayList<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<double[]> scoreReplicates = new ArrayList<>();
        Map<String, Object> maxLengths = new TreeMap<>();
        Map<String, Object> headTails = new TreeMap<>();
        Map<String, Object> taskOptions = new TreeMap<>();
        try (NDManager manager = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(), "PyTorch")) {
            for (Task task : tasks) {
                Optional<RegistryEntry> entry = modelFor(r.model(), task, suite);
                if (entry.isEmpty()) {
                    missing.add(task.name());
                    continue;
                }
                RegistryEntry e = entry.get();
                task.checkHead(e.head(), e.id());
                TaskData data = task.load(r.data(), r.seed(), false);
                FeatureOptions features = new FeatureOptions(
                        r.maxLength() > 0 ? r.maxLength() : trainedOption(e, "maxLength", task.defaultMaxLength()),
                        trainedOption(e, "headTail", false),
                        trainedOption(e, "docStride", FeatureOptions.DOC_STRIDE),
                        trainedOption(e, "maxQueryLength", FeatureOptions.MAX_QUERY_LENGTH));
                FeatureOptions.checkMaxLength(features.maxLength(), e.config().maxPositions(), "model '" + e.id() + "'");
                Checkpoint ckpt = models.load(e.id());
                WordPieceTokenizer tok = new WordPieceTokenizer(ckpt.tokenizer());
                progress.message("evaluating " + e.id() + " on " + task.name() + " ("
                        + data.describeEvaluation(tok, features) + ")");
                TaskScores o;
                try (Encoder encoder = Encoder.load(ckpt, manager)) {
                    encoder.runLinearsIn(r.precision().linears());
                    o = data.score(encoder, tok, features, r.bootstrap(), r.seed(), null);
                }
                String prefix = suite ? task.name() + "/" : "";
                o.metrics().forEach((k, m) -> metrics.put(prefix + k, m));
                taskScores.put(task.name(), o.score());
                scoreReplicates.add(o.scoreReplicates());
                maxLengths.put(task.name(), features.maxLength());
                headTails.put(task.name(), features.headTail());
                taskOptions.putAll(task.recordedOptions(r.data(), features));
                refs.add(e.ref());
                for (Map<String, Object> row : o.predictions()) {
                    Map<String, Object> withTask = new LinkedHashMap<>();
                    withTask.put("task", task.name());
                    withTask.putAll(row);
                    rows.add(withTask);
                }
                files.addAll(data.files());
                Map<String, Object> recorded = new TreeMap<>();
                o.metrics().forEach((k, m) -> recorded.put(k, m.value()));
                recorded.put("score", o.score());
                models.registry().updateMetrics(e.id(), task.name()
                        + (r.precision() == ComputePrecision.FP32 ? "" : "@" + r.precision()), recorded);
            }
        }
        if (refs.isEmpty()) {
            throw ShrinkException.usage("no model to evaluate: '" + r.model() + "' has no head for "
                    + tasks.stream().map(Task::name).toList()
                    + " and no model fine-tuned from it on them; run 'shrink fine-tune' first");
        }
        details.put("taskScores", taskScores);
        if (suite) {
            double macro = GlueScore.macro(taskScores);
            metrics.put("glue_macro", r.bootstrap() > 0
                    ? Bootstrap.interval(macro, GlueScore.macroReplicates(scoreReplicates), r.seed()).toMetric(true)
                    : RunResult.Metric.of(macro, true));
            details.put("tasksMissing", missing);
            details.put("macroOver", new ArrayList<>(taskScores.keySet()));
        }
        details.put("bootstrapResamples", r.bootstrap());
        details.put("maxExamples", r.data().maxEvalExamples());
        details.put("precision", r.precision().label());
        Map<String, Object> options = new TreeMap<>(taskOptions);
        options.put("model", r.model());
        options.put("task", r.task());
        options.put("maxExamples", r.data().maxEvalExamples());
        options.put("maxLength", suite ? maxLengths : maxLengths.values().iterator().next());
        options.put("headTail", suite ? headTails : headTails.values().iterator().next());
        options.put("bootstrap", r.bootstrap());
        options.put("precision", r.precision().label());
        return write(r, label, refs, metrics, details, options, files, rows, started, t0);
    }

    /** The GLUE tasks whose directories exist under the GLUE data directory. */
    private static List<Task> glueTasksIn(EvaluateRequest r) {
        Path dir = DataDirs.resolve(DataDirs.Kind.GLUE, r.data().dir());
        List<Task> tasks = Tasks.glue().stream().filter(t -> Files.isDirectory(dir.resolve(t.glue().dirName())))
                .map(Task.class::cast).toList();
        if (tasks.isEmpty()) {
            throw ShrinkException.corrupt(dir + ": no GLUE task directories (CoLA, SST-2, ...)");
        }
        return tasks;
    }

    private RunResult write(EvaluateRequest r, String task, List<RunResult.ModelRef> refs, Map<String, RunResult.Metric> metrics,
                            Map<String, Object> details, Map<String, Object> options, List<Path> files,
                            List<Map<String, Object>> rows, Instant started, long t0) {
        String runId = r.outDir() != null ? r.outDir().getFileName().toString() : Results.newRunId("evaluate", r.model() + "-" + task);
        Path outDir = r.outDir() != null ? r.outDir() : Results.defaultRunsDir().resolve(runId);
        try {
            RunResult result = new RunResult(RunResult.SCHEMA_VERSION, runId, "evaluate", refs, task, metrics,
                    new RunResult.Timings(started.truncatedTo(ChronoUnit.SECONDS).toString(),
                            Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), (System.nanoTime() - t0) / 1e9, null),
                    details, Provenance.capture(r.seed(), options, files));
            Files.createDirectories(outDir);
            Predictions.write(outDir.resolve(Predictions.FILE), rows);
            Results.write(result, outDir);
            return result;
        } catch (IOException e) {
            throw ShrinkException.failed("cannot write the evaluation in " + outDir + ": " + e.getMessage(), e);
        }
    }

    /** The model itself when it was fine-tuned on {@code task}, else its most recent fine-tuned child for it. */
    private Optional<RegistryEntry> modelFor(String model, Task task, boolean lookAtChildren) {
        RegistryEntry self = models.show(model);
        if (task.name().equals(taskOf(self)) || !lookAtChildren) {
            return Optional.of(self);
        }
        return models.list().stream()
                .filter(e -> model.equals(e.parent()) && task.name().equals(taskOf(e)))
                .max(Comparator.comparing(RegistryEntry::createdAt));
    }

    private static String taskOf(RegistryEntry e) {
        if (e.producedBy() == null || e.producedBy().options() == null) {
            return null;
        }
        Object t = e.producedBy().options().get("task");
        return t == null ? null : Tasks.find(t.toString()).map(Task::name).orElse(t.toString());
    }

    @SuppressWarnings("unchecked")
    private static <T> T trainedOption(RegistryEntry e, String name, T fallback) {
        if (e.producedBy() == null || e.producedBy().options() == null) {
            return fallback;
        }
        Object v = e.producedBy().options().get(name);
        return v != null && fallback.getClass().isInstance(v) ? (T) v : fallback;
    }
}
