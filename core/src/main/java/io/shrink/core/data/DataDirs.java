package io.shrink.core.data;

import io.shrink.core.ShrinkException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Finds the data directories: the command-line option's value when given, else the environment variable, else a
 * usage error that names both. A directory that does not exist is a missing-data error (exit code 3).
 */
public final class DataDirs {

    /** The data sets shrink reads, with their option and environment variable. */
    public enum Kind {
        /** The GLUE root holding {@code CoLA/}, {@code SST-2/}, ... */
        GLUE("--glue-dir", "GLUE_DIR"),
        /** The directory holding {@code dev-v1.1.json} (and {@code train-v1.1.json}). */
        SQUAD("--squad-dir", "SQUAD_DIR"),
        /** The aclImdb tree or the directory with {@code train.jsonl.gz} and {@code test.jsonl.gz}. */
        IMDB("--imdb-dir", "IMDB_DIR");

        private final String option;
        private final String env;

        Kind(String option, String env) {
            this.option = option;
            this.env = env;
        }

        /** The command-line option, e.g. {@code --glue-dir}. */
        public String option() {
            return option;
        }

        /** The environment variable, e.g. {@code GLUE_DIR}. */
        public String env() {
            return env;
        }
    }

    private DataDirs() {
    }

    /** Resolves {@code kind}'s directory from {@code optionValue} (may be null) and the process environment. */
    public static Path resolve(Kind kind, Path optionValue) {
        return resolve(kind, optionValue, System.getenv());
    }

    /** Resolves {@code kind}'s directory from {@code optionValue} (may be null) and {@code env}. */
    public static Path resolve(Kind kind, Path optionValue, Map<String, String> env) {
        Path dir;
        String from;
        if (optionValue != null) {
            dir = optionValue;
            from = kind.option;
        } else {
            String value = env.get(kind.env);
            if (value == null || value.isBlank()) {
                throw ShrinkException.usage("no " + kind.name() + " data directory: pass " + kind.option
                        + " <dir> or set " + kind.env + " (see glue-data/README.md)");
            }
            dir = Path.of(value);
            from = kind.env;
        }
        if (!Files.isDirectory(dir)) {
            throw ShrinkException.corrupt(dir + ": " + kind.name() + " data directory (from " + from
                    + ") does not exist or is not a directory");
        }
        return dir;
    }
}
