package io.shrink.commands;

import io.shrink.core.model.ComputePrecision;
import picocli.CommandLine.Option;

/**
 * {@code --precision fp32|bf16}: what the encoder computes in, for training (forward and backward), its evaluations,
 * a teacher's pass and {@code evaluate}; quantised weights run as their quantisation says either way.
 */
public final class PrecisionOption {
    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32",
            description = "What the encoder computes in (${COMPLETION-CANDIDATES}): fp32; bf16, bf16 matmuls and attention with fp32 weights, layer norm, softmax and losses, as PyTorch's CPU autocast (native on AVX512_BF16 or AMX CPUs, emulated elsewhere); in training also fp32 master weights and optimizer state, and a run resumes in the precision it started in (default: ${DEFAULT-VALUE}).")
    ComputePrecision precision;
}
