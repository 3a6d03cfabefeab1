package io.shrink.core.compress.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.shrink.core.PyTorchManagerTest;
import io.shrink.core.ShrinkException;
import io.shrink.core.TinyModels;
import io.shrink.core.compress.Calibration;
import io.shrink.core.compress.CompressService;
import io.shrink.core.compress.Compressed;
import io.shrink.core.compress.CompressionContext;
import io.shrink.core.infer.FastEncoder;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.Quantization;
import io.shrink.core.task.Features;
import io.shrink.core.task.SequenceEvaluator;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.shrink.core.model.CanonicalNames.query;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * static-int8 on tiny models: the observed ranges are those of the linears' inputs (the encoder's hidden states for
 * the query-key-value input), the static model runs every selected linear on int8 kernels close to float32 on every
 * encoder shape, and the accuracy-aware search falls back as its tolerance says.
 */
class StaticQuantTest extends PyTorchManagerTest {
    private static final StaticQuantCompressor METHOD = new StaticQuantCompressor();

    /** Random inputs of lengths 3 to 12, token type 1 on the second half. */
    private static List<Features.Feature> features(EncoderConfig c, int n, long seed) {
        Random r = new Random(seed);
        List<Features.Feature> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = 3 + r.nextInt(10);
            int[] ids = new int[len];
            int[] types = new int[len];
            for (int j = 0; j < len; j++) {
                ids[j] = 5 + r.nextInt(c.vocabSize() - 5);
                types[j] = j > len / 2 ? 1 : 0;
            }
            out.add(new Features.Feature(ids, types, i));
        }
        return out;
    }

    private float[][] outputs(Checkpoint model, List<Features.Feature> f) {
        try (NDManager m = manager.newSubManager(); Encoder e = Encoder.load(model, m)) {
            return SequenceEvaluator.outputs(e, f);
        }
    }

    private static Compressed run(Checkpoint model, Map<String, Object> settings, Calibration cal) {
        return METHOD.compress(model, CompressService.settings(METHOD, settings), new CompressionContext(1, cal, l -> { }));
    }

    @Test
    void minmaxRangesAreThoseOfTheHiddenStatesOnRealTokens() {
        EncoderConfig c = TinyModels.bert();
        Checkpoint model = TinyModels.model(c, HeadConfig.none(), 5);
        List<Features.Feature> f = features(c, 20, 2);
        Map<String, List<Double>> ranges = StaticQuantCompressor.calibrate(model, f, RangeObserver.of("minmax", 99.99), 0);
        try (NDManager m = manager.newSubManager(); Encoder e = Encoder.load(model, m)) {
            double[] lo = new double[c.storedLayers()];
            double[] hi = new double[c.storedLayers()];
            java.util.Arrays.fill(lo, Double.MAX_VALUE);
            java.util.Arrays.fill(hi, -Double.MAX_VALUE);
            for (Features.Feature one : f) {
                NDArray[] in = Features.arrays(List.of(one), m); // no padding: every token is real
                List<NDArray> hidden = e.forward(in[0], in[1], in[2], false, true).hiddenStates(); // (1, s, hidden) each
                for (int i = 0; i < c.storedLayers(); i++) {
                    float[] v = hidden.get(i).toFloatArray();
                    for (float x : v) {
                        lo[i] = Math.min(lo[i], x);
                        hi[i] = Math.max(hi[i], x);
                    }
                }
            }
            for (int i = 0; i < c.storedLayers(); i++) {
                List<Double> r = ranges.get(query(i));
                assertEquals(lo[i], r.get(0), 1e-4, "layer " + i + " min");
                assertEquals(hi[i], r.get(1), 1e-4, "layer " + i + " max");
            }
        }
    }

    @Test
    void staticInt8RunsCloseToFloat32OnEveryShape() {
        for (EncoderConfig c : TinyModels.everyShape()) {
            Checkpoint model = TinyModels.model(c, TinyModels.classifier("pooler"), 9);
            List<Features.Feature> f = features(c, 32, 4);
            List<Features.Feature> test = features(c, 16, 5);
            for (String observer : RangeObserver.NAMES) {
                Checkpoint q = run(model, Map.of("observer", observer, "bins", 512),
                        new Calibration("t", "m", f, List.of(), o -> 0)).model();
                assertEquals(Quantization.Scheme.STATIC_INT8, q.quantization().scheme());
                try (NDManager m = manager.newSubManager(); FastEncoder fast = FastEncoder.load(q, m)) {
                    assertTrue(fast.linearPrecisions().containsKey("int8-static"), fast.linearPrecisions().toString());
                    assertFalse(fast.linearPrecisions().containsKey("int8"), fast.linearPrecisions().toString());
                }
                float[][] want = outputs(model, test);
                float[][] got = outputs(q, test);
                double num = 0;
                double den = 0;
                for (int i = 0; i < want.length; i++) {
                    for (int j = 0; j < want[i].length; j++) {
                        num += Math.pow(want[i][j] - got[i][j], 2);
                        den += Math.pow(want[i][j], 2);
                    }
                }
                double err = Math.sqrt(num / den);
                assertTrue(err < 0.1, c.family() + " " + c.layerHeads() + "/" + c.layerFfn() + " " + observer
                        + ": relative error of the logits " + err);
            }
        }
    }

    @Test
    void theToleranceDecidesHowManyLinearsFallBack() {
        EncoderConfig c = TinyModels.bert();
        Checkpoint model = TinyModels.model(c, TinyModels.classifier("pooler"), 9);
        List<Features.Feature> f = features(c, 40, 6);
        List<Features.Feature> held = new ArrayList<>();
        for (Features.Feature x : f.subList(20, 40)) {
            held.add(new Features.Feature(x.ids(), x.types(), held.size()));
        }
        float[][] reference = outputs(model, held);
        // the score: minus the mean squared distance from the float32 outputs (0 for the parent itself)
        Calibration cal = new Calibration("t", "closeness", f.subList(0, 20), held, o -> {
            double s = 0;
            for (int i = 0; i < o.length; i++) {
                for (int j = 0; j < o[i].length; j++) {
                    s += Math.pow(o[i][j] - reference[i][j], 2);
                }
            }
            return -s / o.length;
        });
        int units = StaticQuantCompressor.units(c, new LinearSelection(true, true, false, false, null, null).select(model)).size();

        Map<String, Object> lenient = run(model, Map.of("tolerance", "1000"), cal).report().options();
        assertEquals(true, lenient.get("toleranceMet"));
        assertEquals(List.of(), lenient.get("fellBack"));

        // tolerance 0: only the float32 outputs hold, so everything falls back, most sensitive first
        Compressed strict = run(model, Map.of("tolerance", "0", "maxFallback", units), cal);
        Map<String, Object> o = strict.report().options();
        assertEquals(true, o.get("toleranceMet"));
        List<?> fell = (List<?>) o.get("fellBack");
        assertEquals(units, fell.size());
        double previous = Double.MAX_VALUE;
        for (Object row : fell) {
            double s = (Double) ((Map<?, ?>) row).get("sensitivity");
            assertTrue(s <= previous, "fell back out of sensitivity order: " + fell);
            previous = s;
        }
        assertTrue(strict.model().stored().isEmpty(), "every linear fell back to fp32");

        // not reachable within two: the best model is kept and says so
        Compressed capped = run(model, Map.of("tolerance", "0", "maxFallback", 2), cal);
        assertEquals(false, capped.report().options().get("toleranceMet"));
        assertTrue(((List<?>) capped.report().options().get("fellBack")).size() <= 2);
        assertTrue(capped.report().notes().stream().anyMatch(n -> n.contains("was not reached")), capped.report().notes().toString());

        Compressed bf16 = run(model, Map.of("tolerance", "0", "maxFallback", 1, "fallback", "bf16"), cal);
        assertTrue(bf16.model().stored().values().stream().anyMatch(t -> t.dtype() == io.shrink.core.tensor.DType.BF16));
    }

    @Test
    void badSettingsAreUsageErrors() {
        Checkpoint model = TinyModels.model(TinyModels.bert(), HeadConfig.none(), 1);
        Calibration cal = new Calibration("t", "m", features(TinyModels.bert(), 4, 1), List.of(), o -> 0);
        assertThrows(ShrinkException.class, () -> run(model, Map.of(), null));
        assertThrows(ShrinkException.class, () -> run(model, Map.of("observer", "kl"), cal));
        assertThrows(ShrinkException.class, () -> run(model, Map.of("fallback", "int4", "tolerance", "1%"), cal));
        assertThrows(ShrinkException.class, () -> run(model, Map.of("bins", 10), cal));
        assertThrows(ShrinkException.class, () -> run(model, Map.of("tolerance", "x"), cal));
    }

    @Test
    void rangesAreRecordedAndHashed() {
        Quantization a = new Quantization(Quantization.Scheme.STATIC_INT8, null, Map.of("m", List.of(-1.0, 2.0)));
        Quantization b = new Quantization(Quantization.Scheme.STATIC_INT8, null, Map.of("m", List.of(-1.0, 2.5)));
        assertFalse(a.canonical().equals(b.canonical()));
        assertEquals("scheme=dynamic-int8;activations=per-tensor",
                new Quantization(Quantization.Scheme.DYNAMIC_INT8, null).canonical(), "old hashes unchanged");
        assertThrows(ShrinkException.class, () -> new Quantization(Quantization.Scheme.STATIC_INT8, null, null));
        assertThrows(ShrinkException.class, () -> new Quantization(Quantization.Scheme.STATIC_INT8, null,
                Map.of("m", List.of(2.0, 1.0))));
        double[] sz = Quantization.activationParams(List.of(0.5, 2.0)); // widened to [0, 2]
        assertEquals(2.0 / 127, sz[0], 1e-7);
        assertEquals(0, sz[1]);
    }
}
