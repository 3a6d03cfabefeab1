package io.shrink.core.model;

import io.shrink.core.ShrinkException;
import io.shrink.core.tensor.DType;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.tensor.TypedTensor;
import io.shrink.core.tokenize.TokenizerSpec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A complete model in memory, independent of any file format: encoder shape, head, tokenizer and the
 * weights under shrink's canonical parameter names (see {@link CanonicalNames}).
 *
 * <p>Typed weights: {@code tensors} is always the float32 view that the encoder, trainers and exporters
 * read. Weights stored in another {@link DType} (bf16, f16, int8, int4) are also kept, as stored, in
 * {@code stored}, keyed by the same name, so that writing the checkpoint and its {@link #contentHash()}
 * see exactly the stored bytes. This keeps every existing reader and the 4-argument constructor working
 * unchanged (they see an all-F32 checkpoint with {@code stored} empty); anything that computes new float
 * weights builds a new checkpoint through that constructor and so, rightly, drops the stored types.
 *
 * @param config    the encoder's shape
 * @param head      the head on top
 * @param tensors   canonical name to weights as float32, in a stable order
 * @param tokenizer the WordPiece vocabulary and casing
 * @param stored    the weights stored in a type other than F32, by name (each also in {@code tensors}, same
 *                  shape, as its {@link TypedTensor#toFloat()}); empty for an all-F32 checkpoint
 * @param quantization how the stored types run on the fast inference path, or null for float32 throughout
 */
public record Checkpoint(EncoderConfig config, HeadConfig head, Map<String, FloatTensor> tensors,
                         TokenizerSpec tokenizer, Map<String, TypedTensor> stored, Quantization quantization) {

    /** Checks that every stored tensor has a float view of the same shape; F32 entries are dropped (the view is them). */
    public Checkpoint {
        if (stored == null || stored.isEmpty()) {
            stored = Map.of();
        } else {
            Map<String, TypedTensor> kept = new LinkedHashMap<>();
            for (Map.Entry<String, TypedTensor> e : stored.entrySet()) {
                TypedTensor t = e.getValue();
                FloatTensor f = tensors.get(e.getKey());
                if (f == null || !Arrays.equals(f.shape(), t.shape()) || !t.name().equals(e.getKey())) {
                    throw ShrinkException.corrupt("tensor " + e.getKey() + ": stored as " + t.dtype() + " "
                            + t.shapeString() + " but its float32 view is " + (f == null ? "missing" : f.shapeString()));
                }
                if (t.dtype() != DType.F32) {
                    kept.put(e.getKey(), t);
                }
            }
            stored = Collections.unmodifiableMap(kept);
        }
    }

    /** An all-float32 checkpoint (no stored types), as before typed tensors existed. */
    public Checkpoint(EncoderConfig config, HeadConfig head, Map<String, FloatTensor> tensors, TokenizerSpec tokenizer) {
        this(config, head, tensors, tokenizer, Map.of(), null);
    }

    /** A checkpoint with stored types that run as float32 (no {@link Quantization}). */
    public Checkpoint(EncoderConfig config, HeadConfig head, Map<String, FloatTensor> tensors, TokenizerSpec tokenizer,
                      Map<String, TypedTensor> stored) {
        this(config, head, tensors, tokenizer, stored, null);
    }

    /** The same weights, run as {@code q} says. */
    public Checkpoint withQuantization(Quantization q) {
        return new Checkpoint(config, head, tensors, tokenizer, stored, q);
    }

    /** A checkpoint of weights as stored (any {@link DType}), with their float32 view computed from them. */
    public static Checkpoint ofStored(EncoderConfig config, HeadConfig head, Map<String, TypedTensor> typed,
                                      TokenizerSpec tokenizer) {
        Map<String, FloatTensor> floats = new LinkedHashMap<>();
        typed.forEach((name, t) -> floats.put(name, t.toFloat()));
        return new Checkpoint(config, head, floats, tokenizer, typed);
    }

    /** Every weight as stored, in the order of {@code tensors}: the stored type where there is one, else F32. */
    public Map<String, TypedTensor> typedTensors() {
        Map<String, TypedTensor> out = new LinkedHashMap<>();
        tensors.forEach((name, f) -> out.put(name, stored.containsKey(name) ? stored.get(name) : TypedTensor.f32(f)));
        return out;
    }

    /** Total number of parameters stored (tied weights counted once). */
    public long parameterCount() {
        long n = 0;
        for (FloatTensor t : tensors.values()) {
            n += t.data().length;
        }
        return n;
    }

    /**
     * SHA-256 over every tensor's name, shape and stored bytes, tensors sorted by name: the same weights give
     * the same hash whatever file format or order they were read in. An F32 tensor contributes its
     * little-endian float32 bytes (so an all-F32 checkpoint hashes as it always has); a tensor stored in
     * another type contributes, after its shape, a zero byte, the dtype's name, the I4 group size (4 bytes
     * little-endian), the stored bytes and its scales as little-endian float32. A {@link Quantization} adds, after
     * every tensor, a zero byte and its {@link Quantization#canonical()} text, so the same int8 weights run two
     * ways are two models.
     */
    public String contentHash() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (FloatTensor t : new TreeMap<>(tensors).values()) {
                md.update(t.name().getBytes(StandardCharsets.UTF_8));
                for (long d : t.shape()) {
                    md.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(d).array());
                }
                TypedTensor s = stored.get(t.name());
                if (s != null) {
                    md.update((byte) 0);
                    md.update(s.dtype().name().getBytes(StandardCharsets.UTF_8));
                    md.update(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(s.groupSize()).array());
                    md.update(s.data());
                    updateFloats(md, buf, s.scales());
                } else {
                    updateFloats(md, buf, t.data());
                }
            }
            if (quantization != null) {
                md.update((byte) 0);
                md.update(quantization.canonical().getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private static void updateFloats(MessageDigest md, ByteBuffer buf, float[] data) {
        for (int i = 0; i < data.length; ) {
            buf.clear();
            while (buf.remaining() >= 4 && i < data.length) {
                buf.putFloat(data[i++]);
            }
            md.update(buf.array(), 0, buf.position());
        }
    }
}
