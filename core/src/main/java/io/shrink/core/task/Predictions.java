package io.shrink.core.task;

import io.shrink.core.util.AtomicFiles;
import io.shrink.core.util.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The per-example predictions file next to {@code result.json}: JSON Lines, one row per example with at least
 * {@code id}, {@code prediction} and {@code gold} (and {@code set}, {@code source}, {@code task} where known).
 */
public final class Predictions {
    /** The file name. */
    public static final String FILE = "predictions.jsonl";

    private Predictions() {
    }

    /** Writes rows as JSON Lines, atomically. */
    public static void write(Path file, List<Map<String, Object>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> row : rows) {
            sb.append(Json.COMPACT.writeValueAsString(row)).append('\n');
        }
        AtomicFiles.writeString(file, sb.toString());
    }
}
