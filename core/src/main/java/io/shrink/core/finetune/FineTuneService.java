package io.shrink.core.finetune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.data.Example;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.models.ModelService;
import io.shrink.core.registry.ModelId;
import io.shrink.core.registry.RegistryEntry;
import io.shrink.core.results.Provenance;
import io.shrink.core.results.Results;
import io.shrink.core.results.RunResult;
import io.shrink.core.tokenize.WordPieceTokenizer;
import io.shrink.core.train.Progress;
import io.shrink.core.train.Trainer;
import io.shrink.core.util.AtomicFiles;
import io.shrink.core.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Fine-tunes a registry model on a text classification or regression task (GLUE, IMDb) and stores the
 * best checkpoint in the registry with its lineage, plus a result with provenance and per-example
 * predictions in the run directory.
 */
public final class FineTuneService {
    /** File of per-example predictions next to {@code result.json}. */
    public static final String PREDICTIONS = "predictions.jsonl";

    private final ModelService models;

    /** A service over the given registry. */
    public FineTuneService(ModelService models) {
        this.models = models;
    }

    /**
     * What a task contributes to a fine-tuning run: its head, its training loop task, how to score the
     * final model, and what it read.
     */
    private interface Job {
        String name();

        HeadConfig head(String pooling);

        Trainer.Task<?> task(WordPieceTokenizer tok);

        /**
         * Final scores: metrics (with intervals), the task score, per-example predictions; {@code reuse} holds the
         * outputs of the evaluation that chose these weights when it ran in this process (else null).
         */
        SequenceEvaluator.Outcome score(Encoder encoder, int bootstrap, long seed, Object reuse);

        List<Path> files();

        int trainSize();
    }

    /**
     * Runs the request and returns the written result; a paused run (see {@link FineTuneRequest#stopAfter})
     * returns a result with no models and {@code details.status = "paused"}, and writes only its checkpoint.
     */
    public RunResult run(FineTuneRequest r, Progress progress) {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        boolean squad = r.task().equalsIgnoreCase(SquadJob.NAME);
        if (!squad && !SequenceData.isSequenceTask(r.task())) {
            throw ShrinkException.usage("unknown task '" + r.task() + "' (GLUE tasks: cola, sst2, mrpc, stsb, qqp, "
                    + "mnli, qnli, rte, wnli; also imdb and squad)");
        }
        int maxLength = r.maxLength() > 0 ? r.maxLength() : squad ? 384 : r.task().equalsIgnoreCase(SequenceData.IMDB) ? 256 : 128;
        if (maxLength < 8) {
            throw ShrinkException.usage("--max-length " + maxLength + " is too short");
        }
        String outputId = ModelId.validate(r.outputId() != null ? r.outputId() : r.model() + "-" + r.task().toLowerCase());
        if (!r.force() && models.registry().exists(outputId)) {
            throw ShrinkException.usage("model '" + outputId + "' already exists; use --force to replace it");
        }
        RegistryEntry parent = models.show(r.model());
        Job job = squad ? new SquadJob(r, maxLength) : sequenceJob(r, maxLength);
        Checkpoint base = models.load(r.model());
        if (maxLength > base.config().maxPositions()) {
            throw ShrinkException.usage("--max-length " + maxLength + " exceeds the model's "
                    + base.config().maxPositions() + " positions");
        }
        Checkpoint start = Heads.attach(base, job.head(Heads.defaultPooling(base.config().family())), r.train().seed());
        WordPieceTokenizer tok = new WordPieceTokenizer(start.tokenizer());
        Trainer.Task<?> task = job.task(tok);

        Map<String, Object> options = options(r, parent, outputId, maxLength);
        String runId = r.runDir() != null ? r.runDir().getFileName().toString()
                : Results.newRunId("fine-tune", r.model() + "-" + job.name());
        Path runDir = r.runDir() != null ? r.runDir() : Results.defaultRunsDir().resolve(runId);
        if (!r.resume() && Files.isDirectory(runDir.resolve(Trainer.CHECKPOINT))) {
            throw ShrinkException.usage(runDir + " holds an interrupted run; continue it with --resume or choose another --run-dir");
        }
        progress.message("fine-tuning " + r.model() + " on " + job.name() + ": " + job.trainSize()
                + " training examples, run directory " + runDir);

        try (NDManager manager = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(), "PyTorch")) {
            Trainer.Outcome outcome;
            Checkpoint best;
            try (Encoder encoder = Encoder.load(start, manager)) {
                outcome = new Trainer(r.train(), options, progress).run(encoder, task, runDir, r.resume(), r.stopAfter());
                if (outcome.paused()) {
                    Map<String, Object> details = new TreeMap<>();
                    details.put("status", "paused");
                    details.put("runDir", runDir.toAbsolutePath().toString());
                    details.put("steps", outcome.state().step());
                    return new RunResult(RunResult.SCHEMA_VERSION, runId, "fine-tune", List.of(), job.name(),
                            Map.of(), null, details, null);
                }
                best = Trainer.withWeights(start, outcome.best());
            }
            long trainEnd = System.nanoTime();
            SequenceEvaluator.Outcome finalEval;
            try (Encoder encoder = Encoder.load(best, manager)) {
                finalEval = job.score(encoder, r.bootstrap(), r.train().seed(), outcome.bestOutputs());
            }
            Map<String, Object> recorded = new TreeMap<>();
            finalEval.metrics().forEach((k, m) -> recorded.put(k, m.value()));
            recorded.put("score", finalEval.score());
            recorded.put("runId", runId);
            RegistryEntry stored = models.add(best, outputId, r.force(), r.model(),
                    new RegistryEntry.Lineage("fine-tune", r.model(), options, null));
            stored = models.registry().updateMetrics(stored.id(), job.name(), recorded);
            Map<String, Double> phases = new TreeMap<>();
            phases.put("train", outcome.trainSeconds());
            phases.put("evaluate", (System.nanoTime() - trainEnd) / 1e9);
            Map<String, Object> details = new TreeMap<>();
            details.put("parent", r.model());
            details.put("outputModel", stored.id());
            details.put("score", finalEval.score());
            details.put("kept", r.train().kept());
            details.put("bestStep", outcome.state().bestStep());
            details.put("steps", outcome.state().step());
            details.put("evaluations", outcome.state().evaluations());
            details.put("trainExamples", job.trainSize());
            details.put("bootstrapResamples", r.bootstrap());
            RunResult result = new RunResult(RunResult.SCHEMA_VERSION, runId, "fine-tune",
                    List.of(new RunResult.ModelRef(stored.id(), stored.contentSha256(), stored.family(), stored.parameters())),
                    job.name(), finalEval.metrics(),
                    new RunResult.Timings(started.truncatedTo(ChronoUnit.SECONDS).toString(),
                            Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), (System.nanoTime() - t0) / 1e9, phases),
                    details, Provenance.capture(r.train().seed(), options, job.files()));
            writePredictions(runDir.resolve(PREDICTIONS), finalEval.predictions());
            Results.write(result, runDir);
            return result;
        } catch (IOException e) {
            throw ShrinkException.failed("cannot write the run's files in " + runDir + ": " + e.getMessage(), e);
        }
    }

    private static Job sequenceJob(FineTuneRequest r, int maxLength) {
        SequenceData data = sample(SequenceData.load(r.task(), r.dataDir(), true), r);
        if (data.train().isEmpty() || data.train().stream().anyMatch(e -> !e.labelled())) {
            throw ShrinkException.corrupt("the training split of " + data.name() + " is empty or has unlabelled rows");
        }
        return new Job() {
            Map<String, List<Features.Feature>> eval;

            @Override
            public String name() {
                return data.name();
            }

            @Override
            public HeadConfig head(String pooling) {
                return data.regression() ? new HeadConfig("regression", pooling, data.labels())
                        : new HeadConfig("classification", pooling, data.labels());
            }

            @Override
            public Trainer.Task<?> task(WordPieceTokenizer tok) {
                List<Features.Feature> train = Features.encode(tok, data.train(), maxLength, r.headTail());
                eval = new LinkedHashMap<>();
                data.evalSets().forEach((k, v) -> eval.put(k, Features.encode(tok, v, maxLength, r.headTail())));
                return new SequenceTrainingTask(data, train, eval, r.train().batchSize(), r.train().seed());
            }

            @Override
            @SuppressWarnings("unchecked")
            public SequenceEvaluator.Outcome score(Encoder encoder, int bootstrap, long seed, Object reuse) {
                Map<String, double[]> predictions = reuse instanceof Map<?, ?> m ? (Map<String, double[]>) m
                        : SequenceEvaluator.predictAll(encoder, data, eval);
                return SequenceEvaluator.score(data, predictions, bootstrap, seed);
            }

            @Override
            public List<Path> files() {
                return data.files();
            }

            @Override
            public int trainSize() {
                return data.train().size();
            }
        };
    }

    /** SQuAD v1.1: train on {@code train-v1.1.json} or chosen dev articles; evaluate on dev (articles). */
    private static final class SquadJob implements Job {
        static final String NAME = "squad";
        private final FineTuneRequest r;
        private final int maxLength;
        private final SquadSplit split;
        private List<SquadFeatures.Window> evalWindows;

        SquadJob(FineTuneRequest r, int maxLength) {
            this.r = r;
            this.maxLength = maxLength;
            SquadSplit s = SquadSplit.load(r.dataDir(), r.trainArticles(), r.evalArticles(), true);
            this.split = new SquadSplit(take(s.train(), r.maxTrainExamples(), r.train().seed()),
                    take(s.eval(), r.maxEvalExamples(), r.train().seed()), s.files());
        }

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public HeadConfig head(String pooling) {
            return new HeadConfig("qa", null, List.of());
        }

        @Override
        public Trainer.Task<?> task(WordPieceTokenizer tok) {
            List<SquadFeatures.Window> train = SquadFeatures.encode(tok, split.train(), maxLength, r.docStride(),
                    r.maxQueryLength(), true);
            evalWindows = SquadFeatures.encode(tok, split.eval(), maxLength, r.docStride(), r.maxQueryLength(), false);
            return new SquadTask(train, split.eval(), evalWindows, r.train().batchSize(), r.train().seed());
        }

        @Override
        public SequenceEvaluator.Outcome score(Encoder encoder, int bootstrap, long seed, Object reuse) {
            SquadTask.Outcome o = SquadTask.evaluate(encoder, split.eval(), evalWindows, bootstrap, seed);
            return new SequenceEvaluator.Outcome(o.metrics(), o.metrics().get("f1").value(), o.predictions());
        }

        @Override
        public List<Path> files() {
            return split.files();
        }

        @Override
        public int trainSize() {
            return split.train().size();
        }
    }

    static Map<String, Object> options(FineTuneRequest r, RegistryEntry parent, String outputId, int maxLength) {
        Map<String, Object> o = new TreeMap<>();
        o.put("model", r.model());
        o.put("modelSha256", parent.contentSha256());
        o.put("task", r.task().toLowerCase());
        o.put("outputId", outputId);
        o.put("maxLength", maxLength);
        if (r.task().equalsIgnoreCase(SquadJob.NAME)) {
            o.put("docStride", r.docStride());
            o.put("maxQueryLength", r.maxQueryLength());
            o.put("trainArticles", r.trainArticles());
            o.put("evalArticles", r.evalArticles());
        }
        o.put("headTail", r.headTail());
        o.put("maxTrainExamples", r.maxTrainExamples());
        o.put("maxEvalExamples", r.maxEvalExamples());
        o.put("train", Json.MAPPER.convertValue(r.train(), Map.class));
        return o;
    }

    /** A seeded sample of at most the requested sizes (order kept). */
    static SequenceData sample(SequenceData d, FineTuneRequest r) {
        return sample(d, r.maxTrainExamples(), r.maxEvalExamples(), r.train().seed());
    }

    /** A seeded sample of at most {@code maxTrain} training and {@code maxEval} examples per evaluation set (0 = all; order kept). */
    public static SequenceData sample(SequenceData d, int maxTrain, int maxEval, long seed) {
        Map<String, List<Example>> eval = new LinkedHashMap<>();
        d.evalSets().forEach((k, v) -> eval.put(k, take(v, maxEval, seed)));
        return new SequenceData(d.name(), d.labels(), d.regression(), take(d.train(), maxTrain, seed),
                eval, d.metrics(), d.files(), d.glue());
    }

    /** At most {@code max} items, a seeded sample in the original order (0 = all). */
    public static <T> List<T> take(List<T> all, int max, long seed) {
        if (max <= 0 || all.size() <= max) {
            return all;
        }
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            idx.add(i);
        }
        Collections.shuffle(idx, new Random(seed));
        List<Integer> keep = new ArrayList<>(idx.subList(0, max));
        Collections.sort(keep);
        return keep.stream().map(all::get).toList();
    }

    /** Writes per-example prediction rows as JSON Lines (atomically). */
    public static void writePredictions(Path file, List<Map<String, Object>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> row : rows) {
            sb.append(Json.COMPACT.writeValueAsString(row)).append('\n');
        }
        AtomicFiles.writeString(file, sb.toString());
    }
}
