package io.shrink.core.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.shrink.core.PyTorchManagerTest;
import io.shrink.core.TinyModels;
import io.shrink.core.compress.CompressService;
import io.shrink.core.compress.CompressionContext;
import io.shrink.core.compress.Compressor;
import io.shrink.core.compress.quant.QuantCompressor;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.results.Hardware;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * int8 and bf16 linears on the fast path against a float32 reference: the functional encoder run on the quantised
 * model's float view (the dequantised weights), so the difference measured is that of the int8 or bf16 arithmetic
 * alone. Bounds (relative L2 error of the last hidden state over a padded batch): int8 with 7-bit per-tensor
 * activations ≤ 5%, with 8-bit symmetric per-token activations ≤ 2%; bf16 (8-bit mantissas) ≤ 2%, on both the
 * native and the emulated path.
 */
class QuantizedFastEncoderTest extends PyTorchManagerTest {
    private static final Kernels NATIVE = Kernels.detect(Hardware.detect().isaFlags(), "native");
    private static final Kernels EMULATED = Kernels.detect(Hardware.detect().isaFlags(), "emulated");

    static Checkpoint quantise(Compressor<?> method, Checkpoint model) {
        return apply(method, model);
    }

    private static <S> Checkpoint apply(Compressor<S> method, Checkpoint model) {
        return method.compress(model, CompressService.settings(method, Map.of()), new CompressionContext(1)).model();
    }

    @Test
    void int8AndBf16RunCloseToTheirFloatViewOnEveryShape() {
        for (EncoderConfig c : FastEncoderTest.configs()) {
            Checkpoint fp32 = TinyModels.model(c, HeadConfig.none(), 11);
            check(quantise(QuantCompressor.dynamicInt8(), fp32), Kernels.thisCpu(), 0.05, Map.of("int8", 1), c);
            check(applyWith(QuantCompressor.dynamicInt8(), fp32, Map.of("activations", "per-token")), Kernels.thisCpu(),
                    0.02, Map.of("int8-token", 1), c);
            check(quantise(QuantCompressor.bf16(), fp32), NATIVE, 0.02, Map.of("bf16", 1), c);
            check(quantise(QuantCompressor.bf16(), fp32), EMULATED, 0.02, Map.of("bf16", 1), c);
            check(applyWith(QuantCompressor.weightInt4(), fp32, Map.of("groupSize", 8)), Kernels.thisCpu(), 1e-5,
                    Map.of("fp32", 1), c);
        }
    }

    /** Runs {@code q} on the fast path with {@code kernels} and on the functional encoder; compares. */
    private void check(Checkpoint q, Kernels kernels, double bound, Map<String, Integer> expectUsed, EncoderConfig c) {
        try (NDManager step = manager.newSubManager();
             Encoder reference = Encoder.load(q.withQuantization(null), step);
             FastEncoder fast = FastEncoder.load(q, step, kernels);
             Encoder shared = Encoder.load(q, step);
             FastEncoder viaEncoder = FastEncoder.of(shared, step)) {
            NDArray[] in = TinyModels.paddedBatch(step, c, 2, 13, 8, 3); // ids, types, mask: (3, 13)
            NDArray tIds = in[0];
            NDArray tMask = in[2];
            float[] want = reference.forward(tIds, null, tMask, false, false).lastHidden().toFloatArray();
            float[] got = fast.forward(tIds, null, tMask).toFloatArray(); // (b, s, hidden)
            float[] alsoGot = viaEncoder.forward(tIds, null, tMask).toFloatArray();
            String what = q.quantization().scheme() + " " + (kernels.bf16Native() ? "native" : "emulated") + " on "
                    + c.family() + " " + c.layerHeads() + "/" + c.layerFfn();
            double err = relativeError(want, got);
            assertTrue(err <= bound, what + ": relative error " + err + " above " + bound);
            if (kernels.bf16Native() == Kernels.thisCpu().bf16Native()) {
                assertEquals(0.0, relativeError(got, alsoGot), 1e-6, what + ": load and of(Encoder) differ");
            }
            for (String used : expectUsed.keySet()) {
                assertTrue(fast.linearPrecisions().containsKey(used), what + " ran " + fast.linearPrecisions());
                assertTrue(fast.kernels().containsKey(used), what + " kernels " + fast.kernels());
            }
        }
    }

    @Test
    void selectionsOfLinearsRunInTheirOwnPrecision() {
        Checkpoint fp32 = TinyModels.model(TinyModels.bert(), HeadConfig.none(), 5);
        Compressor<?> dyn = QuantCompressor.dynamicInt8();
        Checkpoint ffnOnly = applyWith(dyn, fp32, Map.of("attention", "false"));
        try (NDManager step = manager.newSubManager(); FastEncoder fast = FastEncoder.load(ffnOnly, step)) {
            assertEquals(Map.of("fp32", 4, "int8", 4), fast.linearPrecisions());
        }
        Checkpoint tokenFfn = applyWith(dyn, fp32, Map.of("attention", "false", "activations", "per-token"));
        try (NDManager step = manager.newSubManager(); FastEncoder fast = FastEncoder.load(tokenFfn, step)) {
            assertEquals(Map.of("fp32", 4, "int8-token", 4), fast.linearPrecisions());
        }
        Checkpoint oneLayer = applyWith(dyn, fp32, Map.of("exclude", "layer\\.1\\."));
        try (NDManager step = manager.newSubManager(); FastEncoder fast = FastEncoder.load(oneLayer, step)) {
            assertEquals(Map.of("fp32", 4, "int8", 4), fast.linearPrecisions());
        }
    }

    static <S> Checkpoint applyWith(Compressor<S> method, Checkpoint model, Map<String, Object> settings) {
        return method.compress(model, CompressService.settings(method, settings), new CompressionContext(1)).model();
    }

    static double relativeError(float[] want, float[] got) {
        assertEquals(want.length, got.length);
        double num = 0;
        double den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (double) (want[i] - got[i]) * (want[i] - got[i]);
            den += (double) want[i] * want[i];
        }
        return Math.sqrt(num / den);
    }

    @Test
    void kernelsFollowTheCpuFlags() {
        assertTrue(Kernels.detect(List.of("AVX2", "AVX512F", "AVX512_BF16"), null).bf16Native());
        assertTrue(Kernels.detect(List.of("AVX2", "AMX_BF16"), null).bf16().contains("AMX"));
        Kernels avx2 = Kernels.detect(List.of("AVX2", "FMA"), null);
        assertTrue(!avx2.bf16Native() && avx2.bf16().startsWith("emulated"));
        assertTrue(avx2.int8().contains("AVX2"));
        assertTrue(Kernels.detect(List.of("AVX2", "AVX512F", "AVX512_VNNI"), null).int8().contains("AVX512-VNNI"));
        assertTrue(Kernels.detect(List.of("AVX2"), "native").bf16Native());
    }
}
