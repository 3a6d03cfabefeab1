package io.shrink.commands;

import io.shrink.core.train.RunOptions;
import io.shrink.core.train.Keep;
import io.shrink.core.train.TrainOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Map;

/**
 * The optimisation, checkpointing and run-directory options shared by {@code fine-tune} and {@code distill}; the
 * learning rate defaults to 2e-5 (fine-tuning; distill names {@link DistillLearningRate} for its 5e-5).
 */
public final class TrainingOptions {
    @Range(min = 1) @Option(names = "--epochs", defaultValue = "3", description = "Epochs, at least 1 (default: ${DEFAULT-VALUE}).") int epochs;
    @Range(min = 1) @Option(names = "--batch-size", defaultValue = "32", description = "Examples per micro-batch, at least 1 (default: ${DEFAULT-VALUE}).") int batchSize;
    @Range(min = 1) @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per optimizer step, at least 1 (default: ${DEFAULT-VALUE}).") int gradAccum;
    @Range(min = 0) @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay, at least 0 (default: ${DEFAULT-VALUE}).") double weightDecay;
    @Range(min = 0, max = 1, maxExclusive = true) @Option(names = "--warmup", defaultValue = "0.1", description = "Warm-up fraction of the steps, in [0, 1) (default: ${DEFAULT-VALUE}).") double warmup;

    @Range(min = 0)
    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Gradient clipping norm, at least 0; 0 = off (default: ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Range(min = 0)
    @Option(names = "--max-steps", defaultValue = "0", description = "Stop after this many optimizer steps, at least 0; 0 = epochs decide (default: ${DEFAULT-VALUE}).")
    int maxSteps;

    @Mixin SeedOption seed;

    @Range(min = 0)
    @Option(names = "--eval-every", defaultValue = "0", description = "Evaluate every N steps, at least 0; 0 = each epoch (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Range(min = 0)
    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Checkpoint every N steps, at least 0; 0 = at each evaluation (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Range(min = 1)
    @Option(names = "--log-every", defaultValue = "20", description = "Report progress every N steps, at least 1 (default: ${DEFAULT-VALUE}).") int logEvery;

    @Option(names = "--keep", paramLabel = "WHICH", defaultValue = "best",
            description = "Weights that land in the registry (${COMPLETION-CANDIDATES}): best, those of the best evaluation; last, the end of training (Hugging Face Trainer's default; no choice made on the dev set) (default: ${DEFAULT-VALUE}).")
    Keep keep;

    @Mixin PrecisionOption precision;

    @Mixin BootstrapOption bootstrap;
    @Mixin RunDirOption runDir;
    @Option(names = "--resume", description = "Continue the interrupted run in --run-dir.") boolean resume;

    @Range(min = 0)
    @Option(names = "--stop-after", defaultValue = "0", paramLabel = "STEPS",
            description = "Take at most this many optimizer steps now, then pause with a checkpoint (continue with --resume); at least 0; 0 = no pause.") int stopAfter;

    @Range(min = 0, max = 1, minExclusive = true, maxExclusive = true)
    @Option(names = "--lr", defaultValue = "2e-5", description = "Peak learning rate, in (0, 1) (default: ${DEFAULT-VALUE}).") double lr;

    /** Makes {@code --lr} default to 5e-5, distill's learning rate. */
    static final class DistillLearningRate extends OptionDefaults {
        DistillLearningRate() {
            super(Map.of("--lr", "5e-5"));
        }
    }

    /** A usage error unless --resume comes with the --run-dir of the run it continues. */
    void checkResume(CommandContext context) {
        if (resume && runDir.dir == null) {
            throw context.usage("--resume needs --run-dir of the interrupted run");
        }
    }

    /** The run directory, resume, pause and bootstrap settings. */
    RunOptions runOptions() {
        return new RunOptions(runDir.checked(), resume, stopAfter, bootstrap.bootstrap);
    }

    /** The optimisation settings. */
    TrainOptions toOptions() {
        return new TrainOptions(lr, weightDecay, warmup, epochs, maxSteps, batchSize, gradAccum, maxGradNorm,
                seed.seed, evalEvery, checkpointEvery, logEvery, keep == Keep.LAST, precision.precision);
    }
}
