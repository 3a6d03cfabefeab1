package io.shrink.core.model;

import io.shrink.core.ShrinkException;
import io.shrink.core.TestData;
import io.shrink.core.checkpoint.CheckpointSources;
import io.shrink.core.tensor.FloatTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Non-finite and absurdly large weights are corrupt; real BERT-base weights are far inside the bound. */
class WeightChecksTest {
    @TempDir
    Path tmp;

    private static FloatTensor tensor(String name, float... values) {
        return new FloatTensor(name, new long[] {values.length}, values);
    }

    private static String corrupt(List<FloatTensor> tensors) {
        ShrinkException e = assertThrows(ShrinkException.class, () -> WeightChecks.requireUsable(tensors, "f.safetensors", "fix it"));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        return e.getMessage();
    }

    @Test
    void nanInfinityAndHugeValuesNameTheTensorAndIndex() {
        FloatTensor ok = tensor("a.weight", 1, -2, 3);
        assertEquals("f.safetensors: tensor b.bias [3] at index 1 is NaN; fix it",
                corrupt(List.of(ok, tensor("b.bias", 0, Float.NaN, 1))));
        assertEquals("f.safetensors: tensor b.bias [2] at index 0 is -Infinity; fix it",
                corrupt(List.of(ok, tensor("b.bias", Float.NEGATIVE_INFINITY, 1))));
        assertEquals("f.safetensors: tensor embeddings.LayerNorm.weight [2] at index 1 is 1.0E30, beyond the bound "
                + "|x| <= 10000 of real weights; fix it", corrupt(List.of(tensor("embeddings.LayerNorm.weight", 1, 1e30f))));
        assertDoesNotThrow(() -> WeightChecks.requireUsable(List.of(tensor("c", 1e4f, -1e4f)), "f", "fix it"));
        assertDoesNotThrow(() -> WeightChecks.requireFinite(List.of(tensor("v", 1e30f)), "f", "fix it"),
                "optimizer moments need only be finite");
        assertThrows(ShrinkException.class, () -> WeightChecks.requireFinite(List.of(tensor("v", Float.NaN)), "f", "fix it"));
    }

    /** The bound against the real thing: Google's BERT-base-uncased peaks at 6.8, three orders of magnitude below. */
    @Test
    void realBertBaseWeightsAreFarBelowTheBound() {
        Path jar = TestData.bertJar();
        CheckpointSources.Loaded loaded = CheckpointSources.read(jar.toString(), tmp, false);
        float max = 0;
        for (FloatTensor t : loaded.checkpoint().tensors().values()) {
            for (float v : t.data()) {
                max = Math.max(max, Math.abs(v));
            }
        }
        assertTrue(max > 1 && max * 1000 < WeightChecks.MAX_ABS, "largest |weight| of BERT-base: " + max);
    }
}
