package io.shrink.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the packaged {@code cli/shrink} launcher as a separate process, as a user would. */
final class Shrink {
    static final Path LAUNCHER = Path.of(System.getProperty("shrink.launcher", "../cli/shrink")).toAbsolutePath();
    /** Where runs go unless a test names a run folder: a temporary folder, never the checkout. */
    static final Path RESULTS = temporaryResults();

    /** What one run printed and returned. */
    record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    private Shrink() {
    }

    private static Path temporaryResults() {
        try {
            Path dir = Files.createTempDirectory("shrink-it-results");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temporary results folder", e);
        }
    }

    static Run run(Path registry, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString(), "--registry", registry.toString()));
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    static Run exec(List<String> cmd) throws IOException, InterruptedException {
        return execIn(null, cmd);
    }

    /** Runs {@code cmd} with {@code dir} as the working directory (null: inherit). */
    static Run execIn(Path dir, List<String> cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("shrink-it", ".out");
        Path err = Files.createTempFile("shrink-it", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            pb.environment().put("SHRINK_OPTS", "-Xmx4g");
            pb.environment().put("SHRINK_RESULTS", RESULTS.toString());
            Process p = pb.start();
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("shrink " + cmd + " did not finish in 15 minutes");
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
