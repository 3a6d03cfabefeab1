package io.shrink.core.distill;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class TeacherCacheTest {
    static final TeacherCache.Key KEY = new TeacherCache.Key("teacher", "data", 2.0, "probs");

    /** Three rows of width 3 with values that would show any rounding or reordering. */
    static float[][] rows() {
        return new float[][] {
                {0.1f, 0.7f, 0.2f},
                {-3.5f, 1e-30f, Float.MAX_VALUE},
                {-0.0f, 123456.789f, Float.MIN_VALUE}};
    }

    static float[][] copy(float[][] v) {
        return Arrays.stream(v).map(float[]::clone).toArray(float[][]::new);
    }

    /** A supplier that counts its calls. */
    static Supplier<float[][]> counting(AtomicInteger calls, float[][] values) {
        return () -> {
            calls.incrementAndGet();
            return copy(values);
        };
    }

    static Supplier<float[][]> mustNotCompute() {
        return () -> fail("the cache should have answered without computing");
    }

    static void assertRowsEqual(float[][] expected, float[][] actual) {
        assertEquals(expected.length, actual.length, "rows");
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], "row " + i);
        }
    }

    @Test
    void storesThenReadsBackIdenticalRowsWithoutComputing(@TempDir Path dir) {
        TeacherCache cache = new TeacherCache(dir.resolve("cache").resolve("teacher")); // created on first store
        AtomicInteger calls = new AtomicInteger();
        TeacherCache.Lookup first = cache.getOrCompute(KEY, 3, counting(calls, rows()));
        assertFalse(first.hit());
        assertEquals(1, calls.get());
        assertRowsEqual(rows(), first.values());
        assertTrue(Files.isRegularFile(cache.file(KEY)));

        TeacherCache.Lookup second = cache.getOrCompute(KEY, 3, mustNotCompute());
        assertTrue(second.hit());
        assertRowsEqual(rows(), second.values());

        // a new cache object on the same directory (a later run) sees the entry too
        TeacherCache.Lookup later = new TeacherCache(dir.resolve("cache").resolve("teacher")).getOrCompute(KEY, 3, mustNotCompute());
        assertTrue(later.hit());
        assertRowsEqual(rows(), later.values());
        assertEquals(1, calls.get());
    }

    @Test
    void everyKeyFieldChangesTheFile(@TempDir Path dir) {
        TeacherCache cache = new TeacherCache(dir);
        List<TeacherCache.Key> keys = List.of(KEY,
                new TeacherCache.Key("teacher", "data", 1.0, "probs"),
                new TeacherCache.Key("teacher", "data", 2.0, "scores"),
                new TeacherCache.Key("teacher", "other-data", 2.0, "probs"),
                new TeacherCache.Key("other-teacher", "data", 2.0, "probs"));
        assertEquals(keys.size(), keys.stream().map(cache::file).distinct().count(), "one file per key");
        assertEquals(cache.file(KEY), cache.file(new TeacherCache.Key("teacher", "data", 2.0, "probs")), "same key, same file");
        // sha256("teacher|data|2.000000|probs"), first 40 hex digits (Python hashlib)
        assertEquals("c35f2c0da78f1fd6e57a8e6af9f7aa4570fe76b3.safetensors", KEY.fileName());

        // an entry stored under one key is not answered for the others
        cache.getOrCompute(KEY, 3, TeacherCacheTest::rows);
        float[][] other = {{1f, 2f, 3f}, {4f, 5f, 6f}, {7f, 8f, 9f}};
        for (TeacherCache.Key k : keys.subList(1, keys.size())) {
            AtomicInteger calls = new AtomicInteger();
            TeacherCache.Lookup l = cache.getOrCompute(k, 3, counting(calls, other));
            assertFalse(l.hit(), k.toString());
            assertEquals(1, calls.get(), k.toString());
            assertRowsEqual(other, l.values());
        }
        assertRowsEqual(rows(), cache.getOrCompute(KEY, 3, mustNotCompute()).values());
    }

    @Test
    void garbageEntryIsRecomputed(@TempDir Path dir) throws IOException {
        TeacherCache cache = new TeacherCache(dir);
        Files.write(cache.file(KEY), new byte[] {0x13, 0x37, (byte) 0xff, 0x00, 0x42, 0x10, 0x7f, (byte) 0x80, 1, 2, 3, 4, 5, 6, 7, 8});
        AtomicInteger calls = new AtomicInteger();
        TeacherCache.Lookup l = cache.getOrCompute(KEY, 3, counting(calls, rows()));
        assertFalse(l.hit());
        assertEquals(1, calls.get());
        assertRowsEqual(rows(), l.values());
        // and the garbage was replaced by a valid entry
        assertTrue(cache.getOrCompute(KEY, 3, mustNotCompute()).hit());
    }

    @Test
    void tooShortOrEmptyEntryIsRecomputed(@TempDir Path dir) throws IOException {
        TeacherCache cache = new TeacherCache(dir);
        for (byte[] content : List.of(new byte[0], new byte[] {1, 2, 3},
                // a header length of 2 followed by a header that is not JSON
                new byte[] {2, 0, 0, 0, 0, 0, 0, 0, '{', '{'})) {
            Files.write(cache.file(KEY), content);
            assertNull(cache.read(KEY, 3), Arrays.toString(content));
            AtomicInteger calls = new AtomicInteger();
            assertFalse(cache.getOrCompute(KEY, 3, counting(calls, rows())).hit());
            assertEquals(1, calls.get());
        }
    }

    @Test
    void truncatedEntryIsRecomputed(@TempDir Path dir) throws IOException {
        TeacherCache cache = new TeacherCache(dir);
        cache.getOrCompute(KEY, 3, TeacherCacheTest::rows);
        byte[] full = Files.readAllBytes(cache.file(KEY));
        for (int length : new int[] {full.length - 1, full.length - 12, full.length / 2, 12, 8}) {
            Files.write(cache.file(KEY), Arrays.copyOf(full, length));
            assertNull(cache.read(KEY, 3), "truncated to " + length + " of " + full.length + " bytes");
            AtomicInteger calls = new AtomicInteger();
            TeacherCache.Lookup l = cache.getOrCompute(KEY, 3, counting(calls, rows()));
            assertFalse(l.hit());
            assertEquals(1, calls.get());
            assertRowsEqual(rows(), l.values());
            assertEquals(full.length, Files.size(cache.file(KEY)), "rewritten in full");
        }
    }

    @Test
    void wrongRowCountIsRecomputed(@TempDir Path dir) {
        TeacherCache cache = new TeacherCache(dir);
        cache.getOrCompute(KEY, 3, TeacherCacheTest::rows);
        float[][] four = {{1f, 0f}, {0f, 1f}, {0.5f, 0.5f}, {0.25f, 0.75f}};
        AtomicInteger calls = new AtomicInteger();
        TeacherCache.Lookup l = cache.getOrCompute(KEY, 4, counting(calls, four));
        assertFalse(l.hit());
        assertEquals(1, calls.get());
        assertRowsEqual(four, l.values());
        // the entry now holds the four rows; asking for three again is a miss, four a hit
        assertNull(cache.read(KEY, 3));
        assertRowsEqual(four, cache.getOrCompute(KEY, 4, mustNotCompute()).values());
    }

    @Test
    void leftoverTemporaryFilesDoNotBreakReads(@TempDir Path dir) throws IOException {
        TeacherCache cache = new TeacherCache(dir);
        Path entry = cache.file(KEY);
        // an interrupted write before any entry existed: stray partial files next to where the entry goes
        Files.write(dir.resolve(".tmp-xyz"), new byte[] {8, 0, 0, 0});
        Files.write(dir.resolve("." + entry.getFileName() + ".0123-4567.tmp"), new byte[] {(byte) 0xde, (byte) 0xad});
        AtomicInteger calls = new AtomicInteger();
        TeacherCache.Lookup first = cache.getOrCompute(KEY, 3, counting(calls, rows()));
        assertFalse(first.hit());
        assertEquals(1, calls.get());

        // an interrupted rewrite after the entry exists: the complete entry still answers
        byte[] partial = Arrays.copyOf(Files.readAllBytes(entry), 20);
        Files.write(dir.resolve("." + entry.getFileName() + ".89ab-cdef.tmp"), partial);
        TeacherCache.Lookup second = cache.getOrCompute(KEY, 3, mustNotCompute());
        assertTrue(second.hit());
        assertRowsEqual(rows(), second.values());
        assertTrue(Files.exists(dir.resolve(".tmp-xyz")), "a stray file is left alone");
    }

    @Test
    void storeLeavesNoTemporaryFiles(@TempDir Path dir) throws IOException {
        TeacherCache cache = new TeacherCache(dir);
        cache.getOrCompute(KEY, 3, TeacherCacheTest::rows);
        cache.getOrCompute(new TeacherCache.Key("teacher", "data", 1.0, "probs"), 3, TeacherCacheTest::rows);
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(2, names.size(), names.toString());
            assertTrue(names.stream().allMatch(n -> n.matches("[0-9a-f]{40}\\.safetensors")), names.toString());
        }
    }

    @Test
    void dataHashEncodesIdsAndTypesInOrder() {
        int[][] s1 = {{101, 102}, {0, 0}};
        int[][] s2 = {{101, 7, 102}, {0, 1, 1}};
        // sha256 of the big-endian int32s 2, 101, 102, 2, 0, 0 (length, values, per part), by Python hashlib
        assertEquals("ae83f601d93454cd8a0bea938c00b94ecd5b156f4bb4d3b2ee04bc156b48d9aa",
                TeacherCache.dataHash(List.<int[][]>of(s1)));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", TeacherCache.dataHash(List.of()));

        String h = TeacherCache.dataHash(List.of(s1, s2));
        assertEquals(h, TeacherCache.dataHash(List.of(new int[][] {{101, 102}, {0, 0}}, new int[][] {{101, 7, 102}, {0, 1, 1}})),
                "same content, same hash");
        assertNotEquals(h, TeacherCache.dataHash(List.of(s2, s1)), "sequence order matters");
        assertNotEquals(TeacherCache.dataHash(List.<int[][]>of(new int[][] {{101, 102}, {1, 0}})),
                TeacherCache.dataHash(List.<int[][]>of(new int[][] {{101, 102}, {0, 1}})), "token order matters");
        // the same numbers as ids or as token types
        assertNotEquals(TeacherCache.dataHash(List.<int[][]>of(new int[][] {{5, 6}, {0, 1}})),
                TeacherCache.dataHash(List.<int[][]>of(new int[][] {{0, 1}, {5, 6}})), "ids and types are told apart");
        // a token moved from the ids to the types: the length prefixes tell them apart
        assertNotEquals(TeacherCache.dataHash(List.<int[][]>of(new int[][] {{1, 2, 3}, {4}})),
                TeacherCache.dataHash(List.<int[][]>of(new int[][] {{1, 2}, {3, 4}})));
        // a different token type alone changes the hash
        assertNotEquals(h, TeacherCache.dataHash(List.of(s1, new int[][] {{101, 7, 102}, {0, 0, 1}})));
    }
}
