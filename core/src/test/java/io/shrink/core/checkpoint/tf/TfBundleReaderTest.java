package io.shrink.core.checkpoint.tf;

import io.shrink.core.ShrinkException;
import io.shrink.core.tensor.FloatTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class TfBundleReaderTest {

    @TempDir
    Path dir;

    private static Bundle sample() {
        Bundle b = new Bundle();
        b.addFloat("dense/kernel", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
        b.addFloat("dense/bias", new long[] {3}, new float[] {-1, 0.5f, 7});
        b.addRaw("global_step", 9, new long[] {}, new byte[8]);
        b.addFloat("dense/scale", new long[] {}, new float[] {3.25f});
        return b;
    }

    @Test
    void readsFloatTensorsAndSkipsOthers() throws IOException {
        Path[] files = sample().write(dir, 2);
        Map<String, FloatTensor> t = TfBundleReader.read(files[0], files[1]);
        assertEquals(List.of("dense/bias", "dense/kernel", "dense/scale"), List.copyOf(t.keySet()));
        assertArrayEquals(new long[] {2, 3}, t.get("dense/kernel").shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.get("dense/kernel").data());
        assertArrayEquals(new float[] {-1, 0.5f, 7}, t.get("dense/bias").data());
        assertArrayEquals(new long[] {}, t.get("dense/scale").shape());
        assertArrayEquals(new float[] {3.25f}, t.get("dense/scale").data());
        List<TfBundleReader.Entry> index = TfBundleReader.readIndex(files[0]);
        assertEquals(4, index.size());
        assertEquals("DT_INT64", index.stream().filter(e -> e.name().equals("global_step")).findFirst()
                .orElseThrow().dtypeName());
    }

    @Test
    void readsSingleBlockTables() throws IOException {
        Path[] files = sample().write(dir, 100);
        assertEquals(3, TfBundleReader.read(files[0], files[1]).size());
    }

    @Test
    void badMagic() throws IOException {
        Path[] files = sample().write(dir, 2);
        byte[] idx = Files.readAllBytes(files[0]);
        idx[idx.length - 1] ^= 1;
        Files.write(files[0], idx);
        assertCorrupt(files, "magic");
    }

    @Test
    void offsetPastEndOfData() throws IOException {
        Bundle b = sample();
        b.overrideOffset("dense/kernel", 1000);
        assertCorrupt(b.write(dir, 2), "past the end");
    }

    @Test
    void truncatedDataFile() throws IOException {
        Path[] files = sample().write(dir, 2);
        byte[] data = Files.readAllBytes(files[1]);
        Files.write(files[1], Arrays.copyOf(data, data.length - 4));
        assertCorrupt(files, "past the end");
    }

    @Test
    void sizeNotMatchingShape() throws IOException {
        Bundle b = new Bundle();
        b.addRaw("w", TfBundleReader.DT_FLOAT, new long[] {2, 2}, new byte[12]);
        assertCorrupt(b.write(dir, 2), "needs 16");
    }

    @Test
    void hugeShapeIsRejectedWithoutAllocating() throws IOException {
        Bundle b = new Bundle();
        b.addRaw("w", TfBundleReader.DT_FLOAT, new long[] {1L << 40, 1L << 30}, new byte[4]);
        assertCorrupt(b.write(dir, 2), "overflows");
    }

    @Test
    void dataChecksumMismatch() throws IOException {
        Path[] files = sample().write(dir, 2);
        byte[] data = Files.readAllBytes(files[1]);
        data[0] ^= 0x40;
        Files.write(files[1], data);
        assertCorrupt(files, "checksum");
    }

    @Test
    void truncatedIndexAtEveryLength() throws IOException {
        Path[] files = sample().write(dir, 2);
        byte[] idx = Files.readAllBytes(files[0]);
        for (int len = 0; len < idx.length; len++) {
            Files.write(files[0], Arrays.copyOf(idx, len));
            assertCorrupt(files, "");
        }
    }

    @Test
    void indexHandlePastEndOfFile() throws IOException {
        Path[] files = sample().write(dir, 2);
        byte[] idx = Files.readAllBytes(files[0]);
        int footer = idx.length - TfBundleReader.FOOTER_LENGTH;
        byte[] bogus = new byte[TfBundleReader.FOOTER_LENGTH];
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        Pb.varint(h, 0);
        Pb.varint(h, 0);
        Pb.varint(h, 5);
        Pb.varint(h, 1_000_000);
        System.arraycopy(h.toByteArray(), 0, bogus, 0, h.size());
        System.arraycopy(idx, idx.length - 8, bogus, 40, 8);
        System.arraycopy(bogus, 0, idx, footer, bogus.length);
        Files.write(files[0], idx);
        assertCorrupt(files, "outside");
    }

    @Test
    void compressedBlocksAreRejected() throws IOException {
        Bundle b = sample();
        b.blockType = 1;
        assertCorrupt(b.write(dir, 2), "compressed");
    }

    @Test
    void randomCorruptionNeverEscapesAsAnotherException() throws IOException {
        Path[] files = sample().write(dir, 2);
        byte[] good = Files.readAllBytes(files[0]);
        Random rnd = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] bad = good.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int f = 0; f < flips; f++) {
                bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt(256);
            }
            Files.write(files[0], bad);
            try {
                TfBundleReader.read(files[0], files[1]);
            } catch (ShrinkException ex) {
                assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, ex.kind());
            } catch (RuntimeException ex) {
                fail("corruption " + i + " escaped as " + ex);
            }
        }
    }

    private static void assertCorrupt(Path[] files, String fragment) {
        ShrinkException ex = assertThrows(ShrinkException.class, () -> TfBundleReader.read(files[0], files[1]));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, ex.kind());
        assertTrue(ex.getMessage().contains(fragment), ex.getMessage());
        assertTrue(ex.getMessage().contains(files[0].getFileName().toString())
                || ex.getMessage().contains(files[1].getFileName().toString()), ex.getMessage());
        assertTrue(!ex.getMessage().contains("\n"), ex.getMessage());
    }

    /** Minimal protobuf wire-format writer. */
    static final class Pb {
        private Pb() {
        }

        static void varint(ByteArrayOutputStream out, long v) {
            while ((v & ~0x7fL) != 0) {
                out.write((int) ((v & 0x7f) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        static void fixed32(ByteArrayOutputStream out, int v) {
            for (int i = 0; i < 4; i++) {
                out.write(v >>> (8 * i));
            }
        }

        static void message(ByteArrayOutputStream out, int field, byte[] body) {
            varint(out, (field << 3) | 2);
            varint(out, body.length);
            out.writeBytes(body);
        }
    }

    /** A TensorFlow V2 bundle built in memory and written as index table plus one data shard. */
    static final class Bundle {
        private final TreeMap<String, long[]> meta = new TreeMap<>();
        private final TreeMap<String, byte[]> raw = new TreeMap<>();
        private final TreeMap<String, Long> offsetOverride = new TreeMap<>();
        int blockType;

        void addFloat(String name, long[] shape, float[] values) {
            ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                buf.putFloat(v);
            }
            addRaw(name, TfBundleReader.DT_FLOAT, shape, buf.array());
        }

        void addRaw(String name, int dtype, long[] shape, byte[] bytes) {
            long[] m = new long[shape.length + 1];
            m[0] = dtype;
            System.arraycopy(shape, 0, m, 1, shape.length);
            meta.put(name, m);
            raw.put(name, bytes);
        }

        void overrideOffset(String name, long offset) {
            offsetOverride.put(name, offset);
        }

        /** Writes {@code variables.index} (at most {@code perBlock} entries a data block) and the data shard. */
        Path[] write(Path dir, int perBlock) throws IOException {
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            TreeMap<String, byte[]> table = new TreeMap<>();
            ByteArrayOutputStream header = new ByteArrayOutputStream();
            Pb.varint(header, 1 << 3);
            Pb.varint(header, 1);
            Pb.varint(header, 2 << 3);
            Pb.varint(header, 0);
            table.put("", header.toByteArray());
            for (String name : meta.keySet()) {
                long[] m = meta.get(name);
                byte[] bytes = raw.get(name);
                ByteArrayOutputStream e = new ByteArrayOutputStream();
                Pb.varint(e, 1 << 3);
                Pb.varint(e, m[0]);
                ByteArrayOutputStream shape = new ByteArrayOutputStream();
                for (int i = 1; i < m.length; i++) {
                    ByteArrayOutputStream dim = new ByteArrayOutputStream();
                    Pb.varint(dim, 1 << 3);
                    Pb.varint(dim, m[i]);
                    Pb.message(shape, 2, dim.toByteArray());
                }
                Pb.message(e, 2, shape.toByteArray());
                Pb.varint(e, 4 << 3);
                Pb.varint(e, offsetOverride.getOrDefault(name, (long) data.size()));
                Pb.varint(e, 5 << 3);
                Pb.varint(e, bytes.length);
                CRC32C crc = new CRC32C();
                crc.update(bytes);
                Pb.varint(e, (6 << 3) | 5);
                Pb.fixed32(e, TfBundleReader.mask((int) crc.getValue()));
                table.put(name, e.toByteArray());
                data.writeBytes(bytes);
            }
            Path index = dir.resolve("variables.index");
            Path shard = dir.resolve("variables.data-00000-of-00001");
            Files.write(index, table(table, perBlock));
            Files.write(shard, data.toByteArray());
            return new Path[] {index, shard};
        }

        private byte[] table(TreeMap<String, byte[]> entries, int perBlock) {
            ByteArrayOutputStream file = new ByteArrayOutputStream();
            TreeMap<String, byte[]> index = new TreeMap<>();
            List<String> keys = new ArrayList<>(entries.keySet());
            for (int start = 0; start < keys.size(); start += perBlock) {
                TreeMap<String, byte[]> block = new TreeMap<>();
                for (String k : keys.subList(start, Math.min(keys.size(), start + perBlock))) {
                    block.put(k, entries.get(k));
                }
                index.put(block.lastKey(), writeBlock(file, block));
            }
            byte[] metaHandle = writeBlock(file, new TreeMap<>());
            byte[] indexHandle = writeBlock(file, index);
            byte[] footer = new byte[TfBundleReader.FOOTER_LENGTH];
            System.arraycopy(metaHandle, 0, footer, 0, metaHandle.length);
            System.arraycopy(indexHandle, 0, footer, metaHandle.length, indexHandle.length);
            ByteBuffer.wrap(footer, 40, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(TfBundleReader.TABLE_MAGIC);
            file.writeBytes(footer);
            return file.toByteArray();
        }

        /** Appends one block with prefix-compressed keys (restart every two entries) and returns its handle. */
        private byte[] writeBlock(ByteArrayOutputStream file, TreeMap<String, byte[]> entries) {
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            List<Integer> restarts = new ArrayList<>();
            byte[] prev = new byte[0];
            int i = 0;
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
                int shared = 0;
                if (i % 2 == 0) {
                    restarts.add(block.size());
                } else {
                    while (shared < Math.min(prev.length, key.length) && prev[shared] == key[shared]) {
                        shared++;
                    }
                }
                Pb.varint(block, shared);
                Pb.varint(block, key.length - shared);
                Pb.varint(block, e.getValue().length);
                block.write(key, shared, key.length - shared);
                block.writeBytes(e.getValue());
                prev = key;
                i++;
            }
            if (restarts.isEmpty()) {
                restarts.add(0);
            }
            for (int r : restarts) {
                Pb.fixed32(block, r);
            }
            Pb.fixed32(block, restarts.size());
            byte[] body = block.toByteArray();
            long offset = file.size();
            file.writeBytes(body);
            file.write(blockType);
            CRC32C crc = new CRC32C();
            crc.update(body);
            crc.update(blockType);
            Pb.fixed32(file, TfBundleReader.mask((int) crc.getValue()));
            ByteArrayOutputStream handle = new ByteArrayOutputStream();
            Pb.varint(handle, offset);
            Pb.varint(handle, body.length);
            return handle.toByteArray();
        }
    }
}
