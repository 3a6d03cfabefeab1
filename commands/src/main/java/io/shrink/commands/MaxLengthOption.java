package io.shrink.commands;

import picocli.CommandLine.Option;

/** {@code --max-length N}: the longest input in tokens. */
public final class MaxLengthOption {
    @Range(min = 8, max = 512, orZero = true)
    @Option(names = "--max-length", paramLabel = "N", defaultValue = "0",
            description = "Longest input in tokens, 0 or between 8 and 512 (and at most the model's positions); 0 = the task's: 128, IMDb 256, SQuAD 384 (evaluate: as the model was "
                    + "fine-tuned; distill: fewer if the teacher has fewer positions) (default: ${DEFAULT-VALUE}).") int maxLength;
}
