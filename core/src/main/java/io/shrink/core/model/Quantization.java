package io.shrink.core.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonValue;
import io.shrink.core.ShrinkException;
import io.shrink.core.tensor.DType;

import java.util.Locale;

/**
 * How a model whose weights are stored below float32 runs on the fast inference path: the part of a model's
 * description that the stored types alone do not say. Which linear layers run in which precision follows from
 * their stored type ({@link io.shrink.core.tensor.DType}): under {@link Scheme#DYNAMIC_INT8} an I8 linear weight
 * runs on int8 kernels with activations quantised at run time, under {@link Scheme#BF16} a BF16 one runs bf16
 * matrix multiplies, and under {@link Scheme#WEIGHT_ONLY} every weight is dequantised to float32 once, at load.
 * A model without a quantization (null) is float32 throughout.
 *
 * @param scheme      how quantised weights run
 * @param activations for {@link Scheme#DYNAMIC_INT8}: how activations are quantised ({@code per-tensor}); null otherwise
 */
@JsonPropertyOrder({"scheme", "activations"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Quantization(Scheme scheme, String activations) {
    /** Activations quantised per tensor at run time, as PyTorch's and ONNX Runtime's dynamic quantisation do. */
    public static final String PER_TENSOR = "per-tensor";

    /** Checks the combination. */
    public Quantization {
        if (scheme == null) {
            throw ShrinkException.corrupt("quantization without a scheme (known: " + Scheme.names() + ")");
        }
        if (scheme == Scheme.DYNAMIC_INT8 && activations == null) {
            activations = PER_TENSOR;
        }
        if (scheme == Scheme.DYNAMIC_INT8 && !PER_TENSOR.equals(activations)) {
            throw ShrinkException.corrupt("quantization " + scheme + ": activations '" + activations
                    + "' are not supported (known: " + PER_TENSOR + ")");
        }
        if (scheme != Scheme.DYNAMIC_INT8 && activations != null) {
            throw ShrinkException.corrupt("quantization " + scheme + " quantises no activations, but says '" + activations + "'");
        }
    }

    /** The ways a quantised model runs. */
    public enum Scheme {
        /** int8 weights per output channel, activations quantised per tensor at run time, int32 accumulation. */
        DYNAMIC_INT8("dynamic-int8"),
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
        BF16
    }

    /** How a linear layer whose weight is stored as {@code stored} (null: F32) runs under {@code q} (null: float32). */
    public static Precision linear(Quantization q, DType stored) {
        if (q == null || stored == null) {
            return Precision.FP32;
        }
        return switch (q.scheme()) {
            case DYNAMIC_INT8 -> stored == DType.I8 ? Precision.INT8 : stored == DType.BF16 ? Precision.BF16 : Precision.FP32;
            case BF16 -> stored == DType.BF16 ? Precision.BF16 : Precision.FP32;
            case WEIGHT_ONLY -> Precision.FP32;
        };
    }

    /** A stable text form, part of the model's content hash: {@code scheme=...;activations=...}. */
    public String canonical() {
        return "scheme=" + scheme.label() + ";activations=" + (activations == null ? "" : activations);
    }
}
