package io.shrink.core.tensor;

import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Pins {@code Checkpoint.contentHash()} of a small all-float32 checkpoint, as computed before typed tensors existed. */
class CheckpointHashTest {

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
        assertEquals("f1dbf0ce00bd50e34faff65143d6b61f78b15da4c9e424dda9b45ed02238a968", new Checkpoint(null, null, fixed(), null).contentHash());
    }
}
