package io.shrink.commands;

import picocli.CommandLine.Option;

/** How much of a task's data a training run uses, shared by {@code fine-tune} and task {@code distill}. */
public final class TaskDataOptions {
    @Option(names = "--head-tail", description = "Long single texts keep their first quarter and last three quarters (IMDb).") boolean headTail;

    @Range(min = 0)
    @Option(names = "--max-train-examples", defaultValue = "0", description = "Train on a seeded sample of at most N examples, at least 0; 0 = all.")
    int maxTrain;

    @Range(min = 0)
    @Option(names = "--max-eval-examples", defaultValue = "0", description = "Evaluate on a seeded sample of at most N examples per set, at least 0; 0 = all.")
    int maxEval;
}
