package io.shrink.cli;

import io.shrink.core.data.DataDirs;
import io.shrink.core.data.Example;
import io.shrink.core.task.SequenceData;
import io.shrink.core.task.SequenceTask;
import io.shrink.core.task.TaskInfo;
import io.shrink.core.task.TaskKind;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A task added the way a user adds one: this class and one line in META-INF/services. Sentences that say "good"
 * or "bad" about a film, generated (no files), labelled by which word they use.
 */
public final class ToyTask extends SequenceTask {
    static final String NAME = "toy-sentiment";
    private static final String[] SUBJECTS = {"the film", "this movie", "the story", "the acting", "the plot", "it"};

    /** The task; the registry makes it from its services line. */
    public ToyTask() {
        super(new TaskInfo(NAME, 1, TaskKind.SINGLE_CLASSIFICATION, DataDirs.Kind.GLUE, 16), List.of("bad", "good"),
                List.of("accuracy"));
    }

    @Override
    protected SequenceData read(Path dir, boolean withTrain) {
        return new SequenceData(NAME, labels(), false, withTrain ? examples("train", 48) : List.of(),
                Map.of("", examples("dev", 12)), metricNames(), List.of(), null);
    }

    private static List<Example> examples(String split, int n) {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int label = i % 2;
            String text = SUBJECTS[i % SUBJECTS.length] + " was " + (label == 1 ? "good" : "bad");
            out.add(new Example(split + "-" + i, i, text, null, label, Double.NaN, null, i + 1));
        }
        return out;
    }
}
