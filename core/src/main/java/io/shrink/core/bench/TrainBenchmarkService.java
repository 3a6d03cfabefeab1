package io.shrink.core.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.shrink.core.ShrinkException;
import io.shrink.core.infer.Kernels;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.Heads;
import io.shrink.core.models.ModelService;
import io.shrink.core.registry.RegistryEntry;
import io.shrink.core.results.Provenance;
import io.shrink.core.results.Results;
import io.shrink.core.results.RunResult;
import io.shrink.core.train.AdamW;
import io.shrink.core.train.FusedStack;
import io.shrink.core.train.Losses;
import io.shrink.core.model.ComputePrecision;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * {@code shrink benchmark --train}: seconds per optimizer step of training each model (sequence classification,
 * two labels, a cross-entropy loss on random labels, AdamW with clipping: what {@code fine-tune} does per step, data
 * loading aside), in each precision, interleaved in rounds so ratios come from one run. Achieved FLOP/s count three
 * times the forward matmul FLOPs ({@link ModelCost}: forward, then the input and weight gradients, i.e. 6 × the
 * layers' parameters × tokens plus attention) and are compared with the matmul peak of the precision, measured in the
 * same run. With {@code reference}, the encoder's DJL-operations path (float32, no fusion) is measured too.
 */
public final class TrainBenchmarkService {
    /** The variant name of the DJL-operations reference path. */
    public static final String REFERENCE = "fp32-djl-ops";
    private static final long[] SQUARE = {2048, 2048, 2048};
    private static final int PROBE_REPEATS = 12;

    private final ModelService models;

    /** A benchmark over the given registry. */
    public TrainBenchmarkService(ModelService models) {
        this.models = models;
    }

    /**
     * One model, shape and variant: seconds per optimizer step and what they mean.
     *
     * @param model          registry id
     * @param batch          examples per step
     * @param seq            tokens per example
     * @param variant        {@code fp32}, {@code bf16} or {@link #REFERENCE}
     * @param stepSeconds    per-step seconds over every timed step
     * @param examplesPerSec examples trained per second
     * @param gflops         achieved training GFLOP/s (see the class comment)
     * @param peakFraction   gflops over the matmul peak of the variant's precision
     * @param phaseSeconds   mean seconds per step in {@code forward} (encoder, head and loss), {@code backward} and
     *                       {@code optimizer} (clipping and AdamW)
     * @param speedup        per-round ratio of fp32's mean step time to this one's (null for fp32)
     */
    @JsonPropertyOrder({"model", "batch", "seq", "variant", "stepSeconds", "phaseSeconds", "examplesPerSec", "gflops",
            "peakFraction", "speedup"})
    public record Case(String model, int batch, int seq, String variant, LatencyStats stepSeconds,
                       Map<String, Double> phaseSeconds, double examplesPerSec, double gflops, double peakFraction,
                       BenchmarkReport.Spread speedup) {
        /** This case against the peaks finally measured. */
        Case against(Map<String, Double> peaks) {
            return new Case(model, batch, seq, variant, stepSeconds, phaseSeconds, examplesPerSec, gflops,
                    gflops / peaks.get(peakKey(variant)), speedup);
        }
    }

    /** The peak a variant is compared with: bf16's for bf16, fp32's otherwise. */
    private static String peakKey(String variant) {
        return variant.equals(ComputePrecision.BF16.label()) ? "bf16" : "fp32";
    }

    /** The written result and its file. */
    public record Report(RunResult result, Path file) {
    }

    /**
     * Runs the benchmark: options as for {@code benchmark} ({@code iterations} or {@code durationSeconds} per model,
     * shape and variant, split over the rounds; {@code warmup} untimed steps first).
     */
    public Report run(BenchmarkOptions o, List<ComputePrecision> precisions, boolean reference, Path runDir,
                         Consumer<String> progress) {
        o.validate();
        if (precisions.isEmpty()) {
            throw ShrinkException.usage("--precision needs at least one of fp32, bf16");
        }
        Instant started = Instant.now();
        List<RegistryEntry> entries = BenchmarkService.entries(models, o);
        List<String> variants = new ArrayList<>();
        precisions.stream().distinct().forEach(p -> variants.add(p.label()));
        if (reference) {
            variants.add(REFERENCE);
        }
        int threads = BenchmarkService.startEngine(o);
        Engine engine = Engine.getEngine("PyTorch");
        Map<String, Double> phases = new TreeMap<>();
        List<Case> cases = new ArrayList<>();
        Map<String, Double> peaks = new TreeMap<>();
        try (NDManager root = NDManager.newBaseManager("PyTorch")) {
            long t0 = System.nanoTime();
            progress.accept("measuring the fp32" + (Kernels.thisCpu().bf16Native() ? " and bf16" : "") + " matmul peaks ("
                    + threads + " threads) ...");
            probePeaks(root, peaks);
            phases.put("probe", seconds(t0));
            long t1 = System.nanoTime();
            for (RegistryEntry e : entries) {
                progress.accept("loading " + e.id() + " ...");
                Checkpoint base = models.load(e.id()).withQuantization(null);
                Checkpoint ckpt = base.head().type().equals("classification") ? base
                        : Heads.attach(base, new HeadConfig("classification", Heads.defaultPooling(base.config().family()),
                        List.of("0", "1")), o.seed());
                try (Encoder encoder = Encoder.load(ckpt, root); AdamW adam = new AdamW(root, 0.01)) {
                    encoder.parameters().values().forEach(p -> p.setRequiresGradient(true));
                    Map<String, FusedStack> stacks = new LinkedHashMap<>();
                    try {
                        for (ComputePrecision p : precisions) {
                            stacks.putIfAbsent(p.label(), FusedStack.of(encoder, p));
                        }
                        for (int batch : o.batches()) {
                            for (int seq : o.seqs()) {
                                progress.accept("training " + e.id() + " at batch " + batch + " x seq " + seq + " ...");
                                cases.addAll(measure(engine, root, encoder, adam, stacks, variants, e, o, batch, seq, peaks));
                            }
                        }
                    } finally {
                        stacks.values().forEach(FusedStack::close);
                    }
                }
            }
            phases.put("measure", seconds(t1));
            long t2 = System.nanoTime();
            probePeaks(root, peaks); // again after: the best of both, so a busy moment at the start does not flatter
            phases.put("probe", phases.get("probe") + seconds(t2));
            cases.replaceAll(c -> c.against(peaks));
        }
        Map<String, Object> details = new TreeMap<>();
        details.put("cases", cases);
        details.put("matmulPeaks", peaks);
        details.put("bf16", Kernels.thisCpu().bf16());
        details.put("variants", variants);
        details.put("threads", Map.of("intraOp", threads, "interOp", JniUtils.getNumInteropThreads()));
        details.put("peakRssBytes", MemoryProbe.peakResidentBytes());
        details.put("flopsCounted", "3 x the encoder's forward matmul FLOPs per example (forward, input gradients, "
                + "weight gradients: 6 x layer parameters x tokens plus attention); " + ModelCost.FLOPS_COUNTED);
        details.put("method", "one optimizer step = fused forward (FusedStack, TorchScript) + classification head + "
                + "cross-entropy on random labels + backward + AdamW with clipping; random token ids, no padding; "
                + "variants and models interleaved in rounds, order reversed every other round; each step timed; "
                + REFERENCE + " is the encoder's DJL-operations path");
        List<RunResult.ModelRef> refs = entries.stream().map(RegistryEntry::ref).toList();
        String runId = runDir != null ? runDir.getFileName().toString()
                : Results.newRunId("benchmark-train", String.join("-", o.models()));
        Instant finished = Instant.now();
        RunResult result = new RunResult(RunResult.SCHEMA_VERSION, runId, "benchmark-train", refs, null, metrics(cases),
                new RunResult.Timings(started.toString(), finished.toString(),
                        (finished.toEpochMilli() - started.toEpochMilli()) / 1000.0, phases),
                details, provenance(o, precisions, reference, threads));
        return new Report(result, Results.write(result, runDir != null ? runDir : Results.defaultRunsDir().resolve(runId)));
    }

    /** Measures the fp32 and bf16 (where native; else fp32's) matmul peaks, keeping the best of this and earlier ones. */
    private static void probePeaks(NDManager root, Map<String, Double> peaks) {
        double fp32 = MatmulPeak.best(MatmulPeak.measure(root, List.of(SQUARE), PROBE_REPEATS));
        peaks.merge("fp32", fp32, Math::max);
        peaks.merge("bf16", Kernels.thisCpu().bf16Native()
                ? MatmulPeak.best(MatmulPeak.measure(root, List.of(SQUARE), PROBE_REPEATS, "bf16")) : fp32, Math::max);
    }

    private static List<Case> measure(Engine engine, NDManager root, Encoder encoder, AdamW adam,
                                      Map<String, FusedStack> stacks, List<String> variants, RegistryEntry e,
                                      BenchmarkOptions o, int batch, int seq, Map<String, Double> peaks) {
        int n = variants.size();
        List<List<double[]>> rounds = new ArrayList<>();
        variants.forEach(v -> rounds.add(new ArrayList<>()));
        double[][] phaseSums = new double[n][3];
        int[] steps = new int[n];
        for (String v : variants) {
            for (int w = 0; w < o.warmup(); w++) {
                step(engine, root, encoder, adam, stacks.get(v), e, o.seed() + w, batch, seq);
            }
        }
        double perRound = o.durationSeconds() / o.rounds();
        int itersPerRound = o.iterations() == null ? 0 : (o.iterations() + o.rounds() - 1) / o.rounds();
        for (int r = 0; r < o.rounds(); r++) {
            for (int k = 0; k < n; k++) {
                int i = r % 2 == 0 ? k : n - 1 - k;
                List<Double> times = new ArrayList<>();
                long start = System.nanoTime();
                while (true) {
                    long t = System.nanoTime();
                    double[] ph = step(engine, root, encoder, adam, stacks.get(variants.get(i)), e,
                            o.seed() + 1000L * r + times.size(), batch, seq);
                    long end = System.nanoTime();
                    for (int p = 0; p < 3; p++) {
                        phaseSums[i][p] += ph[p];
                    }
                    steps[i]++;
                    times.add((end - t) / 1e9);
                    if (itersPerRound > 0 ? times.size() >= itersPerRound : (end - start) / 1e9 >= perRound) {
                        break;
                    }
                }
                rounds.get(i).add(times.stream().mapToDouble(Double::doubleValue).toArray());
            }
        }
        long flops = 3 * ModelCost.flopsPerSequence(e.config(), seq) * batch;
        int fp32 = variants.indexOf(ComputePrecision.FP32.label());
        List<Case> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Double> all = new ArrayList<>();
            rounds.get(i).forEach(r -> {
                for (double t : r) {
                    all.add(t);
                }
            });
            double[] times = all.stream().mapToDouble(Double::doubleValue).toArray();
            double mean = all.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double gflops = flops / mean / 1e9;
            String v = variants.get(i);
            double peak = peaks.get(peakKey(v));
            BenchmarkReport.Spread speedup = null;
            if (fp32 >= 0 && i != fp32) {
                double[] ratios = new double[o.rounds()];
                for (int r = 0; r < ratios.length; r++) {
                    ratios[r] = BenchmarkService.mean(rounds.get(fp32).get(r)) / BenchmarkService.mean(rounds.get(i).get(r));
                }
                speedup = BenchmarkReport.Spread.of(ratios);
            }
            Map<String, Double> ph = new LinkedHashMap<>();
            ph.put("forward", phaseSums[i][0] / steps[i]);
            ph.put("backward", phaseSums[i][1] / steps[i]);
            ph.put("optimizer", phaseSums[i][2] / steps[i]);
            out.add(new Case(e.id(), batch, seq, v, LatencyStats.of(times), ph, batch / mean, gflops, gflops / peak, speedup));
        }
        return out;
    }

    /**
     * One optimizer step on random ids and labels; {@code stack} null runs the DJL-operations path. Returns the seconds
     * of its forward, backward and optimizer phases.
     */
    private static double[] step(Engine engine, NDManager root, Encoder encoder, AdamW adam, FusedStack stack,
                             RegistryEntry e, long seed, int batch, int seq) {
        Random r = new Random(seed);
        long[] ids = new long[batch * seq];
        long[] labels = new long[batch];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(e.config().vocabSize());
        }
        for (int i = 0; i < batch; i++) {
            labels[i] = r.nextInt(2);
        }
        Encoder.seed((int) seed);
        double[] phases = new double[3];
        try (NDManager sm = root.newSubManager()) {
            long t0 = System.nanoTime();
            try (GradientCollector gc = engine.newGradientCollector()) {
                NDArray in = sm.create(ids, new Shape(batch, seq)); // (batch, seq)
                NDArray hidden = stack != null ? stack.forward(in, null, null, true, false, false).lastHidden()
                        : encoder.forward(in, null, null, true, false).lastHidden(); // (batch, seq, hidden)
                NDArray loss = Losses.crossEntropy(encoder.classify(hidden, true), sm.create(labels, new Shape(batch)));
                loss.getFloat();
                long t1 = System.nanoTime();
                gc.backward(loss);
                long t2 = System.nanoTime();
                phases[0] = (t1 - t0) / 1e9;
                phases[1] = (t2 - t1) / 1e9;
            }
            long t3 = System.nanoTime();
            adam.step(encoder.parameters(), 1e-5, 1.0);
            phases[2] = (System.nanoTime() - t3) / 1e9;
        }
        return phases;
    }

    private static Map<String, RunResult.Metric> metrics(List<Case> cases) {
        Map<String, RunResult.Metric> m = new TreeMap<>();
        for (Case c : cases) {
            String k = c.model() + ".b" + c.batch() + ".s" + c.seq() + "." + c.variant() + ".";
            m.put(k + "stepSeconds", RunResult.Metric.of(c.stepSeconds().mean(), false));
            m.put(k + "peakFraction", RunResult.Metric.of(c.peakFraction(), true));
            if (c.speedup() != null) {
                m.put(k + "speedup", RunResult.Metric.of(c.speedup().median(), true));
            }
        }
        return m;
    }

    private static Provenance provenance(BenchmarkOptions o, List<ComputePrecision> precisions, boolean reference, int threads) {
        Map<String, Object> options = o.asMap();
        options.put("train", true);
        options.put("precision", precisions.stream().map(ComputePrecision::label).toList());
        options.put("reference", reference);
        try {
            Provenance p = Provenance.capture(o.seed(), options, List.of());
            return new Provenance(p.shrinkVersion(), p.gitCommit(), p.versions(), p.hardware(), threads, p.seed(),
                    p.options(), p.dataFiles());
        } catch (IOException e) {
            throw ShrinkException.failed("cannot record provenance: " + e.getMessage(), e);
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
