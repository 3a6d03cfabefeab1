package io.shrink.core.task;

import io.shrink.core.data.DataDirs;
import io.shrink.core.data.Example;
import io.shrink.core.data.ImdbReader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * IMDb movie-review sentiment (Maas et al. 2011): 25,000 training and 25,000 test reviews, positive or negative,
 * scored by accuracy on the test set; reviews are long, so inputs default to 256 tokens.
 */
public final class ImdbTask extends SequenceTask {
    /** The task's name. */
    public static final String NAME = "imdb";

    /** The task as shrink registers it. */
    public ImdbTask() {
        super(new TaskInfo(NAME, 1, TaskKind.LONG_DOCUMENT, DataDirs.Kind.IMDB, 256), ImdbReader.LABELS, List.of("accuracy"));
    }

    @Override
    protected SequenceData read(Path dirOption, boolean withTrain) {
        Path dir = DataDirs.resolve(DataDirs.Kind.IMDB, dirOption);
        List<Example> train = withTrain ? ImdbReader.read(dir, "train") : List.of();
        Map<String, List<Example>> eval = new LinkedHashMap<>();
        eval.put("", ImdbReader.read(dir, "test"));
        List<Path> files = new ArrayList<>();
        if (withTrain) {
            files.addAll(ImdbReader.sources(dir, "train"));
        }
        files.addAll(ImdbReader.sources(dir, "test"));
        return new SequenceData(NAME, ImdbReader.LABELS, false, train, eval, metricNames(), files, null);
    }
}
