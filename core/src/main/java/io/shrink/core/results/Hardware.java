package io.shrink.core.results;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The machine a result was measured on: CPU model, cores, the ISA flags that matter for inference speed,
 * memory and OS. Two results compare fairly only when their fingerprints match.
 *
 * @param cpuModel    the CPU's model name (from /proc/cpuinfo where available)
 * @param logicalCpus processors visible to the JVM
 * @param isaFlags    the speed-relevant instruction-set extensions present (AVX2, AVX-512, VNNI, BF16, AMX, ...)
 * @param memoryBytes total physical memory
 * @param os          OS name, version and architecture
 */
@JsonPropertyOrder({"cpuModel", "logicalCpus", "isaFlags", "memoryBytes", "os"})
public record Hardware(String cpuModel, int logicalCpus, List<String> isaFlags, long memoryBytes, String os) {
    /** The /proc/cpuinfo flags reported, under the names people know them by. */
    static final List<String[]> FLAGS = List.of(
            new String[] {"avx2", "AVX2"}, new String[] {"fma", "FMA"}, new String[] {"avx512f", "AVX512F"},
            new String[] {"avx512bw", "AVX512BW"}, new String[] {"avx512_vnni", "AVX512_VNNI"},
            new String[] {"avx_vnni", "AVX_VNNI"}, new String[] {"avx512_bf16", "AVX512_BF16"},
            new String[] {"amx_tile", "AMX_TILE"}, new String[] {"amx_int8", "AMX_INT8"},
            new String[] {"amx_bf16", "AMX_BF16"}, new String[] {"neon", "NEON"}, new String[] {"asimd", "ASIMD"});

    /** Reads this machine's fingerprint. */
    public static Hardware detect() {
        String model = System.getProperty("os.arch");
        Set<String> flags = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (key.equals("model name") || key.equals("Model")) {
                    model = value;
                } else if ((key.equals("flags") || key.equals("Features")) && flags.isEmpty()) {
                    Set<String> present = Set.of(value.split("\\s+"));
                    for (String[] f : FLAGS) {
                        if (present.contains(f[0])) {
                            flags.add(f[1]);
                        }
                    }
                }
            }
        } catch (IOException e) {
            model = model + " (no /proc/cpuinfo)";
        }
        return new Hardware(model, Runtime.getRuntime().availableProcessors(), new ArrayList<>(flags), memory(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"));
    }

    private static long memory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** A short identity for comparing fingerprints: CPU model, core count and flags. */
    public String key() {
        return (cpuModel + "|" + logicalCpus + "|" + String.join(",", isaFlags)).toLowerCase(Locale.ROOT);
    }
}
