package io.shrink.commands;

import io.shrink.core.data.DataDirs;
import io.shrink.core.task.Task;
import io.shrink.core.task.Tasks;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where the task data lives: one option per data family, each defaulting to its environment variable. */
public final class DataDirOptions {
    @Option(names = "--glue-dir", paramLabel = "DIR", description = "GLUE directory (<DIR>/<TASK>/{train,dev}.tsv; default: $GLUE_DIR).") Path glue;

    @Option(names = "--imdb-dir", paramLabel = "DIR", description = "IMDb directory (aclImdb tree or {train,test}.jsonl[.gz]; default: $IMDB_DIR).")
    Path imdb;

    @Option(names = "--squad-dir", paramLabel = "DIR", description = "SQuAD v1.1 directory (dev-v1.1.json; default: $SQUAD_DIR).") Path squad;

    /** The option for a task's data family (null: the environment variable applies). */
    Path forTask(String task) {
        DataDirs.Kind kind = Tasks.find(task).map(Task::dataKind).orElse(DataDirs.Kind.GLUE);
        return switch (kind) {
            case GLUE -> glue;
            case IMDB -> imdb;
            case SQUAD -> squad;
        };
    }
}
