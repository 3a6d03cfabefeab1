package io.shrink.core.results;

import io.shrink.core.ShrinkException;
import io.shrink.core.util.AtomicFiles;
import io.shrink.core.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/** Run ids, default locations and atomic writing of {@link RunResult}s. */
public final class Results {
    /** File name of a run's result inside its directory. */
    public static final String RESULT_FILE = "result.json";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT);

    private Results() {
    }

    /** A new run id: UTC time, command, a label, and random hex, e.g. {@code 20261126-031500-benchmark-tiny-3fa2}. */
    public static String newRunId(String command, String label) {
        String clean = (command + "-" + label).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.]+", "-")
                .replaceAll("(^-+)|(-+$)", "");
        if (clean.length() > 60) {
            clean = clean.substring(0, 60);
        }
        return ZonedDateTime.now(ZoneOffset.UTC).format(STAMP) + "-" + clean + "-"
                + String.format(Locale.ROOT, "%04x", ThreadLocalRandom.current().nextInt(0x10000));
    }

    /** Where runs go by default: {@code $SHRINK_RESULTS}, else {@code results/runs} under the working directory. */
    public static Path defaultRunsDir() {
        String env = System.getenv("SHRINK_RESULTS");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of("results", "runs");
    }

    /** Writes {@code result.json} into {@code dir} (created) atomically and returns the file. */
    public static Path write(RunResult result, Path dir) {
        Path file = dir.resolve(RESULT_FILE);
        try {
            Files.createDirectories(dir);
            AtomicFiles.writeString(file, Json.write(result) + "\n");
            return file;
        } catch (IOException e) {
            throw ShrinkException.failed("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a result file. */
    public static RunResult read(Path file) {
        try {
            return Json.MAPPER.readValue(file.toFile(), RunResult.class);
        } catch (IOException e) {
            throw ShrinkException.corrupt(file + ": not a shrink result (" + e.getClass().getSimpleName() + ")");
        }
    }
}
