package io.shrink.core.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.Quantization.Precision;

import java.util.Locale;

/**
 * The precision a run computes in (training, its evaluations, a distillation teacher's pass, {@code evaluate}).
 * Master weights, gradients, optimizer state, layer norm, softmax accumulation, residual adds and losses are float32
 * in both; {@link #BF16} runs the matrix multiplies of the encoder (linears and attention) in bfloat16, as PyTorch's
 * CPU autocast does. Weights stored quantised run as their quantisation says in either.
 */
public enum ComputePrecision {
    /** float32 throughout. */
    FP32("fp32"),
    /** bf16 matrix multiplies and attention with float32 master weights (mixed precision). */
    BF16("bf16");

    private final String label;

    ComputePrecision(String label) {
        this.label = label;
    }

    /** The name in options, results and checkpoints. */
    @JsonValue
    public String label() {
        return label;
    }

    /** The precision named {@code label} (any case); a usage error for another name. */
    @JsonCreator
    public static ComputePrecision of(String label) {
        for (ComputePrecision p : values()) {
            if (p.label.equals(label == null ? null : label.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw ShrinkException.usage("unknown precision '" + label + "' (known: fp32, bf16)");
    }

    /** The precision the fast inference path runs a float32 linear layer in for this training precision. */
    public Precision linears() {
        return this == BF16 ? Precision.BF16 : Precision.FP32;
    }

    @Override
    public String toString() {
        return label;
    }
}
