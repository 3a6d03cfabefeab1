package io.shrink.core.finetune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.data.DataDirs;
import io.shrink.core.data.GlueTask;
import io.shrink.core.eval.Bootstrap;
import io.shrink.core.eval.GlueScore;
import io.shrink.core.model.Encoder;
import io.shrink.core.models.ModelService;
import io.shrink.core.registry.RegistryEntry;
import io.shrink.core.results.Provenance;
import io.shrink.core.results.Results;
import io.shrink.core.results.RunResult;
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
    /** Task name that evaluates every GLUE task in the directory. */
    public static final String GLUE = "glue";

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
        if (r.task().equalsIgnoreCase("squad")) {
            return squad(r, started, t0, progress);
        }
        List<String> tasks;
        if (r.task().equalsIgnoreCase(GLUE)) {
            Path dir = DataDirs.resolve(DataDirs.Kind.GLUE, r.dataDir());
            tasks = GlueTask.ALL.stream().filter(t -> Files.isDirectory(dir.resolve(t.dirName()))).map(GlueTask::name).toList();
            if (tasks.isEmpty()) {
                throw ShrinkException.corrupt(dir + ": no GLUE task directories (CoLA, SST-2, ...)");
            }
        } else if (SequenceData.isSequenceTask(r.task())) {
            tasks = List.of(r.task().toLowerCase());
        } else {
            throw ShrinkException.usage("unknown task '" + r.task() + "' (glue, a GLUE task, or imdb)");
        }
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
        boolean many = tasks.size() > 1 || r.task().equalsIgnoreCase(GLUE);
        try (NDManager manager = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(), "PyTorch")) {
            for (String task : tasks) {
                Optional<RegistryEntry> entry = modelFor(r.model(), task, many);
                if (entry.isEmpty()) {
                    missing.add(task);
                    continue;
                }
                RegistryEntry e = entry.get();
                SequenceData data = SequenceData.load(task, r.dataDir(), false);
                Map<String, List<io.shrink.core.data.Example>> eval = new LinkedHashMap<>();
                data.evalSets().forEach((k, v) -> eval.put(k, FineTuneService.take(v, r.maxExamples(), r.seed())));
                data = new SequenceData(data.name(), data.labels(), data.regression(), List.of(), eval, data.metrics(),
                        data.files(), data.glue());
                Checkpoint ckpt = models.load(e.id());
                checkHead(e, data);
                int maxLength = r.maxLength() > 0 ? r.maxLength() : trainedOption(e, "maxLength", 128);
                boolean headTail = trainedOption(e, "headTail", false);
                WordPieceTokenizer tok = new WordPieceTokenizer(ckpt.tokenizer());
                Map<String, List<Features.Feature>> features = new LinkedHashMap<>();
                data.evalSets().forEach((k, v) -> features.put(k, Features.encode(tok, v, maxLength, headTail)));
                progress.message("evaluating " + e.id() + " on " + data.name() + " ("
                        + features.values().stream().mapToInt(List::size).sum() + " examples)");
                SequenceEvaluator.Outcome o;
                try (Encoder encoder = Encoder.load(ckpt, manager)) {
                    o = SequenceEvaluator.evaluate(encoder, data, features, r.bootstrap(), r.seed());
                }
                String prefix = many ? data.name() + "/" : "";
                o.metrics().forEach((k, m) -> metrics.put(prefix + k, m));
                taskScores.put(data.name(), o.score());
                scoreReplicates.add(o.scoreReplicates());
                maxLengths.put(data.name(), maxLength);
                headTails.put(data.name(), headTail);
                refs.add(new RunResult.ModelRef(e.id(), e.contentSha256(), e.family(), e.parameters()));
                for (Map<String, Object> row : o.predictions()) {
                    Map<String, Object> withTask = new LinkedHashMap<>();
                    withTask.put("task", data.name());
                    withTask.putAll(row);
                    rows.add(withTask);
                }
                files.addAll(data.files());
                Map<String, Object> recorded = new TreeMap<>();
                o.metrics().forEach((k, m) -> recorded.put(k, m.value()));
                recorded.put("score", o.score());
                models.registry().updateMetrics(e.id(), data.name(), recorded);
            }
        }
        if (refs.isEmpty()) {
            throw ShrinkException.usage("no model to evaluate: '" + r.model() + "' has no head for " + tasks
                    + " and no model fine-tuned from it on them; run 'shrink fine-tune' first");
        }
        details.put("taskScores", taskScores);
        if (many) {
            double macro = GlueScore.macro(taskScores);
            metrics.put("glue_macro", r.bootstrap() > 0
                    ? Bootstrap.interval(macro, GlueScore.macroReplicates(scoreReplicates), r.seed()).toMetric(true)
                    : RunResult.Metric.of(macro, true));
            details.put("tasksMissing", missing);
            details.put("macroOver", new ArrayList<>(taskScores.keySet()));
        }
        details.put("bootstrapResamples", r.bootstrap());
        details.put("maxExamples", r.maxExamples());
        Map<String, Object> options = new TreeMap<>();
        options.put("model", r.model());
        options.put("task", r.task());
        options.put("maxExamples", r.maxExamples());
        options.put("maxLength", many ? maxLengths : maxLengths.values().iterator().next());
        options.put("headTail", many ? headTails : headTails.values().iterator().next());
        options.put("bootstrap", r.bootstrap());
        return write(r, r.task().toLowerCase(), refs, metrics, details, options, files, rows, started, t0);
    }

    private RunResult squad(EvaluateRequest r, Instant started, long t0, Progress progress) {
        RegistryEntry e = models.show(r.model());
        if (!e.head().type().equals("qa")) {
            throw ShrinkException.usage("model '" + e.id() + "' has head '" + e.head().type()
                    + "'; SQuAD needs a QA head (fine-tune it on squad first)");
        }
        SquadSplit split = SquadSplit.load(r.dataDir(), null, r.evalArticles(), false);
        List<io.shrink.core.data.SquadDataset.Question> questions = FineTuneService.take(split.eval(), r.maxExamples(), r.seed());
        Checkpoint ckpt = models.load(e.id());
        int maxLength = r.maxLength() > 0 ? r.maxLength() : trainedOption(e, "maxLength", 384);
        int docStride = trainedOption(e, "docStride", 128);
        int maxQueryLength = trainedOption(e, "maxQueryLength", 64);
        List<SquadFeatures.Window> windows = SquadFeatures.encode(new WordPieceTokenizer(ckpt.tokenizer()), questions,
                maxLength, docStride, maxQueryLength, false);
        progress.message("evaluating " + e.id() + " on " + questions.size() + " SQuAD questions (" + windows.size() + " windows)");
        SquadTask.Outcome o;
        try (NDManager manager = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(), "PyTorch");
             Encoder encoder = Encoder.load(ckpt, manager)) {
            o = SquadTask.evaluate(encoder, questions, windows, r.bootstrap(), r.seed());
        }
        Map<String, Object> recorded = new TreeMap<>();
        o.metrics().forEach((k, m) -> recorded.put(k, m.value()));
        models.registry().updateMetrics(e.id(), "squad", recorded);
        Map<String, Object> details = new TreeMap<>();
        details.put("questions", questions.size());
        details.put("evalArticles", r.evalArticles() == null ? "all" : r.evalArticles());
        details.put("bootstrapResamples", r.bootstrap());
        Map<String, Object> options = new TreeMap<>();
        options.put("model", r.model());
        options.put("task", "squad");
        options.put("maxExamples", r.maxExamples());
        options.put("maxLength", maxLength);
        options.put("docStride", docStride);
        options.put("maxQueryLength", maxQueryLength);
        options.put("evalArticles", r.evalArticles());
        options.put("bootstrap", r.bootstrap());
        return write(r, "squad", List.of(new RunResult.ModelRef(e.id(), e.contentSha256(), e.family(), e.parameters())),
                o.metrics(), details, options, split.files(), o.predictions(), started, t0);
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
            FineTuneService.writePredictions(outDir.resolve(FineTuneService.PREDICTIONS), rows);
            Results.write(result, outDir);
            return result;
        } catch (IOException e) {
            throw ShrinkException.failed("cannot write the evaluation in " + outDir + ": " + e.getMessage(), e);
        }
    }

    /** The model itself when it was fine-tuned on {@code task}, else its most recent fine-tuned child for it. */
    private Optional<RegistryEntry> modelFor(String model, String task, boolean lookAtChildren) {
        RegistryEntry self = models.show(model);
        if (task.equals(taskOf(self)) || !lookAtChildren) {
            return Optional.of(self);
        }
        return models.list().stream()
                .filter(e -> model.equals(e.parent()) && task.equals(taskOf(e)))
                .max(Comparator.comparing(RegistryEntry::createdAt));
    }

    private static String taskOf(RegistryEntry e) {
        if (e.producedBy() == null || e.producedBy().options() == null) {
            return null;
        }
        Object t = e.producedBy().options().get("task");
        return t == null ? null : GlueTask.find(t.toString()).map(GlueTask::name).orElse(t.toString());
    }

    @SuppressWarnings("unchecked")
    private static <T> T trainedOption(RegistryEntry e, String name, T fallback) {
        if (e.producedBy() == null || e.producedBy().options() == null) {
            return fallback;
        }
        Object v = e.producedBy().options().get(name);
        return v != null && fallback.getClass().isInstance(v) ? (T) v : fallback;
    }

    private static void checkHead(RegistryEntry e, SequenceData data) {
        String type = e.head().type();
        boolean ok = data.regression() ? type.equals("regression")
                : type.equals("classification") && e.head().labels().size() == data.labels().size();
        if (!ok) {
            throw ShrinkException.usage("model '" + e.id() + "' has head '" + type + "' with " + e.head().labels().size()
                    + " labels; " + data.name() + " needs " + (data.regression() ? "a regression head"
                    : data.labels().size() + " labels") + " (fine-tune it on " + data.name() + " first)");
        }
    }
}
