package io.shrink.core.distill;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.shrink.core.ShrinkException;
import io.shrink.core.compress.layers.LayerCompressor;
import io.shrink.core.compress.layers.LayerSelection;
import io.shrink.core.compress.layers.StudentInit;
import io.shrink.core.data.Corpus;
import io.shrink.core.data.SquadDataset;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.Heads;
import io.shrink.core.model.ModelInit;
import io.shrink.core.models.ModelService;
import io.shrink.core.registry.ModelId;
import io.shrink.core.registry.RegistryEntry;
import io.shrink.core.results.Provenance;
import io.shrink.core.results.Results;
import io.shrink.core.results.RunResult;
import io.shrink.core.task.FeatureOptions;
import io.shrink.core.task.Features;
import io.shrink.core.task.Predictions;
import io.shrink.core.task.QaTaskData;
import io.shrink.core.task.SequenceData;
import io.shrink.core.task.SequenceEvaluator;
import io.shrink.core.task.SequenceTaskData;
import io.shrink.core.task.SquadFeatures;
import io.shrink.core.task.SquadSplit;
import io.shrink.core.task.SquadTraining;
import io.shrink.core.task.Task;
import io.shrink.core.task.TaskData;
import io.shrink.core.task.TaskKind;
import io.shrink.core.task.TaskScores;
import io.shrink.core.task.Tasks;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.tokenize.WordPieceTokenizer;
import io.shrink.core.train.Progress;
import io.shrink.core.train.FusedStack;
import io.shrink.core.train.Trainer;
import io.shrink.core.model.ComputePrecision;
import io.shrink.core.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Knowledge distillation of a registry teacher into a smaller student (DistilBERT, Sanh et al. 2019), in two
 * kinds: general distillation on raw text through the teacher's masked-LM head, and task-specific
 * distillation from a teacher fine-tuned on a GLUE task or IMDb, whose outputs come from a
 * {@link TeacherCache}. The student is created from teacher layers ({@link StudentInit}), optionally
 * narrower, or taken from the registry; the best checkpoint lands in the registry with a lineage naming the
 * teacher, layer map, loss weights and data, and the run writes a result in the shared schema.
 */
public final class DistillService {
    /** The default input length of general distillation (corpus chunks). */
    static final int GENERAL_MAX_LENGTH = 128;

    private final ModelService models;

    /** A service over the given registry. */
    public DistillService(ModelService models) {
        this.models = models;
    }

    /** The student to train, the teacher-to-student layer map and how it was made. */
    private record Made(Checkpoint checkpoint, List<int[]> layerMap, Map<String, Object> description) {
    }

    /** How a kind of distillation scores a model: metrics, the task score, per-example predictions. */
    private interface Scorer {
        /** Scores {@code encoder}; {@code reuse} holds outputs already computed for these weights, or null. */
        TaskScores score(Encoder encoder, int bootstrap, long seed, Object reuse);
    }

    /** A prepared kind of distillation: its name, training task, data files read and scorer. */
    private record Prepared(String name, Trainer.Task<?> task, List<Path> files, Scorer scorer) {
    }

    /**
     * Runs the request and returns the written result; a paused run returns a result with no models and
     * {@code details.status = "paused"}, and writes only its checkpoint.
     */
    public RunResult run(DistillRequest r, Progress progress) {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        boolean general = r.general();
        Task spec = general ? null : Tasks.of(r.task());
        LossWeights w = r.weights().validate(general);
        String outputId = ModelId.validate(r.outputId() != null ? r.outputId() : r.teacher() + "-student");
        if (!r.force() && models.registry().exists(outputId)) {
            throw ShrinkException.usage("model '" + outputId + "' already exists; use --force to replace it");
        }
        RegistryEntry teacherEntry = models.show(r.teacher());
        Checkpoint teacher = models.load(r.teacher());
        int taskDefault = general ? GENERAL_MAX_LENGTH : spec.defaultMaxLength();
        int maxLength = r.features().maxLength() > 0 ? r.features().maxLength() : Math.min(teacher.config().maxPositions(), taskDefault);
        checkTeacher(teacher, r, spec);
        FeatureOptions features = r.features().withMaxLength(maxLength);
        FeatureOptions.checkMaxLength(maxLength, teacher.config().maxPositions(), "teacher '" + r.teacher() + "'");
        Made student = student(teacher, r, w);
        FeatureOptions.checkMaxLength(maxLength, student.checkpoint().config().maxPositions(),
                "student '" + (r.student().from() != null ? r.student().from() : "new") + "'");
        WordPieceTokenizer tok = new WordPieceTokenizer(teacher.tokenizer());

        Map<String, Object> options = options(r, spec, features, teacherEntry, outputId, w, student);
        String kindName = general ? "general" : spec.name();
        String runId = r.run().runDir() != null ? r.run().runDir().getFileName().toString()
                : Results.newRunId("distill", r.teacher() + "-" + kindName);
        Path runDir = r.run().runDir() != null ? r.run().runDir() : Results.defaultRunsDir().resolve(runId);
        if (!r.run().resume() && Files.isDirectory(runDir.resolve(Trainer.CHECKPOINT))) {
            throw ShrinkException.usage(runDir + " holds an interrupted run; continue it with --resume or choose another --run-dir");
        }
        progress.message("distilling " + r.teacher() + " (" + teacher.config().numLayers() + " layers, "
                + String.format(java.util.Locale.ROOT, "%.1fM", teacher.parameterCount() / 1e6) + " parameters) into a student with "
                + student.checkpoint().config().numLayers() + " layers and hidden size " + student.checkpoint().config().hiddenSize()
                + "; " + (general ? "general distillation on " + r.corpus().file() : "task distillation on " + kindName));
        progress.message("losses: " + w.describe(!general && spec.kind() == TaskKind.REGRESSION));

        Map<String, Double> phases = new TreeMap<>();
        Map<String, Object> details = new TreeMap<>();
        try (NDManager manager = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(), "PyTorch");
             Encoder teacherEncoder = Encoder.load(teacher, manager)) {
            // the teacher runs in the run's precision too: its pass over the training data and its hidden states
            FusedStack.install(teacherEncoder, r.train().precision());
            Prepared job;
            if (general) {
                job = prepareGeneral(r, tok, maxLength, w, teacherEncoder, student, details);
            } else {
                TaskData data = spec.load(r.data(), r.train().seed(), true);
                if (data instanceof SequenceTaskData seq) {
                    job = prepareSequence(r, seq, tok, features, w, teacherEncoder, teacherEntry, student, progress, details, phases);
                } else if (data instanceof QaTaskData qa) {
                    job = prepareSquad(r, qa, tok, features, w, teacherEncoder, teacherEntry, student, progress, details, phases);
                } else {
                    throw ShrinkException.usage("distill has no task distillation for " + spec.name() + " (a task of kind "
                            + spec.kind() + "); general distillation or fine-tune work with any model");
                }
            }

            Checkpoint shape = withoutProjection(student.checkpoint());
            Trainer.Outcome outcome;
            try (Encoder encoder = Encoder.load(student.checkpoint().withQuantization(null), manager)) {
                outcome = new Trainer(r.train(), options, progress).run(encoder, job.task(), runDir, r.run().resume(), r.run().stopAfter());
            }
            phases.put("train", outcome.trainSeconds());
            if (outcome.paused()) {
                Map<String, Object> paused = new TreeMap<>();
                paused.put("status", "paused");
                paused.put("runDir", runDir.toAbsolutePath().toString());
                paused.put("steps", outcome.state().step());
                return new RunResult(RunResult.SCHEMA_VERSION, runId, "distill", List.of(), job.name(), Map.of(), null, paused, null);
            }
            Checkpoint best = Trainer.withWeights(shape, outcome.best());
            long e0 = System.nanoTime();
            TaskScores studentEval;
            try (Encoder encoder = Encoder.load(best, manager)) {
                studentEval = job.scorer().score(encoder, r.run().bootstrap(), r.train().seed(), outcome.bestOutputs());
            }
            Map<String, Object> recorded = new TreeMap<>();
            studentEval.metrics().forEach((k, m) -> recorded.put(k, m.value()));
            if (!general) {
                TaskScores teacherEval = job.scorer().score(teacherEncoder, r.run().bootstrap(), r.train().seed(), null);
                recorded.put("score", studentEval.score());
                Map<String, Object> t = new TreeMap<>();
                t.put("id", r.teacher());
                t.put("metrics", teacherEval.metrics());
                t.put("score", teacherEval.score());
                details.put("teacherEvaluation", t);
                details.put("score", studentEval.score());
                double retention = studentEval.score() / teacherEval.score();
                if (Double.isFinite(retention) && teacherEval.score() > 0) {
                    details.put("retention", retention);
                }
                details.put("bootstrapResamples", r.run().bootstrap());
            }
            phases.put("evaluate", (System.nanoTime() - e0) / 1e9);
            recorded.put("runId", runId);
            RegistryEntry stored = models.add(best, outputId, r.force(), r.teacher(),
                    new RegistryEntry.Lineage("distill", r.teacher(), options, null));
            stored = models.registry().updateMetrics(stored.id(), job.name(), recorded);
            details.put("teacher", r.teacher());
            details.put("outputModel", stored.id());
            details.put("student", student.description());
            details.put("losses", Json.MAPPER.convertValue(w, Map.class));
            details.put("kept", r.train().kept());
            details.put("precision", r.train().precision().label());
            details.put("bestStep", outcome.state().bestStep());
            details.put("steps", outcome.state().step());
            details.put("evaluations", outcome.state().evaluations());
            details.put("teacherParameters", teacher.parameterCount());
            details.put("studentParameters", best.parameterCount());
            RunResult result = new RunResult(RunResult.SCHEMA_VERSION, runId, "distill",
                    List.of(stored.ref(),
                            teacherEntry.ref()),
                    job.name(), studentEval.metrics(),
                    new RunResult.Timings(started.truncatedTo(ChronoUnit.SECONDS).toString(),
                            Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), (System.nanoTime() - t0) / 1e9, phases),
                    details, Provenance.capture(r.train().seed(), options, job.files()));
            if (!studentEval.predictions().isEmpty()) {
                Predictions.write(runDir.resolve(Predictions.FILE), studentEval.predictions());
            }
            Results.write(result, runDir);
            return result;
        } catch (IOException e) {
            throw ShrinkException.failed("cannot write the run's files in " + runDir + ": " + e.getMessage(), e);
        }
    }

    /** General distillation: corpus chunks, a held-out slice for the masked-LM evaluation. */
    private static Prepared prepareGeneral(DistillRequest r, WordPieceTokenizer tok, int maxLength, LossWeights w,
                                           Encoder teacher, Made student, Map<String, Object> details) {
        Corpus corpus = Corpus.read(r.corpus().file(), r.corpus().maxDocuments());
        List<String> docs = new ArrayList<>(corpus.documents());
        java.util.Collections.shuffle(docs, new java.util.Random(r.train().seed()));
        List<Features.Feature> all = chunks(tok, docs, maxLength);
        int nEval = r.corpus().evalChunks() > 0 ? r.corpus().evalChunks() : Math.max(1, Math.min(256, all.size() / 20));
        // held out by document: whole documents go to evaluation until it has nEval chunks
        List<Features.Feature> evalChunks = new ArrayList<>();
        List<Features.Feature> trainChunks = new ArrayList<>();
        for (String doc : docs) {
            List<Features.Feature> part = chunks(tok, List.of(doc), maxLength);
            (evalChunks.size() < nEval ? evalChunks : trainChunks).addAll(part);
        }
        if (trainChunks.isEmpty()) {
            throw ShrinkException.corrupt(r.corpus().file() + ": too little text (" + all.size() + " chunks of up to "
                    + maxLength + " tokens) for training and " + nEval + " held-out chunks");
        }
        trainChunks = renumber(trainChunks);
        evalChunks = renumber(evalChunks);
        MlmMasking masking = new MlmMasking(tok.maskId(), tok.vocabSize(), Set.of(tok.clsId(), tok.sepId(), tok.padId()),
                MlmMasking.RATE);
        MlmDistillTask task = new MlmDistillTask(trainChunks, evalChunks, r.train().batchSize(), r.train().seed(), w,
                teacher, masking, student.layerMap());
        details.put("corpusDocuments", corpus.documents().size());
        details.put("trainChunks", trainChunks.size());
        details.put("evalChunks", evalChunks.size());
        return new Prepared("general", task, corpus.files(), (encoder, bootstrap, seed, reuse) -> {
            Trainer.Evaluation ev = task.evaluate(encoder);
            Map<String, RunResult.Metric> metrics = new TreeMap<>();
            ev.metrics().forEach((k, v) -> metrics.put(k, RunResult.Metric.of(v, k.equals("mlm_accuracy"))));
            return new TaskScores(metrics, ev.main(), List.of());
        });
    }

    /** Task distillation on a GLUE task or IMDb: the teacher's tempered outputs through the cache. */
    private Prepared prepareSequence(DistillRequest r, SequenceTaskData taskData, WordPieceTokenizer tok,
                                     FeatureOptions features, LossWeights w, Encoder teacher, RegistryEntry teacherEntry,
                                     Made student, Progress progress, Map<String, Object> details,
                                     Map<String, Double> phases) {
        SequenceData data = taskData.data();
        List<Features.Feature> train = taskData.trainFeatures(tok, features);
        Map<String, List<Features.Feature>> eval = taskData.evalFeatures(tok, features);
        float[][] targets = null;
        if (w.ce() > 0) {
            long c0 = System.nanoTime();
            List<int[][]> seqs = train.stream().map(f -> new int[][] {f.ids(), f.types()}).toList();
            boolean regression = data.regression();
            targets = teacherOutputs(teacherEntry, seqs, regression ? 1.0 : w.temperature(), regression ? "scores" : "probs",
                    r, progress, details, () -> {
                        float[][] raw = SequenceEvaluator.outputs(teacher, train, progress, "teacher");
                        return regression ? raw : tempered(raw, w.temperature());
                    });
            phases.put("teacherOutputs", (System.nanoTime() - c0) / 1e9);
        }
        SequenceDistillTask task = new SequenceDistillTask(data, train, eval, r.train().batchSize(), r.train().seed(), w,
                targets, w.needsTeacherStates() ? teacher : null, student.layerMap());
        details.put("trainExamples", data.train().size());
        return new Prepared(data.name(), task, data.files(), (encoder, bootstrap, seed, reuse) ->
                taskData.score(encoder, tok, features, bootstrap, seed, reuse));
    }

    /** Task distillation on SQuAD: the teacher's tempered start/end distributions per window through the cache. */
    private Prepared prepareSquad(DistillRequest r, QaTaskData taskData, WordPieceTokenizer tok, FeatureOptions features,
                                  LossWeights w, Encoder teacher, RegistryEntry teacherEntry, Made student,
                                  Progress progress, Map<String, Object> details, Map<String, Double> phases) {
        int maxLength = features.maxLength();
        List<SquadDataset.Question> trainQ = taskData.split().train();
        List<SquadDataset.Question> evalQ = taskData.split().eval();
        List<SquadFeatures.Window> train = taskData.trainWindows(tok, features);
        List<SquadFeatures.Window> eval = taskData.evalWindows(tok, features);
        float[][] spans = null;
        if (w.ce() > 0) {
            long c0 = System.nanoTime();
            List<int[][]> seqs = train.stream().map(x -> new int[][] {x.ids(), x.types()}).toList();
            spans = teacherOutputs(teacherEntry, seqs, w.temperature(), "span-probs-" + maxLength, r, progress, details,
                    () -> SquadDistillTask.teacherSpans(teacher, train, maxLength, w.temperature(), progress));
            phases.put("teacherOutputs", (System.nanoTime() - c0) / 1e9);
        }
        SquadDistillTask task = new SquadDistillTask(train, evalQ, eval, r.train().batchSize(), r.train().seed(), w, spans,
                maxLength, w.needsTeacherStates() ? teacher : null, student.layerMap());
        details.put("trainQuestions", trainQ.size());
        details.put("trainWindows", train.size());
        if (r.data().trainArticles() != null) {
            details.put("split", "dev articles " + r.data().trainArticles() + " for training, "
                    + (r.data().evalArticles() != null ? r.data().evalArticles() : "all") + " for evaluation (a dev split, not the official evaluation)");
        }
        return new Prepared(taskData.task().name(), task, taskData.files(), (encoder, bootstrap, seed, reuse) ->
                taskData.score(encoder, tok, features, bootstrap, seed, reuse));
    }

    /** Teacher outputs on the training inputs, read from or stored in the cache. */
    private float[][] teacherOutputs(RegistryEntry teacherEntry, List<int[][]> seqs, double temperature, String kind,
                                     DistillRequest r, Progress progress, Map<String, Object> details,
                                     java.util.function.Supplier<float[][]> compute) {
        TeacherCache cache = new TeacherCache(r.cacheDir() != null ? r.cacheDir()
                : models.registry().home().resolve("cache").resolve("teacher"));
        // a bf16 teacher pass gives other outputs than a float32 one: its own entry (float32 entries keep their names)
        String keyKind = r.train().precision() == ComputePrecision.FP32 ? kind : kind + "@" + r.train().precision();
        TeacherCache.Key key = new TeacherCache.Key(teacherKey(teacherEntry), TeacherCache.dataHash(seqs), temperature, keyKind);
        TeacherCache.Lookup lookup = cache.getOrCompute(key, seqs.size(), () -> {
            progress.message("computing the teacher's outputs on " + seqs.size() + " training inputs (cached for later runs)");
            return compute.get();
        });
        progress.message("teacher outputs " + (lookup.hit() ? "read from" : "stored in") + " " + cache.file(key));
        details.put("teacherCache", Map.of("file", cache.file(key).toString(), "hit", lookup.hit()));
        return lookup.values();
    }

    private static void checkTeacher(Checkpoint teacher, DistillRequest r, Task task) {
        String head = teacher.head().type();
        if (task == null && !head.equals("mlm")) {
            throw ShrinkException.usage("general distillation needs a teacher with a masked-LM head; '" + r.teacher()
                    + "' has head '" + head + "'");
        }
        if (task != null && !task.accepts(teacher.head())) {
            throw ShrinkException.usage("task distillation on " + task.name() + " needs a teacher fine-tuned on it; '"
                    + r.teacher() + "' has head '" + head + "' (fine-tune it first: shrink fine-tune " + r.teacher()
                    + " --task " + task.name() + ")");
        }
    }

    /** The student: created from teacher layers (optionally narrower) or read from the registry. */
    private Made student(Checkpoint teacher, DistillRequest r, LossWeights w) {
        EncoderConfig tc = teacher.config();
        Map<String, Object> d = new TreeMap<>();
        Checkpoint s;
        List<int[]> map = new ArrayList<>();
        map.add(new int[] {0, 0});
        if (r.student().from() != null) {
            if (r.student().layers() != null || r.student().hidden() > 0 || r.student().heads() > 0 || r.student().ffn() > 0) {
                throw ShrinkException.usage("--student takes an existing model; --layers, --hidden, --heads and --ffn "
                        + "describe a new one: use one or the other");
            }
            s = models.load(r.student().from());
            d.put("from", r.student().from());
            if (!r.general() && s.head().type().equals("mlm")) {
                // a pretrained student (Patient-KD's setting): a new task head like the teacher's, drawn from --seed
                s = Heads.attach(s, teacher.head(), r.train().seed());
                d.put("head", "new " + teacher.head().type() + " head, seeded (the student had a masked-LM head)");
            }
            StudentInit.checkCompatible(teacher, s, r.student().from());
            RegistryEntry entry = models.show(r.student().from());
            int parentLayers = entry.parent() != null && models.registry().exists(entry.parent())
                    ? models.show(entry.parent()).config().numLayers() : -1;
            List<Integer> derived = parentLayers == tc.numLayers() ? derivedLayers(entry, s.config().numLayers()) : null;
            int m = s.config().numLayers();
            for (int i = 1; i <= m; i++) {
                map.add(new int[] {i, derived != null ? derived.get(i - 1) + 1 : (int) Math.round((double) i * tc.numLayers() / m)});
            }
            d.put("layerMap", derived != null ? "derived layers " + derived : "uniform");
        } else {
            String spec = r.student().layers() != null ? r.student().layers() : tc.numLayers() == 12 ? "0,2,4,7,9,11" : "every-other";
            List<Integer> layers = LayerSelection.parse(spec, tc.numLayers());
            s = StudentInit.fromTeacher(teacher, layers, r.student().dropTokenTypes());
            for (int i = 0; i < layers.size(); i++) {
                map.add(new int[] {i + 1, layers.get(i) + 1});
            }
            d.put("from", "teacher layers");
            d.put("layers", layers);
            d.put("dropTokenTypes", r.student().dropTokenTypes() && tc.typeVocabSize() > 0);
            boolean narrower = (r.student().hidden() > 0 && r.student().hidden() != tc.hiddenSize()) || r.student().heads() > 0 || r.student().ffn() > 0;
            if (narrower) {
                int hidden = r.student().hidden() > 0 ? r.student().hidden() : tc.hiddenSize();
                int heads = r.student().heads() > 0 ? r.student().heads() : Math.max(1, hidden / tc.headSize());
                int ffn = r.student().ffn() > 0 ? r.student().ffn() : (int) ((long) tc.intermediateSize() * hidden / tc.hiddenSize());
                s = StudentInit.narrow(s, hidden, heads, ffn, r.student().init(), r.train().seed());
                d.put("init", r.student().init().name().toLowerCase(java.util.Locale.ROOT));
            } else {
                d.put("init", "copy");
            }
        }
        int hs = s.config().hiddenSize();
        int ht = tc.hiddenSize();
        if (hs != ht && (w.cosine() > 0 || w.hiddenMse() > 0)) {
            s = withProjection(s, ht, r.student().init(), r.train().seed());
            d.put("projection", ht + "x" + hs + " learned, " + (r.student().init() == StudentInit.Init.RANDOM ? "random" : "identity on the kept units") + " at start");
        }
        List<List<Integer>> pairs = map.stream().map(p -> List.of(p[0], p[1])).toList();
        d.put("hiddenSize", hs);
        d.put("numLayers", s.config().numLayers());
        d.put("layerPairs", pairs);
        return new Made(s, map, d);
    }

    /**
     * The parent layers a student made by {@code models derive} (or another run of the layers method) copied:
     * student layer i pairs with the teacher layer of the same index when the parent is as deep as the teacher;
     * null when it was made otherwise.
     */
    static List<Integer> derivedLayers(RegistryEntry student, int studentLayers) {
        RegistryEntry.Lineage by = student.producedBy();
        boolean layerCopy = by != null && by.options() != null && ("models derive".equals(by.command())
                || LayerCompressor.NAME.equals(by.options().get("method")));
        if (!layerCopy
                || !(by.options().get("layers") instanceof List<?> list)
                || list.size() != studentLayers) {
            return null;
        }
        List<Integer> layers = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Number n) || n.intValue() < 0) {
                return null;
            }
            layers.add(n.intValue());
        }
        return layers;
    }

    private static Checkpoint withProjection(Checkpoint s, int teacherWidth, StudentInit.Init init, long seed) {
        int hs = s.config().hiddenSize();
        Map<String, FloatTensor> t = new LinkedHashMap<>(s.tensors());
        float[] weight;
        String name = StateLosses.PROJECTION + ".weight";
        if (init == StudentInit.Init.RANDOM) {
            weight = ModelInit.tensor(name, new long[] {teacherWidth, hs}, new SplittableRandom(seed ^ 0x5DEECE66DL)).data();
        } else {
            weight = new float[teacherWidth * hs]; // (teacherWidth, hs): identity on the first hs units
            for (int i = 0; i < hs; i++) {
                weight[i * hs + i] = 1f;
            }
        }
        t.put(name, new FloatTensor(name, new long[] {teacherWidth, hs}, weight));
        t.put(StateLosses.PROJECTION + ".bias", new FloatTensor(StateLosses.PROJECTION + ".bias", new long[] {teacherWidth},
                new float[teacherWidth]));
        return new Checkpoint(s.config(), s.head(), t, s.tokenizer());
    }

    private static Checkpoint withoutProjection(Checkpoint s) {
        Map<String, FloatTensor> t = new LinkedHashMap<>(s.tensors());
        t.keySet().removeIf(k -> k.startsWith(StateLosses.PROJECTION));
        return new Checkpoint(s.config(), s.head(), t, s.tokenizer());
    }

    /**
     * What identifies the teacher's outputs: its weights' content hash plus its shape and head (activation,
     * epsilon, pooling live there, not in the weights) and the cache format.
     */
    static String teacherKey(RegistryEntry teacher) {
        try {
            String text = "shrink-teacher-cache-v1|" + teacher.contentSha256() + "|"
                    + Json.COMPACT.writeValueAsString(teacher.config()) + "|" + Json.COMPACT.writeValueAsString(teacher.head());
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash the teacher's description", e);
        }
    }

    /** Row-wise softmax(z / T) in double precision. */
    static float[][] tempered(float[][] logits, double temperature) {
        float[][] out = new float[logits.length][];
        for (int i = 0; i < logits.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (float z : logits[i]) {
                max = Math.max(max, z / temperature);
            }
            double sum = 0;
            double[] e = new double[logits[i].length];
            for (int c = 0; c < e.length; c++) {
                e[c] = Math.exp(logits[i][c] / temperature - max);
                sum += e[c];
            }
            out[i] = new float[e.length];
            for (int c = 0; c < e.length; c++) {
                out[i][c] = (float) (e[c] / sum);
            }
        }
        return out;
    }

    private static List<Features.Feature> renumber(List<Features.Feature> features) {
        List<Features.Feature> out = new ArrayList<>(features.size());
        for (Features.Feature f : features) {
            out.add(new Features.Feature(f.ids(), f.types(), out.size()));
        }
        return out;
    }

    /** Cuts documents into chunks of at most {@code maxLength} tokens, [CLS] ... [SEP] each. */
    static List<Features.Feature> chunks(WordPieceTokenizer tok, List<String> docs, int maxLength) {
        int budget = maxLength - 2;
        List<Features.Feature> out = new ArrayList<>();
        for (String doc : docs) {
            List<String> pieces = tok.tokenize(doc);
            for (int start = 0; start < pieces.size(); start += budget) {
                int end = Math.min(pieces.size(), start + budget);
                if (end - start < 4 && start > 0) {
                    break;
                }
                int[] ids = new int[end - start + 2];
                ids[0] = tok.clsId();
                for (int i = start; i < end; i++) {
                    ids[i - start + 1] = tok.tokenId(pieces.get(i));
                }
                ids[ids.length - 1] = tok.sepId();
                out.add(new Features.Feature(ids, new int[ids.length], out.size()));
            }
        }
        return out;
    }

    private static Map<String, Object> options(DistillRequest r, Task spec, FeatureOptions features, RegistryEntry teacher,
                                               String outputId, LossWeights w, Made student) {
        Map<String, Object> o = new TreeMap<>();
        o.put("teacher", r.teacher());
        o.put("teacherSha256", teacher.contentSha256());
        o.put("kind", r.general() ? "general" : "task");
        o.put("task", r.general() ? "general" : spec.name());
        if (r.general()) {
            o.put("corpus", r.corpus() == null || r.corpus().file() == null ? null : r.corpus().file().toString());
            o.put("maxDocuments", r.corpus().maxDocuments());
            o.put("evalChunks", r.corpus().evalChunks());
        } else {
            o.put("headTail", features.headTail());
            o.put("maxTrainExamples", r.data().maxTrainExamples());
            o.put("maxEvalExamples", r.data().maxEvalExamples());
            o.putAll(spec.recordedOptions(r.data(), features));
        }
        o.put("outputId", outputId);
        o.put("maxLength", features.maxLength());
        o.put("student", student.description());
        o.put("losses", Json.MAPPER.convertValue(w, Map.class));
        o.put("train", Json.MAPPER.convertValue(r.train(), Map.class));
        return o;
    }
}
