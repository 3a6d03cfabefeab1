package io.shrink.core.finetune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.Heads;
import io.shrink.core.models.ModelService;
import io.shrink.core.registry.ModelId;
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
import io.shrink.core.train.Trainer;
import io.shrink.core.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fine-tunes a registry model on a text classification or regression task (GLUE, IMDb) and stores the
 * best checkpoint in the registry with its lineage, plus a result with provenance and per-example
 * predictions in the run directory.
 */
public final class FineTuneService {
    private final ModelService models;

    /** A service over the given registry. */
    public FineTuneService(ModelService models) {
        this.models = models;
    }

    /**
     * Runs the request and returns the written result; a paused run (see {@link FineTuneRequest#stopAfter})
     * returns a result with no models and {@code details.status = "paused"}, and writes only its checkpoint.
     */
    public RunResult run(FineTuneRequest r, Progress progress) {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        Task spec = Tasks.of(r.task());
        FeatureOptions features = r.features().resolvedFor(spec);
        String outputId = ModelId.validate(r.outputId() != null ? r.outputId() : r.model() + "-" + spec.name());
        if (!r.force() && models.registry().exists(outputId)) {
            throw ShrinkException.usage("model '" + outputId + "' already exists; use --force to replace it");
        }
        RegistryEntry parent = models.show(r.model());
        FeatureOptions.checkMaxLength(features.maxLength(), parent.config().maxPositions(), "model '" + r.model() + "'");
        TaskData job = spec.load(r.data(), r.train().seed(), true);
        Checkpoint base = models.load(r.model());
        Checkpoint start = Heads.attach(base, spec.head(Heads.defaultPooling(base.config().family())), r.train().seed());
        WordPieceTokenizer tok = new WordPieceTokenizer(start.tokenizer());
        Trainer.Task<?> task = job.training(tok, features, r.train().batchSize(), r.train().seed());

        Map<String, Object> options = options(r, spec, features, parent, outputId);
        Path given = r.run().runDir();
        String runId = given != null ? given.getFileName().toString()
                : Results.newRunId("fine-tune", r.model() + "-" + spec.name());
        Path runDir = given != null ? given : Results.defaultRunsDir().resolve(runId);
        if (!r.run().resume() && Files.isDirectory(runDir.resolve(Trainer.CHECKPOINT))) {
            throw ShrinkException.usage(runDir + " holds an interrupted run; continue it with --resume or choose another --run-dir");
        }
        progress.message("fine-tuning " + r.model() + " on " + spec.name() + ": " + job.trainSize()
                + " training examples, run directory " + runDir);

        try (NDManager manager = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(), "PyTorch")) {
            Trainer.Outcome outcome;
            Checkpoint best;
            // training runs in float32 from the float view of stored types, whatever the model ran as before
            try (Encoder encoder = Encoder.load(start.withQuantization(null), manager)) {
                outcome = new Trainer(r.train(), options, progress).run(encoder, task, runDir, r.run().resume(), r.run().stopAfter());
                if (outcome.paused()) {
                    Map<String, Object> details = new TreeMap<>();
                    details.put("status", "paused");
                    details.put("runDir", runDir.toAbsolutePath().toString());
                    details.put("steps", outcome.state().step());
                    return new RunResult(RunResult.SCHEMA_VERSION, runId, "fine-tune", List.of(), spec.name(),
                            Map.of(), null, details, null);
                }
                best = Trainer.withWeights(start, outcome.best());
            }
            long trainEnd = System.nanoTime();
            TaskScores finalEval;
            try (Encoder encoder = Encoder.load(best, manager)) {
                finalEval = job.score(encoder, tok, features, r.run().bootstrap(), r.train().seed(), outcome.bestOutputs());
            }
            Map<String, Object> recorded = new TreeMap<>();
            finalEval.metrics().forEach((k, m) -> recorded.put(k, m.value()));
            recorded.put("score", finalEval.score());
            recorded.put("runId", runId);
            RegistryEntry stored = models.add(best, outputId, r.force(), r.model(),
                    new RegistryEntry.Lineage("fine-tune", r.model(), options, null));
            stored = models.registry().updateMetrics(stored.id(), spec.name(), recorded);
            Map<String, Double> phases = new TreeMap<>();
            phases.put("train", outcome.trainSeconds());
            phases.put("evaluate", (System.nanoTime() - trainEnd) / 1e9);
            Map<String, Object> details = new TreeMap<>();
            details.put("parent", r.model());
            details.put("outputModel", stored.id());
            details.put("score", finalEval.score());
            details.put("kept", r.train().kept());
            details.put("precision", r.train().precision().label());
            details.put("bestStep", outcome.state().bestStep());
            details.put("steps", outcome.state().step());
            details.put("evaluations", outcome.state().evaluations());
            details.put("trainExamples", job.trainSize());
            details.put("bootstrapResamples", r.run().bootstrap());
            RunResult result = new RunResult(RunResult.SCHEMA_VERSION, runId, "fine-tune",
                    List.of(stored.ref()),
                    spec.name(), finalEval.metrics(),
                    new RunResult.Timings(started.truncatedTo(ChronoUnit.SECONDS).toString(),
                            Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), (System.nanoTime() - t0) / 1e9, phases),
                    details, Provenance.capture(r.train().seed(), options, job.files()));
            Predictions.write(runDir.resolve(Predictions.FILE), finalEval.predictions());
            Results.write(result, runDir);
            return result;
        } catch (IOException e) {
            throw ShrinkException.failed("cannot write the run's files in " + runDir + ": " + e.getMessage(), e);
        }
    }

    static Map<String, Object> options(FineTuneRequest r, Task task, FeatureOptions features, RegistryEntry parent,
                                       String outputId) {
        Map<String, Object> o = new TreeMap<>();
        o.put("model", r.model());
        o.put("modelSha256", parent.contentSha256());
        o.put("task", task.name());
        o.put("outputId", outputId);
        o.put("maxLength", features.maxLength());
        o.putAll(task.recordedOptions(r.data(), features));
        o.put("headTail", features.headTail());
        o.put("maxTrainExamples", r.data().maxTrainExamples());
        o.put("maxEvalExamples", r.data().maxEvalExamples());
        o.put("train", Json.MAPPER.convertValue(r.train(), Map.class));
        return o;
    }
}
