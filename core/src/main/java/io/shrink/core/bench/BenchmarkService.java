package io.shrink.core.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.infer.FastEncoder;
import io.shrink.core.infer.Kernels;
import io.shrink.core.model.WeightBytes;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.models.ModelService;
import io.shrink.core.registry.RegistryEntry;
import io.shrink.core.results.Hardware;
import io.shrink.core.results.Provenance;
import io.shrink.core.results.Results;
import io.shrink.core.results.RunResult;
import io.shrink.core.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * {@code shrink benchmark}: loads registry models on the {@link FastEncoder} path and measures, for every
 * batch size and sequence length, per-pass latency and throughput, interleaving the models in rounds
 * (A B, B A, ...) so that their ratios survive machine noise; measures the machine's fp32 matmul peak in
 * the same run; and records parameters, FLOPs, memory, the hardware fingerprint and provenance in a
 * {@link RunResult}. Inputs are random token ids without padding; only the encoder is timed, not a head.
 */
public final class BenchmarkService {
    /** Shapes of the square matmul probe, besides each model's FFN-shaped products. */
    static final long[] SQUARE = {2048, 2048, 2048};
    private static final int PROBE_REPEATS = 12;

    private final ModelService models;

    /** A service over the given registry. */
    public BenchmarkService(ModelService models) {
        this.models = models;
    }

    /**
     * Runs the benchmark and writes {@code result.json} into the run folder {@code runDir} (its name is the run
     * id, as for evaluate and fine-tune); null: a new run id under {@link Results#defaultRunsDir()}.
     */
    public BenchmarkReport run(BenchmarkOptions o, Path runDir, Consumer<String> progress) {
        o.validate();
        Instant started = Instant.now();
        JsonNode earlier = o.compare() == null ? null : readEarlier(o.compare());
        List<RegistryEntry> entries = entries(models, o);
        int threads = startEngine(o);
        Map<String, Double> phases = new TreeMap<>();
        List<BenchmarkReport.ModelInfo> infos = new ArrayList<>();
        List<BenchmarkReport.Case> cases = new ArrayList<>();
        List<MatmulPeak.Gemm> gemms = new ArrayList<>();
        List<MatmulPeak.Gemm> int8Gemms = new ArrayList<>();
        List<MatmulPeak.Gemm> bf16Gemms = new ArrayList<>();
        List<MatmulPeak.Gemm> tokenGemms = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager("PyTorch")) {
            long t0 = System.nanoTime();
            List<FastEncoder> encoders = new ArrayList<>();
            try {
                for (RegistryEntry e : entries) {
                    progress.accept("loading " + e.id() + " ...");
                    long before = MemoryProbe.residentBytes();
                    Checkpoint ckpt = models.load(e.id());
                    FastEncoder fast = FastEncoder.load(ckpt, root);
                    encoders.add(fast);
                    try (NDManager step = root.newSubManager()) {
                        fast.forward(ids(step, e.config(), o.batches().get(0), o.seqs().get(0), o.seed()), null, null);
                    }
                    long after = MemoryProbe.residentBytes();
                    infos.add(info(e, o.seqs(), before < 0 || after < 0 ? -1 : after - before, fast,
                            WeightBytes.of(ckpt)));
                }
                phases.put("load", seconds(t0));
                boolean tokenUsed = encoders.stream().anyMatch(f -> f.linearPrecisions().containsKey("int8-token"));

                long t1 = System.nanoTime();
                progress.accept("measuring the fp32 matmul peak (" + threads + " threads) ...");
                List<long[]> shapes = probeShapes(entries, o);
                gemms.addAll(MatmulPeak.measure(root, shapes, PROBE_REPEATS));
                progress.accept("measuring the int8" + (Kernels.thisCpu().bf16Native() ? " and bf16" : "")
                        + " peaks ...");
                int8Gemms.addAll(MatmulPeak.measure(root, shapes, PROBE_REPEATS, "int8"));
                if (Kernels.thisCpu().bf16Native()) {
                    bf16Gemms.addAll(MatmulPeak.measure(root, shapes, PROBE_REPEATS, "bf16"));
                }
                if (tokenUsed) {
                    tokenGemms.addAll(MatmulPeak.measure(root, shapes, PROBE_REPEATS, "int8-token"));
                }
                phases.put("probe", seconds(t1));

                long t2 = System.nanoTime();
                List<Measured> measured = new ArrayList<>();
                for (int batch : o.batches()) {
                    for (int seq : o.seqs()) {
                        progress.accept("measuring batch " + batch + " x seq " + seq + " ...");
                        measured.addAll(measure(root, entries, encoders, o, batch, seq));
                    }
                }
                phases.put("measure", seconds(t2));

                long t3 = System.nanoTime();
                gemms.addAll(MatmulPeak.measure(root, shapes, PROBE_REPEATS));
                int8Gemms.addAll(MatmulPeak.measure(root, shapes, PROBE_REPEATS, "int8"));
                if (Kernels.thisCpu().bf16Native()) {
                    bf16Gemms.addAll(MatmulPeak.measure(root, shapes, PROBE_REPEATS, "bf16"));
                }
                if (tokenUsed) {
                    tokenGemms.addAll(MatmulPeak.measure(root, shapes, PROBE_REPEATS, "int8-token"));
                }
                phases.put("probe", phases.get("probe") + seconds(t3));
                Map<String, Double> peaks = new TreeMap<>();
                peaks.put("fp32", MatmulPeak.best(gemms));
                peaks.put("int8", MatmulPeak.best(int8Gemms));
                peaks.put("int8-static", MatmulPeak.best(int8Gemms)); // the same fbgemm kernels, calibrated inputs
                peaks.put("int8-token", MatmulPeak.best(tokenGemms));
                peaks.put("bf16", Kernels.thisCpu().bf16Native() ? MatmulPeak.best(bf16Gemms) : MatmulPeak.best(gemms));
                cases.addAll(summarise(measured, infos, o.baselineId(), peaks));
            } finally {
                encoders.forEach(FastEncoder::close);
            }
        }
        BenchmarkReport.Peak peak = new BenchmarkReport.Peak(MatmulPeak.best(gemms), gemms);
        Provenance prov = provenance(o, threads);
        BenchmarkReport.Comparison comparison = earlier == null ? null : compare(o.compare(), earlier, prov, cases);

        Instant finished = Instant.now();
        String label = String.join("-", o.models());
        String runId = runDir != null ? runDir.getFileName().toString() : Results.newRunId("benchmark", label);
        Map<String, Object> details = new TreeMap<>();
        details.put("models", infos);
        details.put("cases", cases);
        details.put("matmulPeak", peak);
        details.put("precisionPeaks", precisionPeaks(int8Gemms, bf16Gemms, tokenGemms));
        details.put("baseline", o.baselineId());
        details.put("threads", Map.of("intraOp", threads, "interOp", JniUtils.getNumInteropThreads()));
        details.put("peakRssBytes", MemoryProbe.peakResidentBytes());
        details.put("flopsCounted", ModelCost.FLOPS_COUNTED);
        details.put("method", "FastEncoder (TorchScript, fused QKV, scaled_dot_product_attention, no autograd); "
                + "random token ids, no padding, token types 0; encoder only, no head; models interleaved in "
                + "rounds, order reversed every other round; each forward pass timed");
        if (comparison != null) {
            details.put("compare", comparison);
        }
        List<RunResult.ModelRef> refs = entries.stream()
                .map(e -> e.ref()).toList();
        RunResult result = new RunResult(RunResult.SCHEMA_VERSION, runId, "benchmark", refs, null, metrics(cases, peak),
                new RunResult.Timings(started.toString(), finished.toString(),
                        (finished.toEpochMilli() - started.toEpochMilli()) / 1000.0, phases),
                details, prov);
        Path file = Results.write(result, runDir != null ? runDir : Results.defaultRunsDir().resolve(runId));
        return new BenchmarkReport(result, file, infos, cases, peak, threads, comparison);
    }

    /** The models' registry entries; a usage error when a sequence length exceeds a model's positions. */
    static List<RegistryEntry> entries(ModelService models, BenchmarkOptions o) {
        List<RegistryEntry> entries = new ArrayList<>();
        int longest = o.seqs().stream().mapToInt(Integer::intValue).max().orElseThrow();
        for (String id : o.models()) {
            RegistryEntry e = models.show(id);
            if (longest > e.config().maxPositions()) {
                throw ShrinkException.outOfRange("--seq", "between 1 and " + e.config().maxPositions() + " (model '" + id
                        + "' has " + e.config().maxPositions() + " positions)", longest);
            }
            entries.add(e);
        }
        return entries;
    }

    /** Starts PyTorch with {@code --threads} intra-op threads if given; returns the threads in force. */
    static int startEngine(BenchmarkOptions o) {
        Engine.getEngine("PyTorch");
        if (o.threads() != null) {
            JniUtils.setNumThreads(o.threads());
        }
        return JniUtils.getNumThreads();
    }

    /** Timed forward passes of one model at one shape, by round. */
    private record Measured(String model, int batch, int seq, List<double[]> rounds) {
    }

    private static List<Measured> measure(NDManager root, List<RegistryEntry> entries, List<FastEncoder> encoders,
                                          BenchmarkOptions o, int batch, int seq) {
        int n = entries.size();
        List<List<double[]>> rounds = new ArrayList<>();
        try (NDManager step = root.newSubManager()) {
            List<FastEncoder.Call> calls = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    NDArray ids = ids(step, entries.get(i).config(), batch, seq, o.seed()); // (batch, seq)
                    calls.add(encoders.get(i).prepare(ids, null, null));
                    rounds.add(new ArrayList<>());
                }
                for (int w = 0; w < o.warmup(); w++) {
                    calls.forEach(FastEncoder.Call::run);
                }
                double perRound = o.durationSeconds() / o.rounds();
                int itersPerRound = o.iterations() == null ? 0 : (o.iterations() + o.rounds() - 1) / o.rounds();
                for (int r = 0; r < o.rounds(); r++) {
                    for (int k = 0; k < n; k++) {
                        int i = r % 2 == 0 ? k : n - 1 - k;
                        rounds.get(i).add(timeRound(calls.get(i), perRound, itersPerRound));
                    }
                }
            } finally {
                calls.forEach(FastEncoder.Call::close);
            }
        }
        List<Measured> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Measured(entries.get(i).id(), batch, seq, rounds.get(i)));
        }
        return out;
    }

    /** Times passes until {@code iterations} (if positive) or {@code seconds} are done; at least one. */
    private static double[] timeRound(FastEncoder.Call call, double seconds, int iterations) {
        List<Double> times = new ArrayList<>();
        long start = System.nanoTime();
        while (true) {
            long t = System.nanoTime();
            call.run();
            long end = System.nanoTime();
            times.add((end - t) / 1e9);
            boolean done = iterations > 0 ? times.size() >= iterations : (end - start) / 1e9 >= seconds;
            if (done) {
                break;
            }
        }
        return times.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static List<BenchmarkReport.Case> summarise(List<Measured> measured, List<BenchmarkReport.ModelInfo> infos,
                                                        String baseline, Map<String, Double> peaks) {
        Map<String, Measured> baseByShape = new LinkedHashMap<>();
        for (Measured m : measured) {
            if (m.model().equals(baseline)) {
                baseByShape.put(m.batch() + "x" + m.seq(), m);
            }
        }
        List<BenchmarkReport.Case> out = new ArrayList<>();
        for (Measured m : measured) {
            List<Double> all = new ArrayList<>();
            List<Double> roundRates = new ArrayList<>();
            for (double[] r : m.rounds()) {
                double sum = 0;
                for (double t : r) {
                    all.add(t);
                    sum += t;
                }
                roundRates.add(m.batch() * r.length / sum);
            }
            double[] times = all.stream().mapToDouble(Double::doubleValue).toArray();
            double total = all.stream().mapToDouble(Double::doubleValue).sum();
            double seqPerSec = m.batch() * times.length / total;
            BenchmarkReport.ModelInfo info = infos.stream().filter(i -> i.id().equals(m.model())).findFirst().orElseThrow();
            long flops = info.flopsPerSequence().get(m.seq());
            double peak = peaks.get(info.precision());
            double gflops = flops * seqPerSec / 1e9;
            BenchmarkReport.Spread speedup = null;
            BenchmarkReport.Spread latencySpeedup = null;
            Measured base = baseByShape.get(m.batch() + "x" + m.seq());
            if (!m.model().equals(baseline)) {
                double[] ratios = new double[m.rounds().size()];
                double[] latencyRatios = new double[m.rounds().size()];
                for (int r = 0; r < ratios.length; r++) {
                    double[] mine = m.rounds().get(r);
                    double[] theirs = base.rounds().get(r);
                    ratios[r] = mean(theirs) / mean(mine);
                    latencyRatios[r] = LatencyStats.of(theirs).p50() / LatencyStats.of(mine).p50();
                }
                speedup = BenchmarkReport.Spread.of(ratios);
                latencySpeedup = BenchmarkReport.Spread.of(latencyRatios);
            }
            out.add(new BenchmarkReport.Case(m.model(), m.batch(), m.seq(), LatencyStats.of(times).scaled(1000),
                    seqPerSec, seqPerSec * m.seq(), gflops, gflops / peak, roundRates, speedup, latencySpeedup));
        }
        return out;
    }

    static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    private static Map<String, RunResult.Metric> metrics(List<BenchmarkReport.Case> cases, BenchmarkReport.Peak peak) {
        Map<String, RunResult.Metric> m = new TreeMap<>();
        m.put("matmulPeakGflops", RunResult.Metric.of(peak.gflops(), true));
        for (BenchmarkReport.Case c : cases) {
            String k = c.model() + ".b" + c.batch() + ".s" + c.seq() + ".";
            m.put(k + "seqPerSec", RunResult.Metric.of(c.seqPerSec(), true));
            m.put(k + "latencyP50Ms", RunResult.Metric.of(c.latencyMs().p50(), false));
            m.put(k + "peakFraction", RunResult.Metric.of(c.peakFraction(), true));
            if (c.speedup() != null) {
                m.put(k + "speedup", RunResult.Metric.of(c.speedup().median(), true));
                m.put(k + "latencySpeedup", RunResult.Metric.of(c.latencySpeedup().median(), true));
            }
        }
        return m;
    }

    private static BenchmarkReport.ModelInfo info(RegistryEntry e, List<Integer> seqs, long rss, FastEncoder fast,
                                                  WeightBytes bytes) {
        EncoderConfig c = e.config();
        Map<Integer, Long> flops = new TreeMap<>();
        seqs.forEach(s -> flops.put(s, ModelCost.flopsPerSequence(c, s)));
        Map<String, Integer> linears = fast.linearPrecisions();
        String precision = linears.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElse("fp32");
        return new BenchmarkReport.ModelInfo(e.id(), e.family(), c.numLayers(), c.hiddenSize(), e.parameters(),
                ModelCost.parameters(c, false), ModelCost.nonEmbeddingParameters(c, false), e.bytesOnDisk(), rss, flops,
                precision, linears, fast.kernels(), bytes);
    }

    /** The int8 and bf16 peaks, with a note where this CPU lacks the instructions that make them fast. */
    private static BenchmarkReport.PrecisionPeaks precisionPeaks(List<MatmulPeak.Gemm> int8, List<MatmulPeak.Gemm> bf16,
                                                                 List<MatmulPeak.Gemm> token) {
        List<String> notes = new ArrayList<>();
        List<String> flags = Hardware.detect().isaFlags();
        if (!flags.contains("AVX512_VNNI") && !flags.contains("AVX_VNNI") && !flags.contains("AMX_INT8")) {
            notes.add("this CPU has no VNNI or AMX_INT8: int8 products use fbgemm's "
                    + (flags.contains("AVX512F") ? "AVX512" : "AVX2") + " kernels");
        }
        if (!Kernels.thisCpu().bf16Native()) {
            notes.add("this CPU has neither AVX512_BF16 nor AMX_BF16: bf16 models run emulated in fp32, so their share "
                    + "of peak is taken against the fp32 peak; the bf16 matmul (a scalar fallback here) is not timed");
        }
        return new BenchmarkReport.PrecisionPeaks(int8.isEmpty() ? null : MatmulPeak.best(int8),
                bf16.isEmpty() ? null : MatmulPeak.best(bf16), int8, bf16, notes,
                token.isEmpty() ? null : MatmulPeak.best(token), token.isEmpty() ? null : token);
    }

    /** The square probe and, per model, the FFN-in product at the largest batch × sequence. */
    private static List<long[]> probeShapes(List<RegistryEntry> entries, BenchmarkOptions o) {
        long tokens = (long) o.batches().stream().mapToInt(Integer::intValue).max().orElseThrow()
                * o.seqs().stream().mapToInt(Integer::intValue).max().orElseThrow();
        List<long[]> shapes = new ArrayList<>();
        shapes.add(SQUARE);
        for (RegistryEntry e : entries) {
            long[] s = {Math.min(tokens, 8192), e.config().hiddenSize(), e.config().intermediateSize()};
            if (shapes.stream().noneMatch(x -> java.util.Arrays.equals(x, s))) {
                shapes.add(s);
            }
        }
        return shapes;
    }

    /** Random token ids (batch, seq), the same for every model with the same vocabulary. */
    private static NDArray ids(NDManager m, EncoderConfig c, int batch, int seq, long seed) {
        Random r = new Random(seed);
        long[] ids = new long[batch * seq];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(c.vocabSize());
        }
        return m.create(ids, new Shape(batch, seq));
    }

    private static Provenance provenance(BenchmarkOptions o, int threads) {
        try {
            Provenance p = Provenance.capture(o.seed(), o.asMap(), List.of());
            return new Provenance(p.shrinkVersion(), p.gitCommit(), p.versions(), p.hardware(), threads, p.seed(),
                    p.options(), p.dataFiles());
        } catch (IOException e) {
            throw ShrinkException.failed("cannot record provenance: " + e.getMessage(), e);
        }
    }

    private static JsonNode readEarlier(Path file) {
        if (!Files.isRegularFile(file)) {
            throw ShrinkException.corrupt("--compare " + file + ": no such file");
        }
        try {
            JsonNode n = Json.MAPPER.readTree(file.toFile());
            if (n == null || !"benchmark".equals(n.path("command").asText())) {
                throw ShrinkException.corrupt("--compare " + file + ": not a shrink benchmark result");
            }
            return n;
        } catch (IOException e) {
            throw ShrinkException.corrupt("--compare " + file + ": not a shrink result (" + e.getMessage() + ")");
        }
    }

    private static BenchmarkReport.Comparison compare(Path file, JsonNode earlier, Provenance now,
                                                      List<BenchmarkReport.Case> cases) {
        List<String> diffs = new ArrayList<>();
        JsonNode prov = earlier.path("provenance");
        try {
            Hardware then = Json.MAPPER.treeToValue(prov.path("hardware"), Hardware.class);
            if (then == null || !then.key().equals(now.hardware().key())) {
                diffs.add("hardware: " + (then == null ? "unknown" : then.key()) + " vs " + now.hardware().key());
            }
        } catch (IOException e) {
            diffs.add("hardware: unreadable in " + file);
        }
        for (String lib : List.of("djl", "pytorch", "jdk")) {
            String a = prov.path("versions").path(lib).asText(null);
            String b = now.versions().get(lib);
            if (!Objects.equals(a, b)) {
                diffs.add(lib + ": " + a + " vs " + b);
            }
        }
        int threads = prov.path("threads").asInt(-1);
        if (threads != now.threads()) {
            diffs.add("threads: " + threads + " vs " + now.threads());
        }
        Map<String, Double> ratios = new TreeMap<>();
        for (JsonNode c : earlier.path("details").path("cases")) {
            for (BenchmarkReport.Case mine : cases) {
                if (mine.model().equals(c.path("model").asText()) && mine.batch() == c.path("batch").asInt()
                        && mine.seq() == c.path("seq").asInt() && c.path("seqPerSec").asDouble() > 0) {
                    ratios.put(mine.model() + ".b" + mine.batch() + ".s" + mine.seq(),
                            mine.seqPerSec() / c.path("seqPerSec").asDouble());
                }
            }
        }
        return new BenchmarkReport.Comparison(file.toAbsolutePath().normalize().toString(),
                earlier.path("runId").asText(null), diffs.isEmpty(), diffs, ratios);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
