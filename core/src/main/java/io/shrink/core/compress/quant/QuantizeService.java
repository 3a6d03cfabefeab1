package io.shrink.core.compress.quant;

import io.shrink.core.ShrinkException;
import io.shrink.core.compress.CompressRequest;
import io.shrink.core.compress.CompressService;
import io.shrink.core.compress.Compressors;
import io.shrink.core.infer.Kernels;
import io.shrink.core.model.Quantization;
import io.shrink.core.models.ModelService;
import io.shrink.core.results.Provenance;
import io.shrink.core.results.Results;
import io.shrink.core.results.RunResult;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
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
    public static final List<String> METHODS = List.of("dynamic-int8", "weight-int8", "weight-int4", "bf16");

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
     * Quantises and records.
     *
     * @param request the method, its settings and the output id (the command is recorded as {@code quantize})
     * @param runDir  the run folder, or null for a new one under the default runs folder
     */
    public Outcome run(CompressRequest request, Path runDir) {
        if (!METHODS.contains(request.method())) {
            Compressors.of(request.method());
            throw ShrinkException.usage("'" + request.method() + "' is not a quantisation method; quantize takes "
                    + String.join(", ", METHODS) + " (other methods: shrink compress)");
        }
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        CompressService.Result r = new CompressService(models).run(request);
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
        options.put("method", request.method());
        options.put("model", request.model());
        options.put("id", request.outputId());
        RunResult result;
        try {
            result = new RunResult(RunResult.SCHEMA_VERSION,
                    runDir != null ? runDir.getFileName().toString() : Results.newRunId("quantize", request.outputId()),
                    "quantize", List.of(r.parent().ref(), r.entry().ref()), null, metrics,
                    new RunResult.Timings(started.truncatedTo(ChronoUnit.SECONDS).toString(),
                            Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), (System.nanoTime() - t0) / 1e9, null),
                    details, Provenance.capture(request.seed(), options, List.of()));
        } catch (IOException e) {
            throw ShrinkException.failed("could not record the quantize run: " + e.getMessage(), e);
        }
        Path file = Results.write(result, runDir != null ? runDir : Results.defaultRunsDir().resolve(result.runId()));
        return new Outcome(r, result, file);
    }

    /** What runs the model's linears here, by precision. */
    static Map<String, String> kernels(Quantization q) {
        Map<String, String> k = new LinkedHashMap<>();
        Kernels cpu = Kernels.thisCpu();
        switch (q.scheme()) {
            case DYNAMIC_INT8 -> k.put("int8", cpu.int8());
            case BF16 -> k.put("bf16", cpu.bf16());
            case WEIGHT_ONLY -> k.put("fp32", "weights dequantised at load; torch.addmm (fp32)");
        }
        return k;
    }

    private static double ratio(long a, long b) {
        return b == 0 ? 1.0 : (double) a / b;
    }
}
