package io.shrink.commands;

import picocli.CommandLine.Option;

import java.util.Map;

/**
 * {@code --seed N}: the seed of everything a run draws at random, 42 by default. A command whose runs only
 * sample and resample (evaluate, compare) starts from 0 instead, with {@code defaultValueProvider = SeedOption.Zero.class}.
 */
public final class SeedOption {
    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
            description = "Seed of everything the run draws at random (default: ${DEFAULT-VALUE}).") long seed;

    /** {@code --seed} defaults to 0. */
    static final class Zero extends OptionDefaults {
        Zero() {
            super(Map.of("--seed", "0"));
        }
    }
}
