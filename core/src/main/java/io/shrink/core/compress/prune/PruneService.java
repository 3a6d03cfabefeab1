package io.shrink.core.compress.prune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.shrink.core.ShrinkException;
import io.shrink.core.bench.ModelCost;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Encoder;
import io.shrink.core.models.ModelService;
import io.shrink.core.registry.ModelId;
import io.shrink.core.registry.RegistryEntry;
import io.shrink.core.results.Provenance;
import io.shrink.core.results.Results;
import io.shrink.core.results.RunResult;
import io.shrink.core.task.DataOptions;
import io.shrink.core.task.FeatureOptions;
import io.shrink.core.task.Task;
import io.shrink.core.task.TaskData;
import io.shrink.core.task.Tasks;
import io.shrink.core.tokenize.WordPieceTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code shrink prune}: scores every attention head and FFN neuron of a registry model ({@link Importance}), removes
 * the least important shares of them physically ({@link StructuredPruning}), stores the smaller model with its
 * lineage and writes a {@code prune} result: the plan, the scores, parameters and FLOPs before and after. No training
 * happens here; recovery is a distillation from the unpruned model ({@code shrink distill PARENT --student PRUNED}).
 */
public final class PruneService {
    /** The scoring criteria. */
    public static final List<String> CRITERIA = List.of("importance", "magnitude");
    /** The sequence length FLOPs are reported at. */
    private static final int FLOPS_SEQ = 128;

    private final ModelService models;

    /** A service over the given registry. */
    public PruneService(ModelService models) {
        this.models = models;
    }

    /**
     * The outcome.
     *
     * @param entry  the stored pruned model
     * @param plan   what was kept
     * @param result the run's result
     * @param file   where the result was written
     */
    public record Outcome(RegistryEntry entry, PrunePlan plan, RunResult result, Path file) {
    }

    /** Prunes, stores and records; {@code runDir} null makes a new run folder. */
    public Outcome run(PruneRequest r, Path runDir, java.util.function.Consumer<String> progress) {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        if (!CRITERIA.contains(r.criterion())) {
            throw ShrinkException.usage("--criterion must be one of " + String.join(", ", CRITERIA) + ", not '" + r.criterion() + "'");
        }
        if (!(r.headFraction() >= 0 && r.headFraction() < 1) || !(r.ffnFraction() >= 0 && r.ffnFraction() < 1)) {
            throw ShrinkException.usage("--heads and --ffn are shares to remove, in [0, 1); got " + r.headFraction()
                    + " and " + r.ffnFraction());
        }
        String outputId = ModelId.validate(r.outputId() != null ? r.outputId() : r.model() + "-pruned");
        if (!r.force() && models.registry().exists(outputId)) {
            throw ShrinkException.usage("model '" + outputId + "' already exists; use --force to replace it");
        }
        RegistryEntry parent = models.show(r.model());
        if (parent.quantization() != null) {
            throw ShrinkException.usage("model '" + r.model() + "' is quantised (" + parent.quantization().scheme()
                    + "); prune its float parent, then quantise the pruned model");
        }
        Task task = null;
        if (r.criterion().equals("importance")) {
            if (r.task() == null) {
                throw ShrinkException.usage("--criterion importance needs --task (the loss that scores heads and neurons)");
            }
            task = Tasks.of(r.task());
            task.checkHead(parent.head(), parent.id());
        }
        Checkpoint model = models.load(r.model());
        Importance scores;
        List<Path> files = new ArrayList<>();
        int maxLength = 0;
        if (task != null) {
            FeatureOptions features = FeatureOptions.defaults().resolvedFor(task);
            // 0: the task's default, at most the model's positions
            features = features.withMaxLength(r.maxLength() > 0 ? r.maxLength()
                    : Math.min(features.maxLength(), model.config().maxPositions()));
            FeatureOptions.checkMaxLength(features.maxLength(), model.config().maxPositions(), "model '" + r.model() + "'");
            maxLength = features.maxLength();
            DataOptions sample = new DataOptions(r.data().dir(), r.batches() * r.batchSize(), 0, r.data().trainArticles(),
                    r.data().evalArticles());
            TaskData data = task.load(sample, r.seed(), true);
            files.addAll(data.files());
            progress.accept("scoring heads and FFN neurons of " + r.model() + " on " + r.batches() + " batches of "
                    + r.batchSize() + " " + task.name() + " training examples");
            try (NDManager m = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(), "PyTorch");
                 Encoder encoder = Encoder.load(model, m)) {
                scores = Importance.ofTask(encoder, data.training(new WordPieceTokenizer(model.tokenizer()), features,
                        r.batchSize(), r.seed()), r.batches(), r.seed());
            }
        } else {
            scores = Importance.ofMagnitude(model);
        }
        PrunePlan plan = scores.plan(r.headFraction(), r.ffnFraction()).checkedFor(model.config());
        Checkpoint pruned = StructuredPruning.apply(model, plan);
        Map<String, Object> options = new TreeMap<>();
        options.put("model", r.model());
        options.put("modelSha256", parent.contentSha256());
        if (task != null) {
            options.put("task", task.name());
            options.put("batches", r.batches());
            options.put("batchSize", r.batchSize());
            options.put("maxLength", maxLength);
        }
        options.put("heads", r.headFraction());
        options.put("ffn", r.ffnFraction());
        options.put("criterion", r.criterion());
        options.put("seed", r.seed());
        options.put("outputId", outputId);
        RegistryEntry stored = models.add(pruned, outputId, r.force(), r.model(),
                new RegistryEntry.Lineage("prune", r.model(), options, null));

        long paramsBefore = ModelCost.parameters(model.config(), false);
        long paramsAfter = ModelCost.parameters(pruned.config(), false);
        long flopsBefore = ModelCost.flopsPerSequence(model.config(), FLOPS_SEQ);
        long flopsAfter = ModelCost.flopsPerSequence(pruned.config(), FLOPS_SEQ);
        Map<String, Object> details = new TreeMap<>();
        details.put("parent", r.model());
        details.put("outputModel", stored.id());
        details.put("criterion", r.criterion());
        details.put("layerHeads", heads(pruned));
        details.put("layerFfn", ffn(pruned));
        details.put("keptHeads", plan.heads());
        details.put("headScores", scores.heads());
        details.put("encoderParametersBefore", paramsBefore);
        details.put("encoderParametersAfter", paramsAfter);
        details.put("flopsPerSequenceBefore", flopsBefore);
        details.put("flopsPerSequenceAfter", flopsAfter);
        details.put("flopsSeq", FLOPS_SEQ);
        details.put("notes", List.of("no training step was taken: recover accuracy with 'shrink distill " + r.model()
                + (task != null ? " --task " + task.name() : "") + " --student " + stored.id() + "'",
                "heads and neurons are removed, not masked: the model is smaller and its FLOPs fall as flopsPerSequence says"));
        Map<String, RunResult.Metric> metrics = new TreeMap<>();
        metrics.put("headsKept", RunResult.Metric.of(plan.headCount(), null));
        metrics.put("neuronsKept", RunResult.Metric.of(plan.neuronCount(), null));
        metrics.put("parameterRatio", RunResult.Metric.of((double) paramsAfter / paramsBefore, false));
        metrics.put("flopsRatio", RunResult.Metric.of((double) flopsAfter / flopsBefore, false));
        RunResult result;
        try {
            result = new RunResult(RunResult.SCHEMA_VERSION,
                    runDir != null ? runDir.getFileName().toString() : Results.newRunId("prune", outputId), "prune",
                    List.of(parent.ref(), stored.ref()), task != null ? task.name() : null, metrics,
                    new RunResult.Timings(started.truncatedTo(ChronoUnit.SECONDS).toString(),
                            Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), (System.nanoTime() - t0) / 1e9, null),
                    details, Provenance.capture(r.seed(), options, files));
        } catch (IOException e) {
            throw ShrinkException.failed("could not record the prune run: " + e.getMessage(), e);
        }
        Path file = Results.write(result, runDir != null ? runDir : Results.defaultRunsDir().resolve(result.runId()));
        return new Outcome(stored, plan, result, file);
    }

    private static List<Integer> heads(Checkpoint c) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < c.config().storedLayers(); i++) {
            out.add(c.config().headsOf(i));
        }
        return out;
    }

    private static List<Integer> ffn(Checkpoint c) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < c.config().storedLayers(); i++) {
            out.add(c.config().ffnOf(i));
        }
        return out;
    }

    /** A one-line summary: heads and neurons kept, parameters and FLOPs as a share of the parent's. */
    public static String summary(Outcome o) {
        Map<String, RunResult.Metric> m = o.result().metrics();
        return String.format(Locale.ROOT, "pruned into %s: %d heads and %d FFN neurons kept; encoder parameters %.1f%%, FLOPs %.1f%% of the parent's",
                o.entry().id(), o.plan().headCount(), o.plan().neuronCount(), 100 * m.get("parameterRatio").value(),
                100 * m.get("flopsRatio").value());
    }
}
