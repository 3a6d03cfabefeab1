package io.shrink.core.compress.quant;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.shrink.core.ShrinkException;
import io.shrink.core.compress.Calibration;
import io.shrink.core.compress.Compressed;
import io.shrink.core.compress.CompressionContext;
import io.shrink.core.compress.CompressionReport;
import io.shrink.core.compress.Compressor;
import io.shrink.core.compress.CompressorInfo;
import io.shrink.core.infer.FastEncoder;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.Quantization;
import io.shrink.core.task.Features;
import io.shrink.core.task.SequenceEvaluator;
import io.shrink.core.tensor.DType;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.tensor.TypedTensor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static io.shrink.core.model.CanonicalNames.*;

/**
 * {@code static-int8}: int8 weights per output channel, and activations quantised per tensor with ranges calibrated
 * on task data ({@link Calibration}) instead of measured at run time. Every linear's input is observed on the
 * calibration examples (a min/max pass, then a histogram pass), and a {@link RangeObserver} picks its range.
 *
 * <p>With a {@code tolerance}, the method is accuracy-aware: when the all-int8 model loses more than the tolerance on
 * the held-out examples, each quantised linear's sensitivity is measured (the mean squared change of the head's
 * outputs when it alone is int8), and the most sensitive fall back to fp32 (or bf16), one more at a time, until the
 * tolerance holds. When {@code maxFallback} linears are not enough, the best model found is kept and the report says
 * {@code toleranceMet=false}.
 */
public final class StaticQuantCompressor implements Compressor<StaticQuantSettings> {
    /** Default histogram bins per linear input. */
    public static final int DEFAULT_BINS = 2048;
    private static final int BATCH = 32;
    /** Held-out examples the per-linear sensitivities are measured on (at most). */
    static final int SENSITIVITY_EXAMPLES = 128;

    private final CompressorInfo<StaticQuantSettings> info = new CompressorInfo<>("static-int8",
            "int8 weights per output channel, activations per tensor with ranges calibrated on task data (observer="
                    + String.join("|", RangeObserver.NAMES) + ", default mse; tolerance=1%|0.5 falls the most sensitive "
                    + "linears back to fallback=fp32|bf16; needs calibration data)", StaticQuantSettings.class);

    @Override
    public CompressorInfo<StaticQuantSettings> info() {
        return info;
    }

    /** A unit that runs in one precision: the fused query-key-value product (3 weights) or one linear. */
    record Unit(String module, List<String> weights) {
    }

    @Override
    public Compressed compress(Checkpoint model, StaticQuantSettings s, CompressionContext context) {
        if (model.quantization() != null || !model.stored().isEmpty()) {
            throw ShrinkException.usage("model is already stored in reduced precision; quantise its float32 parent instead");
        }
        Calibration cal = context.calibration();
        if (cal == null) {
            throw ShrinkException.usage("static-int8 calibrates activation ranges on task data: give --calibration-task");
        }
        if (s.tolerance() != null && cal.heldOut().isEmpty()) {
            throw ShrinkException.usage("a tolerance needs held-out calibration examples to score on (--held-out)");
        }
        String observerName = s.observer() == null ? "mse" : s.observer().toLowerCase(Locale.ROOT);
        double percentile = s.percentile() == null ? RangeObserver.DEFAULT_PERCENTILE : s.percentile();
        RangeObserver observer = RangeObserver.of(observerName, percentile);
        int bins = s.bins() == null ? DEFAULT_BINS : s.bins();
        if (bins < 2 * (Quantization.ACTIVATION_QMAX + 1)) {
            throw ShrinkException.usage("bins must be at least " + 2 * (Quantization.ACTIVATION_QMAX + 1) + ", not " + bins);
        }
        String fallback = s.fallback() == null ? "fp32" : s.fallback().toLowerCase(Locale.ROOT);
        if (!fallback.equals("fp32") && !fallback.equals("bf16")) {
            throw ShrinkException.usage("fallback must be fp32 or bf16, not '" + s.fallback() + "'");
        }
        Tolerance tolerance = s.tolerance() == null ? null : Tolerance.parse(s.tolerance());
        LinearSelection sel = new LinearSelection(s.attention() == null || s.attention(), s.ffn() == null || s.ffn(),
                false, false, s.include(), s.exclude());
        List<Unit> units = units(model.config(), sel.select(model));
        int maxFallback = s.maxFallback() == null ? Math.max(1, units.size() / 2) : s.maxFallback();
        if (maxFallback < 0) {
            throw ShrinkException.usage("maxFallback must be at least 0, not " + maxFallback);
        }

        context.progress().accept("observing the inputs of " + units.size() + " linears on " + cal.ranges().size() + " "
                + cal.task() + " calibration examples (" + observerName + ")");
        Map<String, List<Double>> ranges = calibrate(model, cal.ranges(), observer, observerName.equals("minmax") ? 0 : bins);
        ranges.keySet().retainAll(units.stream().map(Unit::module).toList());

        Map<String, Object> options = new LinkedHashMap<>(sel.describe());
        options.put("observer", observerName);
        if (observerName.equals("percentile")) {
            options.put("percentile", percentile);
        }
        if (!observerName.equals("minmax")) {
            options.put("bins", bins);
        }
        options.put("calibrationTask", cal.task());
        options.put("calibrationSize", cal.ranges().size());
        options.put("dtype", DType.I8.name());
        options.put("scheme", Quantization.Scheme.STATIC_INT8.label());
        options.put("activationQmax", Quantization.ACTIVATION_QMAX);
        List<String> notes = new ArrayList<>();
        Set<String> fallen = new LinkedHashSet<>();
        Conversions cache = new Conversions();
        if (tolerance != null) {
            options.put("tolerance", tolerance.text());
            options.put("fallback", fallback);
            options.put("maxFallback", maxFallback);
            options.put("heldOutSize", cal.heldOut().size());
            options.put("metric", cal.metric());
            Map<String, Object> found = accuracyAware(model, units, ranges, tolerance, fallback, maxFallback, cal,
                    context, fallen, notes, cache);
            options.putAll(found);
        }
        Checkpoint out = candidate(model, units, ranges, fallen, fallback, cache);
        options.put("tensors", out.stored().values().stream().filter(t -> t.dtype() == DType.I8).count());
        notes.add("activations use 7 bits (0.." + Quantization.ACTIVATION_QMAX + ") with a zero point, as PyTorch's fbgemm "
                + "configurations do, so that CPUs without VNNI cannot saturate");
        return new Compressed(out, new CompressionReport(name(), options, model.parameterCount(), out.parameterCount(),
                notes));
    }

    /** The tolerance search; fills {@code fallen} with the units kept out of int8 and returns what the report says. */
    private Map<String, Object> accuracyAware(Checkpoint model, List<Unit> units, Map<String, List<Double>> ranges,
                                              Tolerance tolerance, String fallback, int maxFallback, Calibration cal,
                                              CompressionContext context, Set<String> fallen, List<String> notes,
                                              Conversions cache) {
        Map<String, Object> out = new LinkedHashMap<>();
        context.progress().accept("scoring the fp32 parent and the int8 model on " + cal.heldOut().size()
                + " held-out calibration examples");
        float[][] reference = outputs(model, cal.heldOut());
        double parent = cal.score().applyAsDouble(reference);
        double floor = tolerance.floor(parent);
        Checkpoint all = candidate(model, units, ranges, Set.of(), fallback, cache);
        double allInt8 = cal.score().applyAsDouble(outputs(all, cal.heldOut()));
        out.put("heldOutParent", parent);
        out.put("heldOutAllInt8", allInt8);
        out.put("heldOutFloor", floor);
        if (allInt8 >= floor) {
            out.put("heldOutResult", allInt8);
            out.put("toleranceMet", true);
            out.put("fellBack", List.of());
            return out;
        }
        // sensitivities rank the linears, so a part of the held-out examples does: the first SENSITIVITY_EXAMPLES
        List<Features.Feature> probe = cal.heldOut().subList(0, Math.min(SENSITIVITY_EXAMPLES, cal.heldOut().size()));
        float[][] probeReference = java.util.Arrays.copyOf(reference, probe.size());
        out.put("sensitivityExamples", probe.size());
        Map<String, Double> sensitivity = new LinkedHashMap<>();
        Set<String> allModules = new LinkedHashSet<>();
        units.forEach(u -> allModules.add(u.module()));
        for (int k = 0; k < units.size(); k++) {
            Unit u = units.get(k);
            context.progress().accept("sensitivity " + (k + 1) + "/" + units.size() + ": " + u.module());
            Set<String> others = new LinkedHashSet<>(allModules);
            others.remove(u.module());
            float[][] alone = outputs(candidate(model, units, ranges, others, "fp32", cache), probe);
            sensitivity.put(u.module(), meanSquared(alone, probeReference));
        }
        List<String> order = new ArrayList<>(sensitivity.keySet());
        order.sort(Comparator.comparingDouble((String m) -> sensitivity.get(m)).reversed());
        double best = allInt8;
        int bestCount = 0;
        boolean met = false;
        for (int n = 1; n <= Math.min(maxFallback, order.size()); n++) {
            Set<String> trial = new LinkedHashSet<>(order.subList(0, n));
            double score = cal.score().applyAsDouble(outputs(candidate(model, units, ranges, trial, fallback, cache), cal.heldOut()));
            context.progress().accept(String.format(Locale.ROOT, "fall back %d (%s): held-out %s %.4f (floor %.4f)", n,
                    order.get(n - 1), cal.metric(), score, floor));
            if (score > best) {
                best = score;
                bestCount = n;
            }
            if (score >= floor) {
                best = score;
                bestCount = n;
                met = true;
                break;
            }
        }
        fallen.addAll(order.subList(0, bestCount));
        List<Map<String, Object>> fell = new ArrayList<>();
        for (String m : fallen) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("module", m);
            row.put("sensitivity", sensitivity.get(m));
            row.put("precision", fallback);
            fell.add(row);
        }
        out.put("heldOutResult", best);
        out.put("toleranceMet", met);
        out.put("fellBack", fell);
        out.put("sensitivity", sensitivity);
        if (!met) {
            notes.add(String.format(Locale.ROOT, "the tolerance %s was not reached with up to %d linears in %s: the best "
                    + "model found (%d fell back, held-out %s %.4f against the floor %.4f) is kept", tolerance.text(),
                    maxFallback, fallback, bestCount, cal.metric(), best, floor));
        }
        return out;
    }

    /** The units of the selected weights, in layer order. */
    static List<Unit> units(EncoderConfig c, List<String> chosen) {
        List<Unit> out = new ArrayList<>();
        for (int i = 0; i < c.storedLayers(); i++) {
            List<String> qkv = List.of(query(i) + ".weight", key(i) + ".weight", value(i) + ".weight");
            if (chosen.containsAll(qkv)) {
                out.add(new Unit(query(i), qkv));
            }
            for (String m : List.of(attnOut(i), ffnIn(i), ffnOut(i))) {
                if (chosen.contains(m + ".weight")) {
                    out.add(new Unit(m, List.of(m + ".weight")));
                }
            }
        }
        return out;
    }

    /** The model with every unit in int8 except {@code fallen} (in {@code fallback}: fp32 or bf16). */
    static Checkpoint candidate(Checkpoint model, List<Unit> units, Map<String, List<Double>> ranges, Set<String> fallen,
                                String fallback, Conversions cache) {
        Map<String, TypedTensor> stored = new LinkedHashMap<>();
        Map<String, FloatTensor> floats = new LinkedHashMap<>(model.tensors());
        Map<String, List<Double>> used = new LinkedHashMap<>();
        for (Unit u : units) {
            boolean int8 = !fallen.contains(u.module());
            if (!int8 && fallback.equals("fp32")) {
                continue;
            }
            if (int8) {
                used.put(u.module(), ranges.get(u.module()));
            }
            for (String w : u.weights()) {
                DType dtype = int8 ? DType.I8 : DType.BF16;
                TypedTensor q = cache.stored(model, w, dtype);
                stored.put(w, q);
                floats.put(w, cache.view(w, dtype, q));
            }
        }
        return new Checkpoint(model.config(), model.head(), floats, model.tokenizer(), stored, stored.isEmpty() ? null
                : new Quantization(Quantization.Scheme.STATIC_INT8, null, used));
    }

    /** The conversions of one model's weights already made (weight@dtype), so a search quantises each matrix once. */
    static final class Conversions {
        private final Map<String, TypedTensor> stored = new java.util.HashMap<>();
        private final Map<String, FloatTensor> views = new java.util.HashMap<>();

        TypedTensor stored(Checkpoint model, String weight, DType dtype) {
            return stored.computeIfAbsent(weight + "@" + dtype, k -> TypedTensor.of(model.tensors().get(weight), dtype, 0));
        }

        FloatTensor view(String weight, DType dtype, TypedTensor t) {
            return views.computeIfAbsent(weight + "@" + dtype, k -> t.toFloat());
        }
    }

    /** The head's outputs on {@code features} on the fast inference path, row i for feature i. */
    private static float[][] outputs(Checkpoint model, List<Features.Feature> features) {
        try (NDManager m = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(), "PyTorch");
             Encoder encoder = Encoder.load(model, m)) {
            return SequenceEvaluator.outputs(encoder, features);
        }
    }

    private static double meanSquared(float[][] a, float[][] b) {
        double sum = 0;
        long n = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                double d = a[i][j] - b[i][j];
                sum += d * d;
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    /**
     * The calibrated input range of every linear of a float model (keys: the linear's module, the query for the fused
     * query-key-value product): a [min, max] pass over the examples, then with {@code bins > 0} a histogram pass that
     * {@code observer} chooses from.
     */
    static Map<String, List<Double>> calibrate(Checkpoint model, List<Features.Feature> examples, RangeObserver observer,
                                               int bins) {
        if (examples.isEmpty()) {
            throw ShrinkException.usage("static-int8 needs at least one calibration example");
        }
        EncoderConfig c = model.config();
        int inputs = 4 * c.storedLayers();
        String[] modules = new String[inputs];
        for (int i = 0; i < c.storedLayers(); i++) {
            modules[4 * i] = query(i);
            modules[4 * i + 1] = attnOut(i);
            modules[4 * i + 2] = ffnIn(i);
            modules[4 * i + 3] = ffnOut(i);
        }
        List<List<Features.Feature>> batches = Features.sortedBatches(examples, BATCH);
        Map<String, List<Double>> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(), "PyTorch");
             FastEncoder fast = FastEncoder.observing(model, m)) {
            List<NDArray> minMax = new ArrayList<>();
            for (int k = 0; k < inputs; k++) {
                minMax.add(m.create(new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})); // (2,)
            }
            run(fast, batches, m, minMax, new double[0], 0);
            double[] lohi = new double[2 * inputs];
            for (int k = 0; k < inputs; k++) {
                float[] v = minMax.get(k).toFloatArray();
                boolean seen = v[0] <= v[1];
                lohi[2 * k] = seen ? v[0] : 0;
                lohi[2 * k + 1] = seen ? (v[1] > v[0] ? v[1] : v[0] + 1e-6) : 1e-6;
            }
            if (bins == 0) {
                for (int k = 0; k < inputs; k++) {
                    out.put(modules[k], List.of(lohi[2 * k], lohi[2 * k + 1]));
                }
                return out;
            }
            List<NDArray> hist = new ArrayList<>();
            for (int k = 0; k < inputs; k++) {
                hist.add(m.zeros(new Shape(bins), DataType.FLOAT32)); // (bins,)
            }
            run(fast, batches, m, hist, lohi, 1);
            for (int k = 0; k < inputs; k++) {
                float[] counts = hist.get(k).toFloatArray();
                double[] d = new double[bins];
                for (int b = 0; b < bins; b++) {
                    d[b] = counts[b];
                }
                double[] r = observer.range(new Histogram(lohi[2 * k], lohi[2 * k + 1], d));
                out.put(modules[k], List.of(r[0], r[1]));
            }
        }
        return out;
    }

    private static void run(FastEncoder fast, List<List<Features.Feature>> batches, NDManager parent, List<NDArray> stats,
                            double[] lohi, int mode) {
        for (List<Features.Feature> batch : batches) {
            try (NDManager m = parent.newSubManager()) {
                NDArray[] in = Features.arrays(batch, m);
                fast.observe(in[0], in[1], in[2], stats, lohi, mode);
            }
        }
    }

    /**
     * How much a metric may fall: a share of the parent's value ({@code 1%}) or points of it in percent
     * ({@code 0.5}: 0.005 of a fraction such as accuracy).
     *
     * @param text     as given
     * @param relative whether it is a share
     * @param amount   the share (0.01) or the points (0.5)
     */
    record Tolerance(String text, boolean relative, double amount) {
        static Tolerance parse(String text) {
            String t = text.trim();
            boolean relative = t.endsWith("%");
            try {
                double v = Double.parseDouble(relative ? t.substring(0, t.length() - 1).trim() : t);
                if (!(v >= 0) || Double.isInfinite(v)) {
                    throw new NumberFormatException();
                }
                return new Tolerance(t, relative, v);
            } catch (NumberFormatException e) {
                throw ShrinkException.usage("tolerance must be a share like 1% or points like 0.5 (at least 0), not '"
                        + text + "'");
            }
        }

        /** The lowest metric that holds, given the parent's. */
        double floor(double parent) {
            return relative ? parent - Math.abs(parent) * amount / 100 : parent - amount / 100;
        }
    }
}
