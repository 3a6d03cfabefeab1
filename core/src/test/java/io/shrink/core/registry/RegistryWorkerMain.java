package io.shrink.core.registry;

import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Test helper run in a separate JVM to exercise cross-process locking: adds models and records metrics, or holds a
 * file lock as another shrink process would.
 */
public final class RegistryWorkerMain {

    private RegistryWorkerMain() {
    }

    /** First argument that makes {@link #main} hold a lock instead of adding models. */
    static final String HOLD_LOCK = "hold-lock";

    /** Line printed once the lock is held. */
    static final String LOCKED = "locked";

    /**
     * Arguments: registry home, id prefix, number of models to add, id of a shared model to record metrics on, and
     * the epoch millisecond at which to start (so that workers overlap). Or {@value #HOLD_LOCK} and a lock file:
     * lock it, print {@value #LOCKED}, and hold the lock until standard input is closed.
     */
    public static void main(String[] args) throws Exception {
        if (args[0].equals(HOLD_LOCK)) {
            holdLock(Path.of(args[1]));
            return;
        }
        ModelRegistry registry = new ModelRegistry(Path.of(args[0]));
        String prefix = args[1];
        int count = Integer.parseInt(args[2]);
        String shared = args[3];
        long startAt = Long.parseLong(args[4]);
        Thread.sleep(Math.max(0, startAt - System.currentTimeMillis()));
        for (int i = 0; i < count; i++) {
            String id = prefix + "-" + i;
            registry.add(entry(id), false, dir -> Files.write(dir.resolve("weights.bin"), payload(id)));
            registry.updateMetrics(shared, "task-" + id, Map.of("accuracy", i));
        }
    }

    private static void holdLock(Path lock) throws IOException {
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            System.out.println(LOCKED);
            System.out.flush();
            while (System.in.read() >= 0) {
                continue;
            }
        }
    }

    /** A small, complete entry for {@code id}. */
    static RegistryEntry entry(String id) {
        return new RegistryEntry(RegistryEntry.SCHEMA_VERSION, id, "bert", EncoderConfig.bert(100, 32, 2, 2, 64, 16),
                HeadConfig.none(), 1000, 500, 0, null, null, new RegistryEntry.Tokenizer(100, true), null,
                new RegistryEntry.Lineage("models import", "maven:org.example:tiny-bert:1.0", Map.of("seed", 7), null),
                "00".repeat(32), null, null);
    }

    /** Deterministic file content for model {@code id}. */
    static byte[] payload(String id) {
        byte[] bytes = new byte[1000 + id.length()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (id.hashCode() + i);
        }
        return bytes;
    }
}
