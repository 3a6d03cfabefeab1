package io.shrink.core.checkpoint.tf;

import io.shrink.core.ShrinkException;
import io.shrink.core.tensor.FloatTensor;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Reads a TensorFlow V2 checkpoint bundle (a {@code variables.index} table plus one
 * {@code variables.data-00000-of-00001} shard) without TensorFlow.
 *
 * <p>The index is an uncompressed LevelDB-style table whose keys are variable names and whose
 * values are {@code BundleEntryProto} messages (the empty key holds the {@code BundleHeaderProto}).
 * Every structure is bounds-checked, block and tensor CRC32C checksums are verified, and any
 * inconsistency is reported as {@link ShrinkException#corrupt(String)} naming the file.
 */
public final class TfBundleReader {

    /** TensorFlow's {@code DT_FLOAT} enum value. */
    public static final int DT_FLOAT = 1;

    static final long TABLE_MAGIC = 0xdb4775248b80fb57L;
    static final int FOOTER_LENGTH = 48;
    static final int BLOCK_TRAILER = 5;
    private static final long MAX_INDEX_BYTES = 256L << 20;
    private static final int MASK_DELTA = 0xa282ead8;

    private TfBundleReader() {
    }

    /**
     * One variable as the index describes it.
     *
     * @param name   the TensorFlow variable name
     * @param dtype  the {@code DataType} enum value ({@link #DT_FLOAT} for float32)
     * @param shape  the dimensions, outermost first
     * @param shard  the data shard holding the bytes
     * @param offset byte offset in the shard
     * @param size   byte length in the shard
     * @param crc32c the masked CRC32C of the bytes, or null when the entry has none
     * @param sliced whether the variable is partitioned into slices stored under other keys
     */
    public record Entry(String name, int dtype, long[] shape, int shard, long offset, long size, Integer crc32c,
                        boolean sliced) {

        /** The TensorFlow dtype as a readable name, e.g. {@code DT_FLOAT}. */
        public String dtypeName() {
            return switch (dtype) {
                case 1 -> "DT_FLOAT";
                case 2 -> "DT_DOUBLE";
                case 3 -> "DT_INT32";
                case 7 -> "DT_STRING";
                case 9 -> "DT_INT64";
                case 10 -> "DT_BOOL";
                case 14 -> "DT_BFLOAT16";
                case 19 -> "DT_HALF";
                default -> "dtype " + dtype;
            };
        }
    }

    /**
     * Reads every float32 variable of the bundle, keyed by TensorFlow name in index order. Entries of
     * other types (e.g. {@code global_step}) and partitioned variables are skipped; use
     * {@link #readIndex(Path)} to see them.
     */
    public static Map<String, FloatTensor> read(Path indexFile, Path dataFile) {
        List<Entry> entries = readIndex(indexFile);
        List<Entry> floats = new ArrayList<>();
        for (Entry e : entries) {
            if (e.dtype() == DT_FLOAT && !e.sliced()) {
                floats.add(e);
            }
        }
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        try (FileChannel ch = FileChannel.open(dataFile, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            checkLayout(dataFile, entries, fileSize);
            for (Entry e : floats) {
                out.put(e.name(), readTensor(ch, dataFile, e));
            }
        } catch (IOException ex) {
            throw ShrinkException.corrupt("cannot read TensorFlow checkpoint data " + dataFile + ": " + ex.getMessage(),
                    ex);
        }
        return out;
    }

    /** Parses the index table and returns all variable entries (header excluded) in key order. */
    public static List<Entry> readIndex(Path indexFile) {
        byte[] bytes = readIndexBytes(indexFile);
        List<Entry> entries = new ArrayList<>();
        boolean sawHeader = false;
        for (Map.Entry<String, byte[]> kv : tableEntries(indexFile, bytes).entrySet()) {
            String key = kv.getKey();
            if (key.isEmpty()) {
                checkHeader(indexFile, kv.getValue());
                sawHeader = true;
            } else {
                entries.add(parseEntry(indexFile, key, kv.getValue()));
            }
        }
        if (!sawHeader) {
            throw corrupt(indexFile, "has no bundle header (empty key)");
        }
        return entries;
    }

    private static byte[] readIndexBytes(Path indexFile) {
        try {
            long size = Files.size(indexFile);
            if (size > MAX_INDEX_BYTES) {
                throw corrupt(indexFile, "is " + size + " bytes, far larger than any checkpoint index");
            }
            return Files.readAllBytes(indexFile);
        } catch (IOException ex) {
            throw ShrinkException.corrupt("cannot read TensorFlow checkpoint index " + indexFile + ": " + ex, ex);
        }
    }

    /** All key/value pairs of the table, in order, walking the index block then each data block. */
    private static Map<String, byte[]> tableEntries(Path file, byte[] b) {
        if (b.length < FOOTER_LENGTH) {
            throw corrupt(file, "is truncated: " + b.length + " bytes, shorter than the " + FOOTER_LENGTH
                    + "-byte table footer");
        }
        long magic = Wire.fixed64(b, b.length - 8);
        if (magic != TABLE_MAGIC) {
            throw corrupt(file, "has bad table magic 0x" + Long.toHexString(magic) + " (expected 0x"
                    + Long.toHexString(TABLE_MAGIC) + "); not a TensorFlow V2 checkpoint index or truncated");
        }
        Wire footer = new Wire(file, "table footer", b, b.length - FOOTER_LENGTH, b.length - 8);
        footer.varint64();
        footer.varint64();
        long indexOffset = footer.varint64();
        long indexSize = footer.varint64();
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (byte[][] ie : blockEntries(file, b, indexOffset, indexSize, "index block")) {
            Wire h = new Wire(file, "index block handle", ie[1], 0, ie[1].length);
            long off = h.varint64();
            long size = h.varint64();
            for (byte[][] kv : blockEntries(file, b, off, size, "data block at offset " + off)) {
                String key = new String(kv[0], StandardCharsets.UTF_8);
                if (out.put(key, kv[1]) != null) {
                    throw corrupt(file, "has the key '" + key + "' twice");
                }
            }
        }
        return out;
    }

    /** Decodes one block: prefix-compressed entries followed by restart offsets and their count. */
    private static List<byte[][]> blockEntries(Path file, byte[] b, long offset, long size, String what) {
        long limit = b.length - FOOTER_LENGTH;
        if (offset < 0 || size < 4 || offset > limit || size > limit - offset - BLOCK_TRAILER) {
            throw corrupt(file, "is truncated or corrupt: " + what + " (offset " + offset + ", size " + size
                    + ") lies outside the " + b.length + "-byte file");
        }
        int start = (int) offset;
        int end = (int) (offset + size);
        if (b[end] != 0) {
            throw corrupt(file, "has a compressed " + what + " (type " + b[end] + "); only uncompressed tables are supported");
        }
        CRC32C crc = new CRC32C();
        crc.update(b, start, (int) size + 1);
        int stored = (int) Wire.fixed32(b, end + 1);
        if (mask((int) crc.getValue()) != stored) {
            throw corrupt(file, "has a checksum mismatch in " + what);
        }
        long numRestarts = Wire.fixed32(b, end - 4) & 0xffffffffL;
        if (numRestarts > (size - 4) / 4) {
            throw corrupt(file, "has " + numRestarts + " restart points in a " + size + "-byte " + what);
        }
        int entriesEnd = (int) (end - 4 - 4 * numRestarts);
        Wire w = new Wire(file, what, b, start, entriesEnd);
        List<byte[][]> out = new ArrayList<>();
        byte[] prev = new byte[0];
        while (w.pos() < entriesEnd) {
            int shared = w.varint32();
            int nonShared = w.varint32();
            int valueLength = w.varint32();
            if (shared > prev.length) {
                throw corrupt(file, "has a key sharing " + shared + " bytes with a " + prev.length + "-byte key in "
                        + what);
            }
            byte[] delta = w.bytes(nonShared);
            byte[] key = Arrays.copyOf(prev, shared + nonShared);
            System.arraycopy(delta, 0, key, shared, nonShared);
            out.add(new byte[][] {key, w.bytes(valueLength)});
            prev = key;
        }
        return out;
    }

    private static void checkHeader(Path file, byte[] value) {
        Wire w = new Wire(file, "bundle header", value, 0, value.length);
        long numShards = 1;
        long endianness = 0;
        while (w.hasMore()) {
            int tag = w.tag();
            switch (tag) {
                case 1 << 3 -> numShards = w.varint64();
                case 2 << 3 -> endianness = w.varint64();
                default -> w.skip(tag);
            }
        }
        if (endianness != 0) {
            throw corrupt(file, "describes a big-endian bundle, which is not supported");
        }
        if (numShards != 1) {
            throw corrupt(file, "describes a bundle of " + numShards + " data shards; only single-shard bundles "
                    + "(variables.data-00000-of-00001) are supported");
        }
    }

    private static Entry parseEntry(Path file, String name, byte[] value) {
        Wire w = new Wire(file, "entry " + name, value, 0, value.length);
        int dtype = 0;
        long[] shape = new long[0];
        long shard = 0;
        long offset = 0;
        long size = 0;
        Integer crc = null;
        boolean sliced = false;
        while (w.hasMore()) {
            int tag = w.tag();
            switch (tag) {
                case 1 << 3 -> dtype = (int) w.varint64();
                case (2 << 3) | 2 -> shape = parseShape(file, name, w.message());
                case 3 << 3 -> shard = w.varint64();
                case 4 << 3 -> offset = w.varint64();
                case 5 << 3 -> size = w.varint64();
                case (6 << 3) | 5 -> crc = (int) Wire.fixed32(w.bytes(4), 0);
                case (7 << 3) | 2 -> {
                    w.message();
                    sliced = true;
                }
                default -> w.skip(tag);
            }
        }
        if (shard != 0) {
            throw corrupt(file, "puts " + name + " in data shard " + shard + " of a single-shard bundle");
        }
        if (offset < 0 || size < 0) {
            throw corrupt(file, "gives " + name + " a negative offset " + offset + " or size " + size);
        }
        return new Entry(name, dtype, shape, 0, offset, size, crc, sliced);
    }

    private static long[] parseShape(Path file, String name, Wire w) {
        List<Long> dims = new ArrayList<>();
        while (w.hasMore()) {
            int tag = w.tag();
            if (tag == ((2 << 3) | 2)) {
                Wire dim = w.message();
                long d = 0;
                while (dim.hasMore()) {
                    int t = dim.tag();
                    if (t == (1 << 3)) {
                        d = dim.varint64();
                    } else {
                        dim.skip(t);
                    }
                }
                if (d < 0) {
                    throw corrupt(file, "gives " + name + " an unknown or negative dimension " + d);
                }
                dims.add(d);
            } else if (tag == (3 << 3) && w.varint64() != 0) {
                throw corrupt(file, "gives " + name + " an unknown rank");
            } else if (tag != (3 << 3)) {
                w.skip(tag);
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    /** Checks float sizes against shapes, every extent against the data file, and that no two floats overlap. */
    private static void checkLayout(Path dataFile, List<Entry> entries, long fileSize) {
        List<Entry> floats = new ArrayList<>();
        for (Entry e : entries) {
            if (e.offset() > fileSize || e.size() > fileSize - e.offset()) {
                throw corrupt(dataFile, "is truncated: " + e.name() + " at offset " + e.offset() + " (" + e.size()
                        + " bytes) extends past the end of the " + fileSize + "-byte file");
            }
            if (e.dtype() != DT_FLOAT || e.sliced()) {
                continue;
            }
            floats.add(e);
            long numel;
            try {
                numel = FloatTensor.numel(e.shape());
            } catch (ArithmeticException ex) {
                throw corrupt(dataFile, "cannot hold " + e.name() + ": shape " + Arrays.toString(e.shape())
                        + " overflows");
            }
            if (numel > Integer.MAX_VALUE - 8) {
                throw corrupt(dataFile, "cannot hold " + e.name() + ": " + numel + " values exceed a Java array");
            }
            if (e.size() != 4 * numel) {
                throw corrupt(dataFile, "entry " + e.name() + " has " + e.size() + " bytes but shape "
                        + Arrays.toString(e.shape()) + " needs " + 4 * numel);
            }
        }
        List<Entry> sorted = new ArrayList<>(floats);
        sorted.sort(Comparator.comparingLong(Entry::offset));
        for (int i = 1; i < sorted.size(); i++) {
            Entry a = sorted.get(i - 1);
            Entry c = sorted.get(i);
            if (a.size() > 0 && c.size() > 0 && a.offset() + a.size() > c.offset()) {
                throw corrupt(dataFile, "has overlapping tensors " + a.name() + " and " + c.name());
            }
        }
    }

    private static FloatTensor readTensor(FileChannel ch, Path dataFile, Entry e) throws IOException {
        float[] values = new float[(int) (e.size() / 4)];
        if (e.size() > 0) {
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, e.offset(), e.size());
            if (e.crc32c() != null) {
                CRC32C crc = new CRC32C();
                crc.update(buf.duplicate());
                if (mask((int) crc.getValue()) != e.crc32c()) {
                    throw corrupt(dataFile, "has a checksum mismatch in " + e.name() + " at offset " + e.offset());
                }
            }
            buf.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        }
        return new FloatTensor(e.name(), e.shape(), values);
    }

    /** LevelDB/TensorFlow's CRC masking, which keeps checksums of checksummed data distinct. */
    static int mask(int crc) {
        return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
    }

    private static ShrinkException corrupt(Path file, String what) {
        return ShrinkException.corrupt("TensorFlow checkpoint file " + file + " " + what);
    }

    /** A bounds-checked cursor over protobuf wire format and table varints. */
    static final class Wire {
        private final Path file;
        private final String what;
        private final byte[] b;
        private int pos;
        private final int end;

        Wire(Path file, String what, byte[] b, int pos, int end) {
            this.file = file;
            this.what = what;
            this.b = b;
            this.pos = pos;
            this.end = end;
        }

        int pos() {
            return pos;
        }

        boolean hasMore() {
            return pos < end;
        }

        long varint64() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw corrupt(file, "is truncated inside a varint in " + what);
                }
                int x = b[pos++];
                v |= (long) (x & 0x7f) << shift;
                if (x >= 0) {
                    return v;
                }
            }
            throw corrupt(file, "has a varint longer than 10 bytes in " + what);
        }

        int varint32() {
            long v = varint64();
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw corrupt(file, "has an out-of-range length " + v + " in " + what);
            }
            return (int) v;
        }

        int tag() {
            long t = varint64();
            if (t <= 0 || t > Integer.MAX_VALUE) {
                throw corrupt(file, "has an invalid field tag " + t + " in " + what);
            }
            return (int) t;
        }

        byte[] bytes(int n) {
            if (n < 0 || n > end - pos) {
                throw corrupt(file, "is truncated: " + what + " needs " + n + " bytes at position " + pos
                        + " but has " + (end - pos));
            }
            byte[] out = Arrays.copyOfRange(b, pos, pos + n);
            pos += n;
            return out;
        }

        Wire message() {
            int n = varint32();
            if (n > end - pos) {
                throw corrupt(file, "is truncated: a " + n + "-byte field overruns " + what);
            }
            Wire sub = new Wire(file, what, b, pos, pos + n);
            pos += n;
            return sub;
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint64();
                case 1 -> bytes(8);
                case 2 -> message();
                case 5 -> bytes(4);
                default -> throw corrupt(file, "has unsupported wire type " + (tag & 7) + " in " + what);
            }
        }

        static long fixed32(byte[] b, int at) {
            return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
        }

        static long fixed64(byte[] b, int at) {
            return fixed32(b, at) | fixed32(b, at + 4) << 32;
        }
    }
}
