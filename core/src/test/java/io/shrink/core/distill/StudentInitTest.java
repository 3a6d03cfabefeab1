package io.shrink.core.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.shrink.core.ShrinkException;
import io.shrink.core.TinyModels;
import io.shrink.core.checkpoint.Checkpoint;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.Encoder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StudentInitTest {
    static EncoderConfig fourLayers() {
        EncoderConfig b = TinyModels.bert();
        return new EncoderConfig("bert", b.vocabSize(), 32, 4, 4, 8, 64, 64, 2, 32, false, List.of(), List.of(),
                "gelu", 1e-12, 0.1, 0.1, 0);
    }

    @Test
    void parsesSelections() {
        assertEquals(List.of(0, 2, 4, 7, 9, 11), LayerSelection.parse("0,2,4,7,9,11", 12));
        assertEquals(List.of(0, 2, 4, 6, 8, 10), LayerSelection.parse("every-other", 12));
        assertEquals(List.of(0, 1, 2), LayerSelection.parse("first:3", 12));
        for (String bad : List.of("0,12", "1,1", "x", "first:0", "-1", "first:13")) {
            assertEquals(ShrinkException.Kind.USAGE,
                    assertThrows(ShrinkException.class, () -> LayerSelection.parse(bad, 12)).kind(), bad);
        }
    }

    @Test
    void copiesChosenLayersRenumbered() {
        Checkpoint teacher = TinyModels.model(fourLayers(), HeadConfig.mlm(), 1);
        Checkpoint student = StudentInit.fromTeacher(teacher, List.of(0, 3), false);
        assertEquals(2, student.config().numLayers());
        assertEquals("bert", student.config().family());
        assertArrayEquals(teacher.tensors().get("encoder.layer.3.output.dense.weight").data(),
                student.tensors().get("encoder.layer.1.output.dense.weight").data());
        assertArrayEquals(teacher.tensors().get("cls.predictions.bias").data(),
                student.tensors().get("cls.predictions.bias").data());
        assertFalse(student.tensors().containsKey("encoder.layer.2.output.dense.weight"));
    }

    @Test
    void droppingTokenTypesKeepsSingleSegmentOutputsExact() {
        Checkpoint teacher = TinyModels.model(fourLayers(), HeadConfig.none(), 2);
        Checkpoint student = StudentInit.fromTeacher(teacher, List.of(0, 1, 2, 3), true);
        assertEquals("distilbert", student.config().family());
        assertEquals(0, student.config().typeVocabSize());
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             Encoder t = Encoder.load(teacher, m);
             Encoder s = Encoder.load(student, m)) {
            NDArray ids = m.create(new long[] {2, 40, 41, 42, 3}, new Shape(1, 5));
            float[] a = t.forward(ids, null, null, false, false).lastHidden().toFloatArray();
            float[] b = s.forward(ids, null, null, false, false).lastHidden().toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-5);
            }
        }
    }

    @Test
    void refusesSharedTeachers() {
        Checkpoint albert = TinyModels.model(TinyModels.albert(), HeadConfig.mlm(), 3);
        assertThrows(ShrinkException.class, () -> StudentInit.fromTeacher(albert, List.of(0), false));
    }
}
