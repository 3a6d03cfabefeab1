package io.shrink.core.compress.quant;

import io.shrink.core.ShrinkException;
import io.shrink.core.compress.Calibration;
import io.shrink.core.compress.CompressRequest;
import io.shrink.core.compress.CompressionContext;
import io.shrink.core.compress.CompressService;
import io.shrink.core.compress.Compressors;
import io.shrink.core.infer.Kernels;
import io.shrink.core.data.Example;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Quantization;
import io.shrink.core.registry.RegistryEntry;
import io.shrink.core.task.DataOptions;
import io.shrink.core.task.FeatureOptions;
import io.shrink.core.task.Features;
import io.shrink.core.task.SequenceData;
import io.shrink.core.task.SequenceEvaluator;
import io.shrink.core.task.SequenceTaskData;
import io.shrink.core.task.Task;
import io.shrink.core.task.TaskData;
import io.shrink.core.task.Tasks;
import io.shrink.core.tokenize.WordPieceTokenizer;
import io.shrink.core.models.ModelService;
import io.shrink.core.results.Provenance;
import io.shrink.core.results.Results;
import io.shrink.core.results.RunResult;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Random;
import java.util.function.Consumer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code shrink quantize}: runs a quantisation method ({@link QuantCompressor}) on a registry model, stores the
 * quantised model with its lineage and writes a {@code quantize} result: the method and settings, the weight bytes
 * before and after (embeddings, layers and head apart) and the kernels the quantised model runs on this CPU.
 */
public final class QuantizeService {
    /** The quantisation methods' names, in registry order. */
    public static final List<String> METHODS = List.of("dynamic-int8", "static-int8", "weight-int8", "weight-int4", "bf16");
    /** Default number of calibration examples the ranges are observed on. */
    public static final int DEFAULT_CALIBRATION_SIZE = 256;
    /** Default number of further calibration examples an accuracy-aware run scores candidates on. */
    public static final int DEFAULT_HELD_OUT = 512;

    private final ModelService models;

    /** A service over the given registry. */
    public QuantizeService(ModelService models) {
        this.models = models;
    }

    /**
     * The outcome.
     *
     * @param compressed the stored model and what was done
     * @param result     the run's result
     * @param file       where the result was written
     */
    public record Outcome(CompressService.Result compressed, RunResult result, Path file) {
    }

    /**
     * Where static int8's calibration data comes from: a seeded sample of a task's training split, shuffled and
     * split into the examples ranges are observed on and the held-out ones candidates are scored on (never the
     * split that is reported).
     *
     * @param task      the task (a sequence task: GLUE or IMDb)
     * @param dataDir   the task's data folder
     * @param size      examples the ranges are observed on
     * @param heldOut   further examples the accuracy-aware mode scores on
     * @param maxLength longest input in tokens (0: the task's default, at most the model's positions)
     */
    public record CalibrationRequest(String task, Path dataDir, int size, int heldOut, int maxLength) {
    }

    /**
     * Quantises and records.
     *
     * @param request the method, its settings and the output id (the command is recorded as {@code quantize})
     * @param runDir  the run folder, or null for a new one under the default runs folder
     */
    public Outcome run(CompressRequest request, Path runDir) {
        return run(request, null, runDir, line -> { });
    }

    /**
     * Quantises and records; with {@code calibration}, methods that calibrate (static-int8) read it. An accuracy-aware
     * run that misses its tolerance stores the best model found, writes its result and then fails (exit 1).
     */
    public Outcome run(CompressRequest request, CalibrationRequest calibration, Path runDir, Consumer<String> progress) {
        if (!METHODS.contains(request.method())) {
            Compressors.of(request.method());
            throw ShrinkException.usage("'" + request.method() + "' is not a quantisation method; quantize takes "
                    + String.join(", ", METHODS) + " (other methods: shrink compress)");
        }
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        List<Path> files = new ArrayList<>();
        Map<String, Object> calOptions = new LinkedHashMap<>();
        Calibration cal = null;
        if (calibration != null) {
            if (!request.method().equals("static-int8")) {
                throw ShrinkException.usage("--calibration-task applies to static-int8 only, not " + request.method());
            }
            cal = calibration(request, calibration, files, calOptions);
        }
        CompressService.Result r = new CompressService(models).run(request,
                new CompressionContext(request.seed(), cal, progress));
        Quantization q = r.entry().quantization();
        Map<String, Object> details = new TreeMap<>();
        details.put("method", r.report().method());
        details.put("options", r.report().options());
        details.put("quantization", q);
        details.put("weightBytesBefore", r.before());
        details.put("weightBytesAfter", r.after());
        details.put("embeddingShareAfter", r.after().embeddingShare());
        details.put("kernels", kernels(q));
        details.put("notes", r.report().notes());
        Map<String, RunResult.Metric> metrics = new TreeMap<>();
        metrics.put("layerBytesRatio", RunResult.Metric.of(ratio(r.after().layers(), r.before().layers()), false));
        metrics.put("totalBytesRatio", RunResult.Metric.of(ratio(r.after().total(), r.before().total()), false));
        metrics.put("weightBytes", RunResult.Metric.of(r.after().total(), false));
        Map<String, Object> options = new LinkedHashMap<>(request.settings() == null ? Map.of() : request.settings());
        options.putAll(calOptions);
        options.put("method", request.method());
        options.put("model", request.model());
        options.put("id", request.outputId());
        RunResult result;
        try {
            result = new RunResult(RunResult.SCHEMA_VERSION,
                    runDir != null ? runDir.getFileName().toString() : Results.newRunId("quantize", request.outputId()),
                    "quantize", List.of(r.parent().ref(), r.entry().ref()), cal != null ? cal.task() : null, metrics,
                    new RunResult.Timings(started.truncatedTo(ChronoUnit.SECONDS).toString(),
                            Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), (System.nanoTime() - t0) / 1e9, null),
                    details, Provenance.capture(request.seed(), options, files));
        } catch (IOException e) {
            throw ShrinkException.failed("could not record the quantize run: " + e.getMessage(), e);
        }
        Path file = Results.write(result, runDir != null ? runDir : Results.defaultRunsDir().resolve(result.runId()));
        if (Boolean.FALSE.equals(r.report().options().get("toleranceMet"))) {
            throw ShrinkException.failed("the tolerance " + r.report().options().get("tolerance") + " was not reached; the "
                    + "best model found is kept as '" + r.entry().id() + "' (result " + file + ")", null);
        }
        return new Outcome(r, result, file);
    }

    /** The calibration data a request names, with what provenance records of it. */
    private Calibration calibration(CompressRequest request, CalibrationRequest c, List<Path> files,
                                    Map<String, Object> recorded) {
        if (c.size() < 1 || c.heldOut() < 0) {
            throw ShrinkException.usage("--calibration-size must be at least 1 and --held-out at least 0, not "
                    + c.size() + " and " + c.heldOut());
        }
        Task task = Tasks.of(c.task());
        RegistryEntry parent = models.show(request.model());
        task.checkHead(parent.head(), parent.id());
        Checkpoint model = models.load(request.model());
        FeatureOptions features = FeatureOptions.defaults().resolvedFor(task);
        features = features.withMaxLength(c.maxLength() > 0 ? c.maxLength()
                : Math.min(features.maxLength(), model.config().maxPositions()));
        FeatureOptions.checkMaxLength(features.maxLength(), model.config().maxPositions(), "model '" + request.model() + "'");
        // the whole training split, shuffled with the seed: ranges from the first examples, the held-out ones next, so
        // the calibration examples are the same with and without --tolerance
        TaskData data = task.load(new DataOptions(c.dataDir(), 0, 0, null, null), request.seed(), true);
        if (!(data instanceof SequenceTaskData seq)) {
            throw ShrinkException.usage("static-int8 calibrates on sequence tasks (GLUE, IMDb), not " + task.name());
        }
        files.addAll(data.files());
        SequenceData sd = seq.data();
        List<Example> sample = new ArrayList<>(sd.train());
        Collections.shuffle(sample, new Random(request.seed()));
        int size = Math.min(c.size(), sample.size());
        List<Example> ranges = sample.subList(0, size);
        List<Example> heldOut = sample.subList(size, Math.min(sample.size(), size + c.heldOut()));
        if (c.heldOut() > 0 && heldOut.isEmpty()) {
            throw ShrinkException.usage("the " + task.name() + " training split has " + sample.size() + " examples: none "
                    + "is left to hold out after " + size + " calibration examples; lower --calibration-size");
        }
        WordPieceTokenizer tok = new WordPieceTokenizer(model.tokenizer());
        String metric = sd.metrics().get(0);
        List<Features.Feature> heldFeatures = Features.encode(tok, heldOut, features.maxLength(), features.headTail());
        recorded.put("calibrationTask", task.name());
        recorded.put("calibrationSize", ranges.size());
        recorded.put("heldOut", heldOut.size());
        recorded.put("maxLength", features.maxLength());
        return new Calibration(task.name(), metric, Features.encode(tok, ranges, features.maxLength(), features.headTail()),
                heldFeatures, outputs -> SequenceEvaluator.metric(sd, metric, heldOut, outputs));
    }

    /** What runs the model's linears here, by precision. */
    static Map<String, String> kernels(Quantization q) {
        Map<String, String> k = new LinkedHashMap<>();
        Kernels cpu = Kernels.thisCpu();
        switch (q.scheme()) {
            case DYNAMIC_INT8 -> k.put("int8", Quantization.PER_TOKEN.equals(q.activations()) ? cpu.int8Token() : cpu.int8());
            case STATIC_INT8 -> k.put("int8", cpu.int8Static());
            case BF16 -> k.put("bf16", cpu.bf16());
            case WEIGHT_ONLY -> k.put("fp32", "weights dequantised at load; torch.addmm (fp32)");
        }
        return k;
    }

    private static double ratio(long a, long b) {
        return b == 0 ? 1.0 : (double) a / b;
    }
}
