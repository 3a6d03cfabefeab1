package io.shrink.core.infer;

import io.shrink.core.results.Hardware;

import java.util.List;
import java.util.Locale;

/**
 * The kernels the fast inference path uses for int8 and bf16 on this CPU, chosen from its ISA flags and recorded
 * in results, so a figure always says what ran. int8 linear layers run PyTorch's {@code quantized::linear_dynamic}
 * (the x86 quantized engine's fbgemm kernels, which pick AVX512-VNNI, AVX512 or AVX2 code by CPU); bf16 matrix
 * multiplies run natively (oneDNN) only where the CPU has AVX512_BF16 or AMX_BF16. Elsewhere libtorch's bf16
 * matmul is a scalar fallback (0.8 GFLOP/s measured on an AVX2-only AMD EPYC, against 67 for fp32), so bf16 is
 * emulated: weights and matmul inputs rounded to bf16, the products and outputs in fp32. The system property
 * {@code shrink.bf16} ({@code native} or {@code emulated}) overrides the choice, for tests of both paths.
 *
 * @param int8       what runs an int8 linear layer
 * @param bf16       what runs a bf16 linear layer
 * @param bf16Native whether bf16 matmuls run in bf16 (else emulated in fp32)
 * @param int8Token  what runs an int8 linear layer with activations quantised per token
 */
public record Kernels(String int8, String bf16, boolean bf16Native, String int8Token) {
    private static final Kernels THIS_CPU = detect(Hardware.detect().isaFlags(), System.getProperty("shrink.bf16"));

    /** The kernels for this machine. */
    public static Kernels thisCpu() {
        return THIS_CPU;
    }

    /** What runs a static int8 linear layer: the same fbgemm kernels with the input quantised by a calibrated range. */
    public String int8Static() {
        return int8.replace("quantized::linear_dynamic", "quantized::linear_with_input_q_dq_qweight_dq_output_fp32")
                .replace("per tensor with reduce_range", "per tensor with calibrated 7-bit ranges");
    }

    /** The kernels for a CPU with these ISA flags ({@link Hardware#isaFlags()}); {@code override} as the property. */
    static Kernels detect(List<String> flags, String override) {
        String isa = flags.contains("AVX512_VNNI") ? "AVX512-VNNI" : flags.contains("AVX_VNNI") ? "AVX-VNNI"
                : flags.contains("AVX512F") ? "AVX512" : flags.contains("AVX2") ? "AVX2" : "no AVX2: reference";
        String int8 = "quantized::linear_dynamic (PyTorch x86 engine, fbgemm " + isa + " kernels; activations uint8 "
                + "per tensor with reduce_range, weights int8 per output channel, int32 accumulation)";
        boolean hw = flags.contains("AMX_BF16") || flags.contains("AVX512_BF16");
        boolean nativeBf16 = override == null ? hw : override.toLowerCase(Locale.ROOT).equals("native");
        String bf16 = nativeBf16
                ? "bf16 matmuls (oneDNN " + (flags.contains("AMX_BF16") ? "AMX" : hw ? "AVX512_BF16" : "without bf16 hardware")
                        + "), fp32 layer norm and residual adds"
                : "emulated: weights and matmul inputs rounded to bf16, fp32 matmuls and outputs (this CPU has neither "
                        + "AVX512_BF16 nor AMX_BF16, where libtorch's bf16 matmul is a scalar fallback)";
        String token = "torch._int_mm (oneDNN s8 x s8 -> s32" + (flags.contains("AMX_INT8") ? ", AMX"
                : flags.contains("AVX512_VNNI") ? ", AVX512-VNNI" : flags.contains("AVX_VNNI") ? ", AVX-VNNI" : "")
                + "; activations int8 per token, symmetric, weights int8 per output channel)";
        return new Kernels(int8, bf16, nativeBf16, token);
    }
}
