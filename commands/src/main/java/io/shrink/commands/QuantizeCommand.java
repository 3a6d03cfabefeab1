package io.shrink.commands;

import io.shrink.core.compress.CompressRequest;
import io.shrink.core.compress.quant.QuantizeService;
import io.shrink.core.compress.quant.RangeObserver;
import io.shrink.core.model.Quantization;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code shrink quantize}: store a model's weights in int8, int4 or bf16 and record how it runs. */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Quantise a model (int8, int4, bf16); the quantised model lands in the registry with its lineage.",
        description = {"Methods:",
                "  dynamic-int8  int8 weights per output channel; linears run int8 kernels with activations",
                "                quantised per tensor at run time (PyTorch's quantized::linear_dynamic, fbgemm),",
                "                or with --activations per-token one 8-bit scale per token (torch._int_mm, oneDNN).",
                "  static-int8   the same with activation ranges calibrated on --calibration-task training examples",
                "                (--observer minmax|percentile|mse|entropy); with --tolerance, the linears whose int8",
                "                hurts the head's outputs most fall back to --fallback fp32|bf16 until the metric on",
                "                --held-out further training examples is within the tolerance of the fp32 parent.",
                "  weight-int8   int8 weights per output channel, for size; dequantised to fp32 at load.",
                "  weight-int4   int4 weights, one scale per --group-size values of a row; dequantised at load.",
                "  bf16          bf16 weights and matmuls (fp32 layer norm and residual adds) where the CPU has",
                "                AVX512_BF16 or AMX; emulated in fp32 elsewhere (the result says which).",
                "Linear layers: attention and FFN by default; --head and --embeddings add those (size only);",
                "--include/--exclude take regular expressions over module names (encoder.layer.3.output.dense).",
                "Writes a quantize result: weight bytes before and after (embeddings, layers, head apart), kernels."},
        footerHeading = "%nExamples:%n",
        footer = {"  shrink quantize minilm-sst2 --method dynamic-int8 --id minilm-sst2-int8",
                "  shrink quantize bert-base-sst2 --method weight-int4 --group-size 64 --embeddings",
                "  shrink quantize bert-base-sst2 --method dynamic-int8 --exclude 'layer\\.11\\.'",
                "  shrink quantize bert-base-sst2 --method static-int8 --calibration-task sst2 --tolerance 1%%",
                "  shrink compare results/runs/eval-int8 results/runs/eval-fp32    # the accuracy cost, paired"})
public final class QuantizeCommand extends ContextCommand {
    @Mixin ModelParameter model;

    @Option(names = "--method", required = true, paramLabel = "METHOD", completionCandidates = Methods.class,
            description = "Quantisation method: ${COMPLETION-CANDIDATES}.") String method;

    @Option(names = "--id", paramLabel = "ID", description = "Registry id of the quantised model (default: MODEL-METHOD).")
    String id;

    @Range(min = 1, max = 65536)
    @Option(names = "--group-size", paramLabel = "N", description = "weight-int4: values per scale (default 128; "
            + "must divide every row), between 1 and 65536.") Integer groupSize;

    @Option(names = "--activations", paramLabel = "HOW", completionCandidates = Activations.class,
            description = "dynamic-int8: how activations are quantised at run time: ${COMPLETION-CANDIDATES} "
                    + "(default: per-tensor).") String activations;

    @Option(names = "--include", paramLabel = "REGEX", description = "Only modules whose name matches.") String include;
    @Option(names = "--exclude", paramLabel = "REGEX", description = "Leave modules whose name matches in fp32.") String exclude;
    @Option(names = "--embeddings", negatable = true, description = "Also the embedding tables (default: on for "
            + "weight-int8, weight-int4 and bf16; off for dynamic-int8).") Boolean embeddings;
    @Option(names = "--head", description = "Also the pooler and head linears (size only: the head runs on fp32 views).")
    boolean head;
    @Option(names = "--no-attention", description = "Leave the attention projections in fp32.") boolean noAttention;
    @Option(names = "--no-ffn", description = "Leave the FFN projections in fp32.") boolean noFfn;

    @Option(names = "--calibration-task", paramLabel = "TASK", completionCandidates = TaskNames.class,
            description = "static-int8: the task whose training examples calibrate the ranges (${COMPLETION-CANDIDATES}).")
    String calibrationTask;

    @Range(min = 1, max = 1_000_000)
    @Option(names = "--calibration-size", paramLabel = "N", defaultValue = "256", description = "static-int8: seeded "
            + "training examples the ranges are observed on, between 1 and 1000000 (default: ${DEFAULT-VALUE}).")
    int calibrationSize;

    @Range(min = 1, max = 1_000_000)
    @Option(names = "--held-out", paramLabel = "N", defaultValue = "512", description = "static-int8 --tolerance: further "
            + "training examples candidates are scored on, between 1 and 1000000 (default: ${DEFAULT-VALUE}).")
    int heldOut;

    @Option(names = "--observer", paramLabel = "NAME", completionCandidates = Observers.class,
            description = "static-int8: how ranges are chosen: ${COMPLETION-CANDIDATES} (default: mse).") String observer;

    @Range(min = 50, minExclusive = true, max = 100)
    @Option(names = "--percentile", paramLabel = "P", description = "--observer percentile: share kept at each end, "
            + "in (50, 100] (default 99.99).") Double percentile;

    @Option(names = "--tolerance", paramLabel = "T", description = "static-int8: accuracy-aware; the largest loss on the "
            + "held-out examples, relative (1%%) or in points (0.5). Exit 1 if not reached (the best model is kept).")
    String tolerance;

    @Option(names = "--fallback", paramLabel = "P", description = "--tolerance: what sensitive linears fall back to: "
            + "fp32 or bf16 (default fp32).") String fallback;

    @Range(min = 0, max = 100_000)
    @Option(names = "--max-fallback", paramLabel = "N", description = "--tolerance: at most N linears fall back (query, "
            + "key and value count as one), between 0 and 100000 (default: half of them).") Integer maxFallback;

    @Mixin DataDirOptions data;
    @Mixin MaxLengthOption maxLength;
    @Mixin SeedOption seed;
    @Mixin ForceOption force;
    @Mixin RunOutputOptions output;

    /** The quantisation methods, for help and completion. */
    static final class Methods implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return QuantizeService.METHODS.iterator();
        }
    }

    /** The range observers, for help and completion. */
    static final class Observers implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return RangeObserver.NAMES.iterator();
        }
    }

    @Override
    Integer execute() {
        Map<String, Object> settings = new LinkedHashMap<>();
        if (noAttention) {
            settings.put("attention", false);
        }
        if (noFfn) {
            settings.put("ffn", false);
        }
        if (head) {
            settings.put("head", true);
        }
        if (embeddings != null) {
            settings.put("embeddings", embeddings);
        }
        if (include != null) {
            settings.put("include", include);
        }
        if (exclude != null) {
            settings.put("exclude", exclude);
        }
        if (groupSize != null) {
            settings.put("groupSize", groupSize);
        }
        put(settings, "activations", activations);
        put(settings, "observer", observer);
        put(settings, "percentile", percentile);
        put(settings, "tolerance", tolerance);
        put(settings, "fallback", fallback);
        put(settings, "maxFallback", maxFallback);
        QuantizeService.CalibrationRequest calibration = calibrationTask == null ? null
                : new QuantizeService.CalibrationRequest(calibrationTask, data.forTask(calibrationTask), calibrationSize,
                        tolerance != null ? heldOut : 0, maxLength.maxLength);
        String out = id != null ? id : model.id + "-" + method.toLowerCase(Locale.ROOT);
        QuantizeService.Outcome o = new QuantizeService(context.models()).run(
                new CompressRequest(model.id, method, settings, out, force.force, seed.seed, "quantize"), calibration,
                output.dir(), context.output()::progress);
        Output print = context.output();
        if (output.json()) {
            print.json(o.result());
            return 0;
        }
        var before = o.compressed().before();
        var after = o.compressed().after();
        print.println(String.format(Locale.ROOT, "quantized %s into %s with %s: weights %s -> %s (layers %s -> %s, %.1f%%; "
                        + "embeddings %s)", model.id, o.compressed().entry().id(), method, Formats.bytes(before.total()),
                Formats.bytes(after.total()), Formats.bytes(before.layers()), Formats.bytes(after.layers()),
                100.0 * after.layers() / Math.max(1, before.layers()), Formats.bytes(after.embeddings())));
        o.compressed().report().notes().forEach(n -> print.println("  " + n));
        Object kernels = o.result().details().get("kernels");
        if (kernels instanceof Map<?, ?> k) {
            k.forEach((p, what) -> print.println("  runs " + p + ": " + what));
        }
        Object fell = o.compressed().report().options().get("fellBack");
        if (fell instanceof List<?> rows) {
            print.println("  " + rows.size() + " linears fell back: " + rows.stream()
                    .map(r -> String.valueOf(((Map<?, ?>) r).get("module"))).toList());
        }
        print.println("result: " + o.file());
        return 0;
    }

    /** The activation modes of dynamic-int8, for help and completion. */
    static final class Activations implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of(Quantization.PER_TENSOR, Quantization.PER_TOKEN).iterator();
        }
    }

    private static void put(Map<String, Object> settings, String key, Object value) {
        if (value != null) {
            settings.put(key, value);
        }
    }
}
