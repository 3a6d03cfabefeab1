package io.shrink.core.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.shrink.core.util.Versions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Everything needed to reproduce a result: versions of shrink and the stack, the git commit, the
 * machine, threads, seed, every resolved option and a checksum of every data file read.
 *
 * @param shrinkVersion shrink's version
 * @param gitCommit     commit of the working tree shrink was built from, or null outside a checkout
 * @param versions      djl, pytorch, jdk and os versions
 * @param hardware      the machine's fingerprint
 * @param threads       intra-op threads PyTorch used
 * @param seed          the run's seed, or null when the run is not random
 * @param options       every resolved option, by name (sorted)
 * @param dataFiles     each data file (or data directory) read, with its size and SHA-256
 */
@JsonPropertyOrder({"shrinkVersion", "gitCommit", "versions", "hardware", "threads", "seed", "options", "dataFiles"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Provenance(String shrinkVersion, String gitCommit, Map<String, String> versions, Hardware hardware,
                         int threads, Long seed, Map<String, Object> options, List<DataFile> dataFiles) {

    /**
     * A data file read by the run. A directory (the IMDb tree layout: thousands of small files) is summarised
     * by one entry: its bytes are the total, and its SHA-256 is that of the listing {@code sha256sum} prints
     * for every regular file below it, by relative path in byte order, i.e. of
     * {@code cd DIR && find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs -d '\n' sha256sum}.
     */
    @JsonPropertyOrder({"path", "bytes", "sha256"})
    public record DataFile(String path, long bytes, String sha256) {
        /** Hashes a file, or a directory as described above. */
        public static DataFile of(Path file) throws IOException {
            String path = file.toAbsolutePath().normalize().toString();
            if (!Files.isDirectory(file)) {
                return new DataFile(path, Files.size(file), digest(file));
            }
            List<Path> files;
            try (Stream<Path> walk = Files.walk(file)) {
                files = walk.filter(Files::isRegularFile).toList();
            }
            List<String> relative = new ArrayList<>();
            for (Path f : files) {
                relative.add(file.relativize(f).toString().replace(java.io.File.separatorChar, '/'));
            }
            relative.sort(Comparator.comparing(r -> r.getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned));
            MessageDigest listing = sha();
            long bytes = 0;
            for (String r : relative) {
                Path f = file.resolve(r);
                bytes += Files.size(f);
                listing.update((digest(f) + "  " + r + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return new DataFile(path, bytes, HexFormat.of().formatHex(listing.digest()));
        }

        private static String digest(Path file) throws IOException {
            try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha())) {
                byte[] buf = new byte[1 << 16];
                while (in.read(buf) >= 0) {
                    // reading is all the digest needs
                }
                return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
            }
        }
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Provenance of a run in this process. */
    public static Provenance capture(Long seed, Map<String, Object> options, List<Path> dataFiles) throws IOException {
        Map<String, String> versions = new TreeMap<>(Versions.all());
        versions.remove("shrink");
        List<DataFile> files = new ArrayList<>();
        for (Path p : dataFiles) {
            files.add(DataFile.of(p));
        }
        return new Provenance(Versions.shrink(), detectGitCommit(), versions, Hardware.detect(), currentThreads(), seed,
                new TreeMap<>(options), files);
    }

    /** PyTorch intra-op threads in force (the DJL property, else the OMP variable, else the cores). */
    public static int currentThreads() {
        String p = System.getProperty("ai.djl.pytorch.num_threads");
        String env = System.getenv("OMP_NUM_THREADS");
        try {
            if (p != null) {
                return Integer.parseInt(p.trim());
            }
            if (env != null) {
                return Integer.parseInt(env.trim());
            }
        } catch (NumberFormatException ignored) {
            // fall back to the core count, which is what PyTorch uses then
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** The git commit shrink was built from: {@code SHRINK_GIT_COMMIT}, else {@code git rev-parse} in the install. */
    static String detectGitCommit() {
        String env = System.getenv("SHRINK_GIT_COMMIT");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        String home = System.getProperty("shrink.home");
        if (home == null) {
            return null;
        }
        try {
            Process p = new ProcessBuilder("git", "-C", home, "rev-parse", "HEAD").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            String dirty = "";
            Process s = new ProcessBuilder("git", "-C", home, "status", "--porcelain", "--untracked-files=no").start();
            if (!new String(s.getInputStream().readAllBytes()).isBlank()) {
                dirty = "-dirty";
            }
            s.waitFor(10, TimeUnit.SECONDS);
            return out + dirty;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
