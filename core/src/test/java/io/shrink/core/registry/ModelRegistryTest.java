package io.shrink.core.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.EncoderConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.shrink.core.registry.RegistryWorkerMain.entry;
import static io.shrink.core.registry.RegistryWorkerMain.payload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelRegistryTest {

    @TempDir
    Path home;

    private ModelRegistry registry() {
        return new ModelRegistry(home);
    }

    private static ModelRegistry.FilesWriter weights(String id) {
        return dir -> Files.write(dir.resolve("weights.bin"), payload(id));
    }

    private List<Path> stagingLeftovers() throws IOException {
        Path staging = home.resolve(".staging");
        if (!Files.isDirectory(staging)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(staging)) {
            return s.toList();
        }
    }

    @Test
    void emptyRegistryListsNothingAndCreatesNothing() {
        Path missing = home.resolve("nowhere");
        ModelRegistry registry = new ModelRegistry(missing);
        assertEquals(List.of(), registry.list());
        assertEquals(List.of(), registry.problems());
        assertFalse(registry.exists("x"));
        assertFalse(Files.exists(missing));
    }

    @Test
    void addShowListRemoveRoundTrip() throws IOException {
        ModelRegistry registry = registry();
        RegistryEntry stored = registry.add(entry("beta"), false, weights("beta"));
        registry.add(entry("alpha"), false, weights("alpha"));

        assertEquals(RegistryEntry.SCHEMA_VERSION, stored.schemaVersion());
        assertEquals(payload("beta").length, stored.bytesOnDisk());
        assertNotNull(stored.createdAt());
        Instant.parse(stored.createdAt());
        assertEquals(stored, registry.show("beta"));
        assertEquals(EncoderConfig.bert(100, 32, 2, 2, 64, 16), registry.show("beta").config());
        assertEquals(Map.of("seed", 7), registry.show("beta").producedBy().options());
        assertTrue(registry.exists("beta"));
        assertEquals(List.of("alpha", "beta"), registry.list().stream().map(RegistryEntry::id).toList());
        assertEquals(List.of(), registry.problems());

        Path dir = registry.modelDir("beta");
        assertEquals(home.resolve("models").resolve("beta").toAbsolutePath(), dir);
        assertArrayEquals(payload("beta"), Files.readAllBytes(dir.resolve("weights.bin")));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(Set.of("weights.bin", "entry.json"),
                    Set.copyOf(files.map(p -> p.getFileName().toString()).toList()));
        }

        registry.remove("beta");
        assertFalse(registry.exists("beta"));
        assertFalse(Files.exists(dir));
        ShrinkException e = assertThrows(ShrinkException.class, () -> registry.show("beta"));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertEquals("no model 'beta' in registry " + home.toAbsolutePath() + "; see 'shrink models list'",
                e.getMessage());
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT,
                assertThrows(ShrinkException.class, () -> registry.remove("beta")).kind());
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT,
                assertThrows(ShrinkException.class, () -> registry.modelDir("beta")).kind());
        assertEquals(List.of("alpha"), registry.list().stream().map(RegistryEntry::id).toList());
        assertEquals(List.of(), stagingLeftovers());
    }

    @Test
    void invalidIdsAreUsageErrors() {
        ModelRegistry registry = registry();
        for (String bad : List.of("../x", "a/b", "Upper", ".hidden")) {
            assertEquals(ShrinkException.Kind.USAGE,
                    assertThrows(ShrinkException.class, () -> registry.show(bad)).kind());
            assertEquals(ShrinkException.Kind.USAGE,
                    assertThrows(ShrinkException.class, () -> registry.add(entry(bad), false, d -> { })).kind());
            assertEquals(ShrinkException.Kind.USAGE,
                    assertThrows(ShrinkException.class, () -> registry.remove(bad)).kind());
        }
        assertFalse(Files.exists(home.resolve("x")));
    }

    @Test
    void entryJsonHasStableKeyOrder() throws IOException {
        ModelRegistry registry = registry();
        registry.add(entry("m"), false, weights("m"));
        registry.updateMetrics("m", "sst2", Map.of("f1", 0.5, "accuracy", 0.9));
        registry.updateMetrics("m", "mrpc", Map.of("accuracy", 0.8));
        String json = Files.readString(registry.modelDir("m").resolve(ModelRegistry.ENTRY_FILE));
        List<String> keys = List.of("\"schemaVersion\"", "\"id\"", "\"family\"", "\"config\"", "\"head\"",
                "\"parameters\"", "\"nonEmbeddingParameters\"", "\"bytesOnDisk\"", "\"tokenizer\"",
                "\"producedBy\"", "\"contentSha256\"", "\"createdAt\"", "\"metrics\"", "\"mrpc\"", "\"sst2\"",
                "\"accuracy\"", "\"f1\"");
        int last = -1;
        for (String key : keys) {
            int at = json.indexOf(key, last + 1);
            assertTrue(at > last, key + " out of order in\n" + json);
            last = at;
        }
        assertFalse(json.contains("\"parent\""), "null parent should be left out");
        assertTrue(json.contains("\n"), "pretty-printed");
    }

    @Test
    void failingWriterLeavesNoTrace() throws IOException {
        ModelRegistry registry = registry();
        ShrinkException e = assertThrows(ShrinkException.class, () -> registry.add(entry("broken"), false, dir -> {
            Files.write(dir.resolve("weights.bin"), new byte[100]);
            throw new IOException("disk full");
        }));
        assertEquals(ShrinkException.Kind.FAILED, e.kind());
        assertTrue(e.getMessage().contains("disk full"), e.getMessage());

        ShrinkException usage = ShrinkException.usage("bad recipe");
        assertSame(usage, assertThrows(ShrinkException.class, () -> registry.add(entry("broken"), false, dir -> {
            Files.write(dir.resolve("weights.bin"), new byte[100]);
            throw usage;
        })));

        assertFalse(registry.exists("broken"));
        assertFalse(Files.exists(home.resolve("models").resolve("broken")));
        assertEquals(List.of(), stagingLeftovers());
        assertEquals(List.of(), registry.list());
    }

    @Test
    void replaceNeedsForceAndSwapsFiles() throws IOException {
        ModelRegistry registry = registry();
        registry.add(entry("m"), false, dir -> Files.writeString(dir.resolve("old.bin"), "old"));
        ShrinkException e = assertThrows(ShrinkException.class,
                () -> registry.add(entry("m"), false, dir -> Files.writeString(dir.resolve("new.bin"), "new")));
        assertEquals(ShrinkException.Kind.USAGE, e.kind());
        assertEquals("model 'm' already exists; use --force to replace it", e.getMessage());
        assertTrue(Files.exists(registry.modelDir("m").resolve("old.bin")));

        RegistryEntry replaced = registry.add(entry("m"), true,
                dir -> Files.writeString(dir.resolve("new.bin"), "newer"));
        assertEquals(5, replaced.bytesOnDisk());
        assertFalse(Files.exists(registry.modelDir("m").resolve("old.bin")));
        assertEquals("newer", Files.readString(registry.modelDir("m").resolve("new.bin")));
        assertEquals(replaced, registry.show("m"));
        assertEquals(List.of(), stagingLeftovers());
    }

    @Test
    void updateMetricsRewritesEntry() {
        ModelRegistry registry = registry();
        RegistryEntry added = registry.add(entry("m"), false, weights("m"));
        assertEquals(Map.of(), added.metrics());
        registry.updateMetrics("m", "sst2", Map.of("accuracy", 0.91));
        registry.updateMetrics("m", "squad", Map.of("f1", 88.5, "exact", 80.0));
        RegistryEntry updated = registry.updateMetrics("m", "sst2", Map.of("accuracy", 0.93, "samples", 872));

        RegistryEntry shown = registry.show("m");
        assertEquals(updated, shown);
        assertEquals(List.of("squad", "sst2"), List.copyOf(shown.metrics().keySet()));
        assertEquals(Map.of("accuracy", 0.93, "samples", 872), shown.metrics().get("sst2"));
        assertEquals(Map.of("f1", 88.5, "exact", 80.0), shown.metrics().get("squad"));
        assertEquals(added.bytesOnDisk(), shown.bytesOnDisk());
        assertEquals(added.createdAt(), shown.createdAt());

        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, assertThrows(ShrinkException.class,
                () -> registry.updateMetrics("absent", "sst2", Map.of())).kind());
        assertEquals(ShrinkException.Kind.USAGE, assertThrows(ShrinkException.class,
                () -> registry.updateMetrics("m", " ", Map.of())).kind());
    }

    @Test
    void withMetricsCopies() {
        RegistryEntry base = entry("m");
        RegistryEntry one = base.withMetrics("b", Map.of("x", 1)).withMetrics("a", Map.of("y", 2));
        assertEquals(Map.of(), base.metrics());
        assertEquals(List.of("a", "b"), List.copyOf(one.metrics().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> one.metrics().put("c", Map.of()));
    }

    @Test
    void corruptEntryFailsShowButNotList() throws IOException {
        ModelRegistry registry = registry();
        registry.add(entry("good"), false, weights("good"));
        registry.add(entry("bad"), false, weights("bad"));
        Path badJson = registry.modelDir("bad").resolve(ModelRegistry.ENTRY_FILE);
        Files.writeString(badJson, "{\"schemaVersion\": 1, \"id\": \"bad\", \"config\": [tru");
        Files.createDirectories(home.resolve("models").resolve("empty"));
        Files.createDirectories(home.resolve("models").resolve("Not-An-Id"));

        ShrinkException e = assertThrows(ShrinkException.class, () -> registry.show("bad"));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().contains(badJson.toString()), e.getMessage());
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT,
                assertThrows(ShrinkException.class, () -> registry.show("empty")).kind());

        ModelRegistry.Listing listing = registry.scan();
        assertEquals(List.of("good"), listing.entries().stream().map(RegistryEntry::id).toList());
        assertEquals(3, listing.problems().size(), listing.problems().toString());
        assertEquals(List.of("good"), registry.list().stream().map(RegistryEntry::id).toList());
        assertEquals(listing.problems(), registry.problems());

        Files.writeString(badJson, "");
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT,
                assertThrows(ShrinkException.class, () -> registry.show("bad")).kind());
        Files.writeString(badJson, Files.readString(registry.modelDir("good").resolve(ModelRegistry.ENTRY_FILE)));
        assertTrue(assertThrows(ShrinkException.class, () -> registry.show("bad")).getMessage()
                .contains("names model 'good'"));

        assertTrue(registry.hasDirectory("bad"));
        assertTrue(registry.hasDirectory("empty"));
        assertFalse(registry.exists("empty"));
        assertFalse(registry.hasDirectory("absent"));
        registry.requireDirectory("bad");
        assertEquals("no model 'absent' in registry " + home.toAbsolutePath() + "; see 'shrink models list'",
                assertThrows(ShrinkException.class, () -> registry.requireDirectory("absent")).getMessage());

        registry.remove("bad");
        registry.remove("empty");
        registry.list();
        assertEquals(1, registry.problems().size());
    }

    @Test
    void entryWithoutConfigHeadOrTokenizerOrWithAnInvalidConfigIsCorrupt() throws IOException {
        ModelRegistry registry = registry();
        registry.add(entry("good"), false, weights("good"));
        Path goodJson = registry.modelDir("good").resolve(ModelRegistry.ENTRY_FILE);
        ObjectMapper json = new ObjectMapper();
        Map<String, String> broken = Map.of("no-config", "config", "no-head", "head", "no-tokenizer", "tokenizer",
                "bad-config", "config.numLayers");
        for (Map.Entry<String, String> b : broken.entrySet()) {
            String id = b.getKey();
            registry.add(entry(id), false, weights(id));
            ObjectNode node = (ObjectNode) json.readTree(goodJson.toFile());
            node.put("id", id);
            if (b.getValue().equals("config.numLayers")) {
                ((ObjectNode) node.get("config")).put("numLayers", 0);
            } else {
                node.remove(b.getValue());
            }
            json.writeValue(registry.modelDir(id).resolve(ModelRegistry.ENTRY_FILE).toFile(), node);

            ShrinkException e = assertThrows(ShrinkException.class, () -> registry.show(id));
            assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
            assertTrue(e.getMessage().startsWith("corrupt registry entry "), e.getMessage());
            assertTrue(e.getMessage().contains(b.getValue().equals("config.numLayers") ? "numLayers 0"
                    : "it has no " + b.getValue()), e.getMessage());
            assertTrue(e.getMessage().endsWith("remove the model with 'shrink models rm " + id + "'"),
                    e.getMessage());
        }
        ModelRegistry.Listing listing = registry.scan();
        assertEquals(List.of("good"), listing.entries().stream().map(RegistryEntry::id).toList());
        assertEquals(broken.size(), listing.problems().size(), listing.problems().toString());
        for (String id : broken.keySet()) {
            assertTrue(listing.problems().stream().anyMatch(p -> p.startsWith("skipped '" + id + "'")),
                    listing.problems().toString());
        }
    }

    @Test
    void aHomeThatIsAFileIsAUsageError() throws IOException {
        Path file = Files.writeString(home.resolve("registry-file"), "x");
        ShrinkException e = assertThrows(ShrinkException.class, () -> new ModelRegistry(file));
        assertEquals(ShrinkException.Kind.USAGE, e.kind());
        assertEquals("registry (--registry or $SHRINK_HOME) " + file + " is a file, not a folder; name a folder", e.getMessage());
        e = assertThrows(ShrinkException.class, () -> new ModelRegistry(file.resolve("sub")));
        assertTrue(e.getMessage().endsWith(": " + file + " is a file, not a folder; name a folder"), e.getMessage());
    }

    @Test
    void staleStagingIsCleanedWhenLockIsTaken() throws Exception {
        Path staging = Files.createDirectories(home.resolve(".staging"));
        FileTime old = FileTime.from(Instant.now().minusSeconds(2 * 3600));
        Path stale = Files.createDirectories(staging.resolve("add-x-1"));
        Files.writeString(stale.resolve("weights.bin"), "x");
        Files.writeString(staging.resolve("add-x-1.lock"), "");
        Files.setLastModifiedTime(stale, old);
        Path fresh = Files.createDirectories(staging.resolve("add-y-2"));
        Path trash = Files.createDirectories(staging.resolve("removed-z-3"));
        Path held = Files.createDirectories(staging.resolve("add-w-4"));
        Files.setLastModifiedTime(held, old);
        Path dead = Files.createDirectories(staging.resolve("add-v-" + UUID.randomUUID()));
        Files.writeString(dead.resolve("model.safetensors"), "half written by a process killed with -9");
        Path deadLock = Files.writeString(dead.resolveSibling(dead.getFileName() + ".lock"), "");
        Path lockOnly = Files.writeString(staging.resolve("add-u-" + UUID.randomUUID() + ".lock"), "");
        Process holder = new ProcessBuilder(javaExecutable(), "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
                childClassPath(), RegistryWorkerMain.class.getName(), RegistryWorkerMain.HOLD_LOCK,
                staging.resolve("add-w-4.lock").toString())
                .redirectErrorStream(true)
                .start();
        try {
            BufferedReader fromHolder = new BufferedReader(
                    new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals(RegistryWorkerMain.LOCKED, fromHolder.readLine(), "the child JVM holds the lock");
            registry().add(entry("m"), false, weights("m"));
            assertFalse(Files.exists(stale));
            assertFalse(Files.exists(staging.resolve("add-x-1.lock")));
            assertFalse(Files.exists(trash));
            assertTrue(Files.exists(fresh), "a new directory without a lock file may be about to get one");
            assertFalse(Files.exists(dead), "a dead process's staging is swept at once, not after an hour");
            assertFalse(Files.exists(deadLock));
            assertFalse(Files.exists(lockOnly));
            assertTrue(Files.exists(held), "a staging directory whose lock another process holds is in use");
            assertTrue(Files.exists(staging.resolve("add-w-4.lock")));
        } finally {
            holder.getOutputStream().close();
            assertTrue(holder.waitFor(60, TimeUnit.SECONDS), "lock holder did not exit");
        }
        assertEquals(0, holder.exitValue());
    }

    @Test
    void trashOfAMissingModelIsMovedBackWhenLockIsTaken() throws IOException {
        ModelRegistry registry = registry();
        RegistryEntry kept = registry.add(entry("kept"), false, weights("kept"));
        registry.add(entry("replaced"), false, weights("replaced"));
        Path staging = home.resolve(".staging");
        Path crashed = staging.resolve("trash-kept-" + UUID.randomUUID());
        Files.move(home.resolve("models").resolve("kept"), crashed);
        Path finished = Files.createDirectories(staging.resolve("trash-replaced-" + UUID.randomUUID()));
        Path removed = Files.createDirectories(staging.resolve("removed-gone-" + UUID.randomUUID()));
        Path unknown = Files.createDirectories(staging.resolve("trash-not-a-uuid"));
        assertFalse(registry.exists("kept"));

        registry.updateMetrics("replaced", "sst2", Map.of("accuracy", 1));

        assertEquals(kept, registry.show("kept"), "a replace stopped between its moves must not lose the old model");
        assertArrayEquals(payload("kept"), Files.readAllBytes(registry.modelDir("kept").resolve("weights.bin")));
        assertFalse(Files.exists(crashed));
        assertFalse(Files.exists(finished), "trash whose model is in place is deleted");
        assertFalse(Files.exists(removed));
        assertTrue(Files.exists(unknown), "trash whose model cannot be told is never deleted");
    }

    @Test
    void removeAndReplaceLeaveNothingRestorable() throws IOException {
        ModelRegistry registry = registry();
        registry.add(entry("m"), false, weights("m"));
        registry.add(entry("m"), true, dir -> Files.writeString(dir.resolve("new.bin"), "new"));
        registry.remove("m");
        registry.add(entry("other"), false, weights("other"));
        assertFalse(registry.hasDirectory("m"), "a removed model must stay removed");
        assertEquals(List.of(), stagingLeftovers());
    }

    @Test
    void concurrentAddsFromThreadsAllLand() throws Exception {
        ModelRegistry shared = registry();
        shared.add(entry("shared"), false, weights("shared"));
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String id = "thread-" + t;
                futures.add(pool.submit(() -> {
                    start.await();
                    ModelRegistry own = new ModelRegistry(home);
                    own.add(entry(id), false, dir -> {
                        Files.write(dir.resolve("weights.bin"), payload(id));
                        Thread.yield();
                    });
                    own.updateMetrics("shared", "task-" + id, Map.of("accuracy", 1));
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertAllLanded(List.of("thread"), threads, 1);
    }

    @Test
    void concurrentAddsFromTwoProcessesAllLand() throws Exception {
        ModelRegistry registry = registry();
        registry.add(entry("shared"), false, weights("shared"));
        int perProcess = 12;
        List<Process> processes = new ArrayList<>();
        List<String> prefixes = List.of("proc-a", "proc-b");
        String java = javaExecutable();
        String startAt = String.valueOf(System.currentTimeMillis() + 2000);
        for (String prefix : prefixes) {
            processes.add(new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", childClassPath(),
                    RegistryWorkerMain.class.getName(), home.toString(), prefix, String.valueOf(perProcess), "shared",
                    startAt)
                    .redirectErrorStream(true)
                    .start());
        }
        for (Process p : processes) {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "worker timed out");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
        }
        assertAllLanded(prefixes, perProcess, 1);
    }

    private void assertAllLanded(List<String> prefixes, int perPrefix, int extra) throws IOException {
        ModelRegistry registry = registry();
        ModelRegistry.Listing listing = registry.scan();
        assertEquals(List.of(), listing.problems());
        assertEquals(prefixes.size() * perPrefix + extra, listing.entries().size());
        RegistryEntry shared = registry.show("shared");
        assertEquals(prefixes.size() * perPrefix, shared.metrics().size(), "lost metric updates");
        for (String prefix : prefixes) {
            for (int i = 0; i < perPrefix; i++) {
                String id = prefix + "-" + i;
                RegistryEntry e = registry.show(id);
                assertEquals(id, e.id());
                assertEquals(payload(id).length, e.bytesOnDisk());
                assertArrayEquals(payload(id), Files.readAllBytes(registry.modelDir(id).resolve("weights.bin")));
                assertTrue(shared.metrics().containsKey("task-" + id));
            }
        }
        assertEquals(List.of(), stagingLeftovers());
    }

    private static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String childClassPath() throws Exception {
        Set<String> entries = new LinkedHashSet<>(
                Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator)));
        for (Class<?> c : List.of(RegistryWorkerMain.class, ModelRegistry.class, ShrinkException.class,
                ObjectMapper.class, JsonFactory.class, JsonInclude.class)) {
            entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        return String.join(File.pathSeparator, entries);
    }
}
