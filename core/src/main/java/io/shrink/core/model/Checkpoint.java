package io.shrink.core.model;

import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.tokenize.TokenizerSpec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * A complete model in memory, independent of any file format: encoder shape, head, tokenizer and the
 * weights under shrink's canonical parameter names (see {@link CanonicalNames}).
 *
 * @param config    the encoder's shape
 * @param head      the head on top
 * @param tensors   canonical name to weights, in a stable order
 * @param tokenizer the WordPiece vocabulary and casing
 */
public record Checkpoint(EncoderConfig config, HeadConfig head, Map<String, FloatTensor> tensors,
                         TokenizerSpec tokenizer) {

    /** Total number of parameters stored (tied weights counted once). */
    public long parameterCount() {
        long n = 0;
        for (FloatTensor t : tensors.values()) {
            n += t.data().length;
        }
        return n;
    }

    /**
     * SHA-256 over every tensor's name, shape and little-endian float32 bytes, tensors sorted by name: the
     * same weights give the same hash whatever file format or order they were read in.
     */
    public String contentHash() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (FloatTensor t : new java.util.TreeMap<>(tensors).values()) {
                md.update(t.name().getBytes(StandardCharsets.UTF_8));
                for (long d : t.shape()) {
                    md.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(d).array());
                }
                float[] data = t.data();
                for (int i = 0; i < data.length; ) {
                    buf.clear();
                    while (buf.remaining() >= 4 && i < data.length) {
                        buf.putFloat(data[i++]);
                    }
                    md.update(buf.array(), 0, buf.position());
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
