package io.shrink.commands;

import io.shrink.core.train.RunOptions;
import io.shrink.core.train.Keep;
import io.shrink.core.train.TrainOptions;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The optimisation, checkpointing and run-directory options shared by {@code fine-tune} and {@code distill}. */
public final class TrainingOptions {
    @Option(names = "--epochs", defaultValue = "3", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "32", description = "Examples per micro-batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per optimizer step (default: ${DEFAULT-VALUE}).")
    int gradAccum;

    @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--warmup", defaultValue = "0.1", description = "Warm-up fraction of the steps (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Gradient clipping norm, 0 = off (default: ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Option(names = "--max-steps", defaultValue = "0", description = "Stop after this many optimizer steps, 0 = epochs decide (default: ${DEFAULT-VALUE}).")
    int maxSteps;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for data order, dropout, masking and new weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--eval-every", defaultValue = "0", description = "Evaluate every N steps, 0 = each epoch (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Checkpoint every N steps, 0 = at each evaluation (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--log-every", defaultValue = "20", description = "Report progress every N steps (default: ${DEFAULT-VALUE}).")
    int logEvery;

    @Option(names = "--keep", paramLabel = "WHICH", defaultValue = "best",
            description = "Weights that land in the registry (${COMPLETION-CANDIDATES}): best, those of the best evaluation; last, the end of training (Hugging Face Trainer's default; no choice made on the dev set) (default: ${DEFAULT-VALUE}).")
    Keep keep;

    @Option(names = "--bootstrap", defaultValue = "1000", description = "Bootstrap resamples for the final 95%% intervals, 0 = none (default: ${DEFAULT-VALUE}).")
    int bootstrap;

    @Option(names = {"--run-dir", "--out"}, paramLabel = "DIR", description = "Run directory: checkpoints, result.json, predictions.jsonl (default: results/runs/<run-id>).")
    Path runDir;

    @Option(names = "--resume", description = "Continue the interrupted run in --run-dir.")
    boolean resume;

    @Option(names = "--stop-after", defaultValue = "0", paramLabel = "STEPS",
            description = "Take at most this many optimizer steps now, then pause with a checkpoint (continue with --resume).")
    int stopAfter;

    /** The run directory, resume, pause and bootstrap settings. */
    RunOptions runOptions() {
        return new RunOptions(runDir, resume, stopAfter, bootstrap);
    }

    /** The optimisation settings with the command's learning rate. */
    TrainOptions toOptions(double learningRate) {
        return new TrainOptions(learningRate, weightDecay, warmup, epochs, maxSteps, batchSize, gradAccum, maxGradNorm,
                seed, evalEvery, checkpointEvery, logEvery, keep == Keep.LAST);
    }
}
