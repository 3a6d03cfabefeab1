package io.shrink.commands;

import io.shrink.core.bench.BenchmarkOptions;
import io.shrink.core.bench.BenchmarkReport;
import io.shrink.core.bench.BenchmarkService;
import io.shrink.core.bench.TrainBenchmarkService;
import io.shrink.core.results.RunResult;
import io.shrink.core.model.ComputePrecision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code shrink benchmark}: speed, memory and size of registry models, side by side. */
@Command(name = "benchmark", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Measure speed, memory and size of models, side by side.",
        description = {
                "Runs each model's encoder (fp32, fused attention, no autograd, no head) on random token ids and",
                "reports latency per forward pass (p50/p90/p99, mean, stdev), throughput, achieved GFLOP/s and the",
                "fraction of this machine's matmul peak in the model's precision (fp32, int8, bf16; measured in the same run), parameters, FLOPs per",
                "sequence, size on disk and resident memory. Several models are measured interleaved in rounds;",
                "speed-ups to the baseline are per-round ratios (median and min-max). The result is saved as JSON.",
                "With --train it times optimizer steps instead (fused forward and backward, classification head, AdamW)",
                "in each --precision, interleaved, with the share of each precision's matmul peak (result 'benchmark-train')."},
        footerHeading = "%nExamples:%n",
        footer = {"  shrink benchmark bert-base-uncased",
                "  shrink benchmark bert-base-uncased my-6-layer --batch 1,32 --seq 128 --duration 30",
                "  shrink benchmark my-6-layer --compare results/runs/<run-id>/result.json --json",
                "  shrink benchmark bert-base-uncased --train --precision fp32,bf16 --batch 32 --seq 64,128"})
public final class BenchmarkCommand extends ContextCommand {
    @Parameters(paramLabel = "MODEL", arity = "1..*", description = "Model ids in the registry.") List<String> models;

    @Range(min = 1, max = 4096)
    @Option(names = "--batch", paramLabel = "N", split = ",", defaultValue = "1,32",
            description = "Batch sizes, each between 1 and 4096 (default: ${DEFAULT-VALUE}); batch 1 gives latency.") List<Integer> batches;

    @Range(min = 1, max = 512)
    @Option(names = "--seq", paramLabel = "N", split = ",", defaultValue = "128",
            description = "Sequence lengths in tokens, each between 1 and 512 (and at most the model's positions) (default: ${DEFAULT-VALUE}).") List<Integer> seqs;

    @Range(min = 0, minExclusive = true)
    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "10",
            description = "Timed seconds per model and shape, split over the rounds, greater than 0 (default: ${DEFAULT-VALUE}).") double duration;

    @Range(min = 1)
    @Option(names = "--iterations", paramLabel = "N",
            description = "Timed forward passes per model and shape instead of --duration, at least 1.") Integer iterations;

    @Range(min = 0)
    @Option(names = "--warmup", paramLabel = "N", defaultValue = "2",
            description = "Untimed forward passes per model and shape first, at least 0 (default: ${DEFAULT-VALUE}).") int warmup;

    @Range(min = 1)
    @Option(names = "--rounds", paramLabel = "N", defaultValue = "5",
            description = "Rounds of interleaving the models, at least 1 (default: ${DEFAULT-VALUE}).") int rounds;

    @Range(min = 1)
    @Option(names = "--threads", paramLabel = "N",
            description = "PyTorch intra-op threads, set at run time, at least 1 (default: those in force at engine start).") Integer threads;

    @Option(names = "--baseline", paramLabel = "ID", description = "Model the speed-ups are relative to (default: the first).") String baseline;
    @Mixin SeedOption seed;

    @Option(names = "--compare", paramLabel = "RESULT.json",
            description = "An earlier benchmark result: flags a different machine or stack, prints throughput ratios.") Path compare;

    @Option(names = "--train", description = "Time training steps (seconds per optimizer step) instead of forward passes.")
    boolean train;

    @Option(names = "--precision", paramLabel = "P", split = ",", defaultValue = "fp32,bf16",
            description = "With --train: the precisions to time, interleaved (${COMPLETION-CANDIDATES}) (default: ${DEFAULT-VALUE}).")
    List<ComputePrecision> precisions;

    @Option(names = "--reference", description = "With --train: also time the encoder's unfused DJL-operations path (fp32).")
    boolean reference;

    @Mixin RunOutputOptions output;

    @Override
    Integer execute() {
        Output o = context.output();
        BenchmarkOptions options = new BenchmarkOptions(models, baseline, batches, seqs, warmup, duration, iterations,
                rounds, threads, seed.seed, compare);
        if (train) {
            if (compare != null || baseline != null) {
                throw context.usage("--compare and --baseline are for forward-pass benchmarks, not --train");
            }
            TrainBenchmarkService.Report report = new TrainBenchmarkService(context.models()).run(options, precisions,
                    reference, output.dir(), o::progress);
            if (output.json()) {
                o.json(report.result());
            } else {
                printTrain(o, report);
            }
            return 0;
        }
        if (reference) {
            throw context.usage("--reference needs --train");
        }
        BenchmarkReport r = new BenchmarkService(context.models()).run(options, output.dir(), o::progress);
        if (output.json()) {
            o.json(r.result());
        } else {
            print(o, r);
        }
        return 0;
    }

    @SuppressWarnings("unchecked")
    static void printTrain(Output o, TrainBenchmarkService.Report report) {
        RunResult r = report.result();
        o.println(String.format(Locale.ROOT, "%-24s %5s %5s %-13s %10s %10s %10s %17s %8s %8s %6s  %s", "MODEL", "BATCH", "SEQ",
                "VARIANT", "S/STEP P50", "MEAN", "MIN", "FWD/BWD/OPT", "EX/S", "GFLOP/S", "PEAK", "VS FP32 (median [min-max])"));
        for (TrainBenchmarkService.Case c : (List<TrainBenchmarkService.Case>) r.details().get("cases")) {
            o.println(String.format(Locale.ROOT, "%-24s %5d %5d %-13s %10.3f %10.3f %10.3f %17s %8.2f %8.1f %5.0f%%  %s", c.model(),
                    c.batch(), c.seq(), c.variant(), c.stepSeconds().p50(), c.stepSeconds().mean(), c.stepSeconds().min(),
                    String.format(Locale.ROOT, "%.2f/%.2f/%.2f", c.phaseSeconds().get("forward"),
                            c.phaseSeconds().get("backward"), c.phaseSeconds().get("optimizer")),
                    c.examplesPerSec(), c.gflops(), 100 * c.peakFraction(), c.speedup() == null ? "-"
                            : String.format(Locale.ROOT, "x%.2f [%.2f-%.2f]", c.speedup().median(), c.speedup().min(),
                            c.speedup().max())));
        }
        Map<String, Double> peaks = (Map<String, Double>) r.details().get("matmulPeaks");
        o.println(String.format(Locale.ROOT, "matmul peaks: fp32 %.1f GFLOP/s, bf16 %.1f GFLOP/s; peak resident memory %s",
                peaks.get("fp32"), peaks.get("bf16"), Formats.bytes(r.detailNumber("peakRssBytes").longValue())));
        o.println("  bf16: " + r.details().get("bf16"));
        o.println("machine: " + r.provenance().hardware().cpuModel() + ", " + r.provenance().hardware().logicalCpus()
                + " CPUs, " + String.join(" ", r.provenance().hardware().isaFlags()));
        o.println("result: " + report.file());
    }

    static void print(Output o, BenchmarkReport r) {
        o.println(String.format(Locale.ROOT, "%-24s %6s %12s %12s %10s %12s %14s %12s  %s", "MODEL", "LAYERS", "PARAMS",
                "NON-EMB", "SIZE", "LAYER BYTES", "GFLOP/SEQ", "LOAD RSS", "PRECISION"));
        for (BenchmarkReport.ModelInfo m : r.models()) {
            StringBuilder flops = new StringBuilder();
            m.flopsPerSequence().forEach((s, f) -> flops.append(flops.length() == 0 ? "" : " ")
                    .append(String.format(Locale.ROOT, "%.2f@%d", f / 1e9, s)));
            o.println(String.format(Locale.ROOT, "%-24s %6d %12s %12s %10s %12s %14s %12s  %s %s", m.id(), m.layers(),
                    Formats.count(m.encoderParameters()), Formats.count(m.nonEmbeddingParameters()),
                    Formats.bytes(m.bytesOnDisk()), Formats.bytes(m.weightBytes().layers()), flops,
                    m.loadRssBytes() < 0 ? "-" : Formats.bytes(m.loadRssBytes()), m.precision(), m.linears()));
        }
        o.println("");
        o.println(String.format(Locale.ROOT, "%-24s %5s %5s %9s %9s %9s %16s %9s %8s %6s  %s", "MODEL", "BATCH", "SEQ",
                "P50 ms", "P90 ms", "P99 ms", "MEAN±SD ms", "SEQ/S", "GFLOP/S", "PEAK", "SPEED-UP (median [min-max])"));
        for (BenchmarkReport.Case c : r.cases()) {
            String speed = c.speedup() == null ? "baseline"
                    : String.format(Locale.ROOT, "x%.2f [%.2f-%.2f], p50 latency x%.2f [%.2f-%.2f]",
                    c.speedup().median(), c.speedup().min(), c.speedup().max(), c.latencySpeedup().median(),
                    c.latencySpeedup().min(), c.latencySpeedup().max());
            o.println(String.format(Locale.ROOT, "%-24s %5d %5d %9.2f %9.2f %9.2f %16s %9.2f %8.1f %5.0f%%  %s", c.model(),
                    c.batch(), c.seq(), c.latencyMs().p50(), c.latencyMs().p90(), c.latencyMs().p99(),
                    String.format(Locale.ROOT, "%.2f±%.2f", c.latencyMs().mean(), c.latencyMs().stdev()), c.seqPerSec(),
                    c.gflops(), 100 * c.peakFraction(), speed));
        }
        o.println("");
        o.println(String.format(Locale.ROOT, "fp32 matmul peak %.1f GFLOP/s (best of %d timed products), %d threads; "
                + "peak resident memory %s", r.matmulPeak().gflops(), r.matmulPeak().gemms().size(), r.threads(),
                Formats.bytes(r.result().detailNumber("peakRssBytes").longValue())));
        if (r.result().details().get("precisionPeaks") instanceof BenchmarkReport.PrecisionPeaks p) {
            o.println(String.format(Locale.ROOT, "int8 linear peak %s GOP/s, bf16 matmul peak %s GFLOP/s (PEAK is each model's "
                    + "share of its own precision's peak)", p.int8() == null ? "-" : String.format(Locale.ROOT, "%.1f", p.int8()),
                    p.bf16() == null ? "-" : String.format(Locale.ROOT, "%.1f", p.bf16())));
            p.notes().forEach(n -> o.println("  " + n));
        }
        r.models().stream().flatMap(m -> m.kernels().entrySet().stream()).filter(k -> !k.getKey().equals("fp32"))
                .distinct().forEach(k -> o.println("  " + k.getKey() + " kernels: " + k.getValue()));
        o.println("machine: " + r.result().provenance().hardware().cpuModel() + ", "
                + r.result().provenance().hardware().logicalCpus() + " CPUs, "
                + String.join(" ", r.result().provenance().hardware().isaFlags()));
        if (r.comparison() != null) {
            BenchmarkReport.Comparison c = r.comparison();
            if (!c.sameMachine()) {
                o.println("WARNING: compared with a run on a different machine or stack; ratios are not like for like:");
                c.differences().forEach(d -> o.println("  " + d));
            }
            c.ratios().forEach((k, v) -> o.println(String.format(Locale.ROOT, "vs %s: %s throughput x%.2f", c.runId(), k, v)));
        }
        if (r.file() != null) {
            o.println("result: " + r.file());
        }
    }
}
