package io.shrink.core.tensor;

import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pins {@code Checkpoint.contentHash()} of a small all-float32 checkpoint, as computed before typed tensors existed. */
class CheckpointHashTest {
    /** The hash the pre-typed-tensor code gave for {@link #fixed()} (commit 3a187aa). */
    static final String PINNED = "f1dbf0ce00bd50e34faff65143d6b61f78b15da4c9e424dda9b45ed02238a968";

    /** Two tensors inserted out of name order: [2, 3] and [3], with a negative zero and a subnormal. */
    static Map<String, FloatTensor> fixed() {
        Map<String, FloatTensor> m = new LinkedHashMap<>();
        m.put("b.weight", new FloatTensor("b.weight", new long[] {2, 3},
                new float[] {0.5f, -1.25f, 3.0f, -0.0f, 1e-40f, 65504f}));
        m.put("a.bias", new FloatTensor("a.bias", new long[] {3}, new float[] {1f, -2.5f, 0.1f}));
        return m;
    }

    @Test
    void allFloat32HashIsPinned() {
        assertEquals(PINNED, new Checkpoint(null, null, fixed(), null).contentHash());
    }

    @Test
    void storedF32IsTheSameAsFloat() {
        Map<String, TypedTensor> typed = new LinkedHashMap<>();
        fixed().forEach((k, v) -> typed.put(k, TypedTensor.f32(v)));
        Checkpoint c = Checkpoint.ofStored(null, null, typed, null);
        assertTrue(c.stored().isEmpty(), "F32 needs no stored copy");
        assertEquals(PINNED, c.contentHash());
    }

    @Test
    void bf16CopyHashesDifferentlyAndCoversDtypeAndScales() {
        Map<String, TypedTensor> bf16 = new LinkedHashMap<>();
        fixed().forEach((k, v) -> bf16.put(k, TypedTensor.bf16(v)));
        Checkpoint b = Checkpoint.ofStored(null, null, bf16, null);
        assertNotEquals(PINNED, b.contentHash());
        // its float view, taken as plain F32, is a third hash: the dtype is part of the content
        Checkpoint view = new Checkpoint(null, null, b.tensors(), null);
        assertNotEquals(view.contentHash(), b.contentHash());
        // -2.5 and 1.0 are exact in bf16 and f16 alike, but the dtypes differ
        Map<String, FloatTensor> exact = Map.of("x", new FloatTensor("x", new long[] {2}, new float[] {1f, -2.5f}));
        assertNotEquals(Checkpoint.ofStored(null, null, Map.of("x", TypedTensor.bf16(exact.get("x"))), null).contentHash(),
                Checkpoint.ofStored(null, null, Map.of("x", TypedTensor.f16(exact.get("x"))), null).contentHash());
        // int4 group sizes and scales count
        FloatTensor w = TypedTensorTest.random("w", 2, 8, 9);
        assertNotEquals(Checkpoint.ofStored(null, null, Map.of("w", TypedTensor.int4Grouped(w, 4)), null).contentHash(),
                Checkpoint.ofStored(null, null, Map.of("w", TypedTensor.int4Grouped(w, 8)), null).contentHash());
        assertEquals(Checkpoint.ofStored(null, null, Map.of("w", TypedTensor.int8PerChannel(w)), null).contentHash(),
                Checkpoint.ofStored(null, null, Map.of("w", TypedTensor.int8PerChannel(w)), null).contentHash());
    }

    @Test
    void storedTensorMustMatchItsFloatView() {
        FloatTensor a = new FloatTensor("a", new long[] {2}, new float[2]);
        TypedTensor wrong = TypedTensor.bf16(new FloatTensor("a", new long[] {1, 2}, new float[2]));
        assertThrows(ShrinkException.class, () -> new Checkpoint(null, null, Map.of("a", a), null, Map.of("a", wrong)));
        assertThrows(ShrinkException.class, () -> new Checkpoint(null, null, Map.of(), null, Map.of("a", TypedTensor.bf16(a))));
    }
}
