package io.shrink.core.task;

import io.shrink.core.data.DataDirs;
import io.shrink.core.data.Example;
import io.shrink.core.data.GlueReader;
import io.shrink.core.data.GlueTask;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GLUE task read from the GLUE distribution's TSV layout ({@code <glue-dir>/<TASK>/train.tsv, dev.tsv});
 * what the files look like is in its {@link GlueTask} description, so a new task of this format is one
 * {@link GlueTask} constant and one line in {@link Tasks}.
 */
public final class GlueTsvTask extends SequenceTask {
    private final GlueTask glue;

    /** The task {@code glue} describes. */
    public GlueTsvTask(GlueTask glue) {
        super(new TaskInfo(glue.name(), 1, glue.regression() ? TaskKind.REGRESSION
                        : glue.pair() ? TaskKind.PAIR_CLASSIFICATION : TaskKind.SINGLE_CLASSIFICATION,
                DataDirs.Kind.GLUE, 128), glue.regression() ? List.of("score") : glue.labels(), glue.metrics());
        this.glue = glue;
    }

    /** The GLUE description: directory, splits, layout, labels, metrics. */
    public GlueTask glue() {
        return glue;
    }

    @Override
    protected SequenceData read(Path dirOption, boolean withTrain) {
        Path dir = DataDirs.resolve(DataDirs.Kind.GLUE, dirOption);
        List<Example> train = withTrain ? GlueReader.read(dir, glue, "train") : List.of();
        Map<String, List<Example>> eval = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>();
        if (withTrain) {
            files.add(dir.resolve(glue.dirName()).resolve(glue.split("train").fileName()));
        }
        for (GlueTask.Split s : glue.evalSplits()) {
            String suffix = glue.evalSplits().size() > 1 ? s.name().replaceFirst("^dev_", "") : "";
            eval.put(suffix, GlueReader.read(dir, glue, s.name()));
            files.add(dir.resolve(glue.dirName()).resolve(s.fileName()));
        }
        return new SequenceData(glue.name(), labels(), glue.regression(), train, eval, glue.metrics(), files, glue);
    }
}
