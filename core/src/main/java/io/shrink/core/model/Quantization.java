package io.shrink.core.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonValue;
import io.shrink.core.ShrinkException;
import io.shrink.core.tensor.DType;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a model whose weights are stored below float32 runs on the fast inference path: the part of a model's
 * description that the stored types alone do not say. Which linear layers run in which precision follows from
 * their stored type ({@link io.shrink.core.tensor.DType}): under {@link Scheme#DYNAMIC_INT8} an I8 linear weight
 * runs on int8 kernels with activations quantised at run time, under {@link Scheme#STATIC_INT8} with activations
 * quantised with the calibrated range {@code inputRanges} holds for its input, under {@link Scheme#BF16} a BF16 one runs bf16
 * matrix multiplies, and under {@link Scheme#WEIGHT_ONLY} every weight is dequantised to float32 once, at load.
 * A model without a quantization (null) is float32 throughout.
 *
 * @param scheme      how quantised weights run
 * @param activations for the int8 schemes: how activations are quantised: {@code per-tensor}, or for
 *                    {@link Scheme#DYNAMIC_INT8} also {@code per-token} (one symmetric 8-bit scale per row, max|row| / 127,
 *                    multiplied by {@code torch._int_mm}); null otherwise
 * @param inputRanges for {@link Scheme#STATIC_INT8}: per int8 linear (module name; the fused query-key-value
 *                    product is keyed by its query), the calibrated [min, max] of its input; null otherwise
 */
@JsonPropertyOrder({"scheme", "activations", "inputRanges"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Quantization(Scheme scheme, String activations, Map<String, List<Double>> inputRanges) {
    /** Activations quantised per tensor (at run time, or with a calibrated range), as PyTorch and ONNX Runtime do. */
    public static final String PER_TENSOR = "per-tensor";
    /** Activations quantised at run time with one symmetric 8-bit scale per token (row), max|row| / 127. */
    public static final String PER_TOKEN = "per-token";
    /**
     * The largest quantised activation value: activations use 7 bits (0..127) with a zero point, as PyTorch's
     * fbgemm configurations do ({@code reduce_range}), so that the u8 × s8 pair sums of CPUs without VNNI cannot
     * saturate; the same model so runs the same on every CPU.
     */
    public static final int ACTIVATION_QMAX = 127;

    /** Checks the combination. */
    public Quantization {
        if (scheme == null) {
            throw ShrinkException.corrupt("quantization without a scheme (known: " + Scheme.names() + ")");
        }
        boolean int8 = scheme == Scheme.DYNAMIC_INT8 || scheme == Scheme.STATIC_INT8;
        if (int8 && activations == null) {
            activations = PER_TENSOR;
        }
        if (int8 && !PER_TENSOR.equals(activations) && !(scheme == Scheme.DYNAMIC_INT8 && PER_TOKEN.equals(activations))) {
            throw ShrinkException.corrupt("quantization " + scheme + ": activations '" + activations
                    + "' are not supported (known: " + PER_TENSOR + (scheme == Scheme.DYNAMIC_INT8 ? ", " + PER_TOKEN : "") + ")");
        }
        if (!int8 && activations != null) {
            throw ShrinkException.corrupt("quantization " + scheme + " quantises no activations, but says '" + activations + "'");
        }
        if (scheme == Scheme.STATIC_INT8) {
            if (inputRanges == null) {
                throw ShrinkException.corrupt("quantization " + scheme + " without inputRanges (the calibrated activation ranges)");
            }
            Map<String, List<Double>> sorted = new TreeMap<>();
            inputRanges.forEach((module, r) -> {
                if (r == null || r.size() != 2 || r.get(0) == null || r.get(1) == null || !Double.isFinite(r.get(0))
                        || !Double.isFinite(r.get(1)) || r.get(0) > r.get(1)) {
                    throw ShrinkException.corrupt("quantization " + scheme + ": the input range of " + module
                            + " must be [min, max] with finite min <= max, not " + r);
                }
                sorted.put(module, List.copyOf(r));
            });
            inputRanges = java.util.Collections.unmodifiableMap(sorted);
        } else if (inputRanges != null) {
            throw ShrinkException.corrupt("quantization " + scheme + " calibrates no activations, but has inputRanges");
        }
    }

    /** A scheme without calibrated ranges. */
    public Quantization(Scheme scheme, String activations) {
        this(scheme, activations, null);
    }

    /**
     * The quantisation parameters of an input range: {@code {scale, zeroPoint}} mapping [min, max] (widened to
     * include 0, so that 0 is exact) onto 0..{@link #ACTIVATION_QMAX}.
     */
    public static double[] activationParams(List<Double> range) {
        double lo = Math.min(range.get(0), 0.0);
        double hi = Math.max(range.get(1), 0.0);
        double scale = Math.max((hi - lo) / ACTIVATION_QMAX, 1e-8);
        double zero = Math.min(ACTIVATION_QMAX, Math.max(0, Math.round(-lo / scale)));
        return new double[] {(float) scale, zero};
    }

    /** The ways a quantised model runs. */
    public enum Scheme {
        /** int8 weights per output channel, activations quantised per tensor at run time, int32 accumulation. */
        DYNAMIC_INT8("dynamic-int8"),
        /** int8 weights per output channel, activations quantised per tensor with calibrated ranges. */
        STATIC_INT8("static-int8"),
        /** Weights stored small (int8, int4), dequantised to float32 at load; compute in float32. */
        WEIGHT_ONLY("weight-only"),
        /** bf16 weights and matrix multiplies; layer norm, softmax accumulation and residual adds in float32. */
        BF16("bf16");

        private final String label;

        Scheme(String label) {
            this.label = label;
        }

        /** The name in {@code model.json} and results. */
        @JsonValue
        public String label() {
            return label;
        }

        /** The scheme named {@code label}. */
        @JsonCreator
        public static Scheme of(String label) {
            for (Scheme s : values()) {
                if (s.label.equals(label == null ? null : label.toLowerCase(Locale.ROOT))) {
                    return s;
                }
            }
            throw ShrinkException.corrupt("unknown quantization scheme '" + label + "' (known: " + names() + ")");
        }

        static String names() {
            StringBuilder sb = new StringBuilder();
            for (Scheme s : values()) {
                sb.append(sb.length() == 0 ? "" : ", ").append(s.label);
            }
            return sb.toString();
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** The precisions a linear layer runs in on the fast inference path. */
    public enum Precision {
        /** float32 matrix multiply. */
        FP32,
        /** int8 × int8 with int32 accumulation, activations quantised at run time. */
        INT8,
        /** bf16 matrix multiply. */
        BF16,
        /** int8 × int8 with int32 accumulation, activations quantised with a calibrated range. */
        INT8_STATIC,
        /** int8 × int8 with int32 accumulation ({@code torch._int_mm}), activations quantised per token at run time. */
        INT8_TOKEN;

        /** Whether the linear runs on fbgemm's packed int8 kernels (dynamic or static, per tensor). */
        public boolean int8() {
            return this == INT8 || this == INT8_STATIC;
        }
    }

    /** How a linear layer whose weight is stored as {@code stored} (null: F32) runs under {@code q} (null: float32). */
    public static Precision linear(Quantization q, DType stored) {
        if (q == null || stored == null) {
            return Precision.FP32;
        }
        return switch (q.scheme()) {
            case DYNAMIC_INT8 -> stored == DType.I8 ? (PER_TOKEN.equals(q.activations()) ? Precision.INT8_TOKEN : Precision.INT8)
                    : stored == DType.BF16 ? Precision.BF16 : Precision.FP32;
            case STATIC_INT8 -> stored == DType.I8 ? Precision.INT8_STATIC : stored == DType.BF16 ? Precision.BF16 : Precision.FP32;
            case BF16 -> stored == DType.BF16 ? Precision.BF16 : Precision.FP32;
            case WEIGHT_ONLY -> Precision.FP32;
        };
    }

    /**
     * A stable text form, part of the model's content hash: {@code scheme=...;activations=...}, then for static int8
     * {@code ;inputRanges=module:min,max;...} in module order.
     */
    public String canonical() {
        StringBuilder s = new StringBuilder("scheme=" + scheme.label() + ";activations=" + (activations == null ? "" : activations));
        if (inputRanges != null) {
            s.append(";inputRanges=");
            inputRanges.forEach((m, r) -> s.append(m).append(':').append(r.get(0)).append(',').append(r.get(1)).append(';'));
        }
        return s.toString();
    }
}
