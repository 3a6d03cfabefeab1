package io.shrink.commands;

import io.shrink.core.task.DataOptions;
import io.shrink.core.task.FeatureOptions;
import io.shrink.core.train.RunOptions;
import io.shrink.core.train.TrainOptions;
import picocli.CommandLine.Mixin;

import java.nio.file.Path;

/**
 * The options of a training run on task data, mixed in as one by {@code fine-tune} and {@code distill}: the
 * optimisation and run options, {@code --max-length}, the SQuAD options and how much task data to use.
 */
public final class TaskTrainingOptions {
    @Mixin TrainingOptions training;
    @Mixin MaxLengthOption maxLength;
    @Mixin SquadOptions squad;
    @Mixin TaskDataOptions taskData;

    /** A usage error unless --resume comes with the --run-dir of the run it continues. */
    void checkResume(CommandContext context) {
        training.checkResume(context);
    }

    /** The data to read: from {@code dir} (null: the environment variable), with the sampling and SQuAD splits. */
    DataOptions data(Path dir) {
        return new DataOptions(dir, taskData.maxTrain, taskData.maxEval, squad.trainArticles,
                squad.evalArticles.articles);
    }

    /** How examples become model inputs. */
    FeatureOptions features() {
        return new FeatureOptions(maxLength.maxLength, taskData.headTail, squad.docStride, squad.maxQueryLength);
    }

    /** The optimisation settings. */
    TrainOptions toOptions() {
        return training.toOptions();
    }

    /** The run directory, resume, pause and bootstrap settings. */
    RunOptions runOptions() {
        return training.runOptions();
    }
}
