package io.shrink.core.checkpoint;

import io.shrink.core.TinyModels;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.DType;
import io.shrink.core.tensor.TypedTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A registry model directory keeps weights stored in bf16 / int8 / int4 as they were, and its hash with them. */
class ShrinkFormatTypedTest {
    @TempDir
    Path dir;

    @Test
    void typedWeightsRoundTripThroughAModelDirectory() throws IOException {
        Checkpoint f32 = TinyModels.model(TinyModels.bert(), TinyModels.classifier("pooler"), 7);
        Map<String, TypedTensor> typed = new LinkedHashMap<>();
        int i = 0;
        for (var t : f32.tensors().values()) {
            DType d = t.shape().length < 2 ? DType.BF16 : (i++ % 2 == 0 ? DType.I8 : DType.I4);
            typed.put(t.name(), TypedTensor.of(t, d, 16));
        }
        Checkpoint q = Checkpoint.ofStored(f32.config(), f32.head(), typed, f32.tokenizer());
        ShrinkFormat.write(q, dir.resolve("q"));
        Checkpoint back = ShrinkFormat.read(dir.resolve("q"));
        assertEquals(q.stored(), back.stored());
        assertEquals(q.tensors(), back.tensors());
        assertEquals(q.contentHash(), back.contentHash());
        assertNotEquals(f32.contentHash(), back.contentHash());

        ShrinkFormat.write(f32, dir.resolve("f"));
        Checkpoint plain = ShrinkFormat.read(dir.resolve("f"));
        assertTrue(plain.stored().isEmpty());
        assertEquals(f32.contentHash(), plain.contentHash());
    }
}
