package io.shrink.core.distill;

import io.shrink.core.ShrinkException;
import io.shrink.core.checkpoint.Safetensors;
import io.shrink.core.tensor.FloatTensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Teacher outputs on a training set, kept on disk so repeated distillation experiments do not recompute
 * the teacher. An entry is keyed by the teacher's content hash, the hash of the encoded training data, the
 * temperature and what is stored; it is one safetensors file written to a temporary file and renamed, so an
 * interrupted write leaves either the old state or the complete entry, never a partial one. An entry that
 * cannot be read or has the wrong shape is recomputed.
 */
public final class TeacherCache {
    private final Path dir;

    /** A cache in {@code dir} (created on first store). */
    public TeacherCache(Path dir) {
        this.dir = dir;
    }

    /**
     * What an entry holds.
     *
     * @param teacherSha256 the teacher's content hash
     * @param dataSha256    hash of the encoded data the teacher ran on ({@link #dataHash})
     * @param temperature   softmax temperature of the stored distributions
     * @param kind          what is stored, e.g. {@code probs} or {@code scores}
     */
    public record Key(String teacherSha256, String dataSha256, double temperature, String kind) {
        /** The entry's file name: a hash of every field. */
        public String fileName() {
            String text = String.format(Locale.ROOT, "%s|%s|%.6f|%s", teacherSha256, dataSha256, temperature, kind);
            return sha256(text.getBytes(StandardCharsets.UTF_8)).substring(0, 40) + ".safetensors";
        }
    }

    /** Where an entry lives. */
    public Path file(Key key) {
        return dir.resolve(key.fileName());
    }

    /**
     * The stored rows for {@code key}, or newly computed (and stored) ones when there is no valid entry.
     *
     * @param rows    expected number of rows
     * @param compute computes the rows, each of the same width
     * @return the rows and whether they came from the cache
     */
    public Lookup getOrCompute(Key key, int rows, Supplier<float[][]> compute) {
        float[][] cached = read(key, rows);
        if (cached != null) {
            return new Lookup(cached, true);
        }
        float[][] values = compute.get();
        store(key, values);
        return new Lookup(values, false);
    }

    /**
     * A lookup's outcome.
     *
     * @param values one row per example
     * @param hit    whether the rows came from the cache
     */
    public record Lookup(float[][] values, boolean hit) {
    }

    /** Reads an entry; null when absent, unreadable, of another row count or holding a non-finite value. */
    float[][] read(Key key, int rows) {
        Path f = file(key);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            FloatTensor t = Safetensors.read(f).get("values");
            if (t == null || t.shape().length != 2 || t.shape()[0] != rows) {
                return null;
            }
            for (float v : t.data()) {
                if (!Float.isFinite(v)) {
                    return null; // a damaged entry: computed again rather than trained on
                }
            }
            int width = (int) t.shape()[1];
            float[][] out = new float[rows][];
            for (int i = 0; i < rows; i++) {
                out[i] = java.util.Arrays.copyOfRange(t.data(), i * width, (i + 1) * width);
            }
            return out;
        } catch (ShrinkException e) {
            return null;
        }
    }

    /** Stores an entry atomically (temporary file, then rename). */
    void store(Key key, float[][] values) {
        int width = values.length == 0 ? 0 : values[0].length;
        float[] flat = new float[values.length * width];
        for (int i = 0; i < values.length; i++) {
            if (values[i].length != width) {
                throw new IllegalArgumentException("ragged teacher outputs at row " + i);
            }
            System.arraycopy(values[i], 0, flat, i * width, width);
        }
        try {
            Files.createDirectories(dir);
            Safetensors.write(file(key), List.of(new FloatTensor("values", new long[] {values.length, width}, flat)),
                    Map.of("teacher_sha256", key.teacherSha256(), "data_sha256", key.dataSha256(),
                            "temperature", Double.toString(key.temperature()), "kind", key.kind()));
        } catch (IOException e) {
            throw ShrinkException.failed("cannot write the teacher cache in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** SHA-256 of encoded sequences (ids and token types, in order): the data part of a key. */
    public static String dataHash(List<int[][]> sequences) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(4);
            for (int[][] seq : sequences) {
                for (int[] part : seq) {
                    md.update(buf.clear().putInt(part.length).array());
                    for (int v : part) {
                        md.update(buf.clear().putInt(v).array());
                    }
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
