package io.shrink.core.checkpoint;

import io.shrink.core.ShrinkException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a jar of Maven Central in the local Maven repository and, only when the user asked for that
 * artifact, fetches it with Maven ({@code mvn dependency:get}) if it is absent. The local repository is
 * {@code $SHRINK_MAVEN_REPO}, else {@code -Dmaven.repo.local}, else {@code ~/.m2/repository}.
 */
public final class MavenArtifacts {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.+-]*");
    private static final Pattern COORDS = Pattern.compile(
            "([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+):([A-Za-z0-9_.+-]+)(?::([A-Za-z0-9_.-]+))?");

    private MavenArtifacts() {
    }

    /** Parsed {@code group:artifact:version[:classifier]} coordinates. */
    public record Coordinates(String group, String artifact, String version, String classifier) {
        @Override
        public String toString() {
            return group + ":" + artifact + ":" + version + (classifier == null ? "" : ":" + classifier);
        }

        /** Path of the jar relative to a repository root. */
        public Path relativeJar() {
            String file = artifact + "-" + version + (classifier == null ? "" : "-" + classifier) + ".jar";
            return Path.of(group.replace('.', '/'), artifact, version, file);
        }
    }

    /** Parses coordinates; a usage error explains the expected form. */
    public static Coordinates parse(String coords) {
        Matcher m = COORDS.matcher(coords);
        if (!m.matches() || coords.contains("..") || !java.util.Arrays.stream(coords.split("[:.]"))
                .allMatch(part -> part.isEmpty() || SEGMENT.matcher(part).matches())) {
            throw ShrinkException.usage("invalid Maven coordinates '" + coords + "': expected GROUP:ARTIFACT:VERSION");
        }
        return new Coordinates(m.group(1), m.group(2), m.group(3), m.group(4));
    }

    /** The local Maven repository root. */
    public static Path localRepository() {
        String env = System.getenv("SHRINK_MAVEN_REPO");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String prop = System.getProperty("maven.repo.local");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        return Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    /** The jar in the local repository, fetched with Maven first when absent. */
    public static Path resolve(String coords, boolean fetchIfAbsent) {
        Coordinates c = parse(coords);
        Path jar = localRepository().resolve(c.relativeJar());
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        if (!fetchIfAbsent) {
            throw ShrinkException.corrupt(c + " is not in the local Maven repository " + localRepository());
        }
        fetch(c);
        if (!Files.isRegularFile(jar)) {
            throw ShrinkException.corrupt("Maven did not put " + c + " at " + jar);
        }
        return jar;
    }

    private static void fetch(Coordinates c) {
        List<String> cmd = new ArrayList<>(List.of("mvn", "-q", "-B", "dependency:get", "-Dtransitive=false",
                "-Dartifact=" + c.group() + ":" + c.artifact() + ":" + c.version() + ":jar"
                        + (c.classifier() == null ? "" : ":" + c.classifier())));
        if (System.getProperty("maven.repo.local") != null || System.getenv("SHRINK_MAVEN_REPO") != null) {
            cmd.add("-Dmaven.repo.local=" + localRepository());
        }
        Path log = null;
        try {
            log = Files.createTempFile("shrink-mvn-", ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(60, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw ShrinkException.corrupt("fetching " + c + " timed out");
            }
            if (p.exitValue() != 0) {
                throw ShrinkException.corrupt("Maven could not fetch " + c + " (exit " + p.exitValue() + ": "
                        + lastLine(log) + "); check the coordinates and your network");
            }
        } catch (IOException e) {
            throw ShrinkException.corrupt(c + " is not in the local Maven repository and 'mvn' could not be run ("
                    + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ShrinkException.corrupt("interrupted while fetching " + c);
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a leftover log in the temp directory is harmless
                }
            }
        }
    }

    private static String lastLine(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        return lines.isEmpty() ? "no output" : lines.get(lines.size() - 1).replaceAll("\\e\\[[0-9;]*m", "");
    }
}
