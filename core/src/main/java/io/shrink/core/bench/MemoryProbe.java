package io.shrink.core.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process from {@code /proc/self/status}: current ({@code VmRSS}) and peak
 * ({@code VmHWM}), in bytes; -1 where the file does not exist (not Linux).
 */
public final class MemoryProbe {
    private static final Path STATUS = Path.of("/proc/self/status");

    private MemoryProbe() {
    }

    /** Current resident set size in bytes, or -1. */
    public static long residentBytes() {
        return read("VmRSS:");
    }

    /** Peak resident set size of the process so far in bytes, or -1. */
    public static long peakResidentBytes() {
        return read("VmHWM:");
    }

    private static long read(String key) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).replace("kB", "").trim()) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
