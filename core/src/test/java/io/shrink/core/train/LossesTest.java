package io.shrink.core.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LossesTest {
    @Test
    void crossEntropyMatchesHandComputedValueAndGradient() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            // logits [[1, 2, 3], [0, 0, 0]], targets [2, 0]:
            // row 1: log softmax at 3 = 3 - ln(e^1 + e^2 + e^3) = -0.40760596
            // row 2: ln(1/3) = -1.09861229; mean of negatives = (0.40760596 + 1.09861229) / 2 = 0.75310912
            NDArray logits = m.create(new float[] {1, 2, 3, 0, 0, 0}, new Shape(2, 3));
            logits.setRequiresGradient(true);
            NDArray targets = m.create(new long[] {2, 0});
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray loss = Losses.crossEntropy(logits, targets);
                assertEquals(0.75310912, loss.getFloat(), 1e-6);
                gc.backward(loss);
            }
            // d/dlogits = (softmax - onehot) / n
            double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
            float[] expected = {
                (float) (Math.exp(1) / z / 2), (float) (Math.exp(2) / z / 2), (float) ((Math.exp(3) / z - 1) / 2),
                (float) ((1.0 / 3 - 1) / 2), (float) (1.0 / 6), (float) (1.0 / 6)};
            assertArrayEquals(expected, logits.getGradient().toFloatArray(), 1e-6f);
        }
    }

    @Test
    void meanSquaredErrorMatchesHandComputedValue() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            // ((1 - 0)^2 + (2 - 4)^2 + (3.5 - 3)^2) / 3 = (1 + 4 + 0.25) / 3 = 1.75
            NDArray loss = Losses.meanSquaredError(m.create(new float[] {1, 2, 3.5f}, new Shape(3, 1)),
                    m.create(new float[] {0, 4, 3}));
            assertEquals(1.75, loss.getFloat(), 1e-6);
        }
    }

    @Test
    void scheduleWarmsUpThenDecaysToZero() {
        Schedule s = Schedule.of(1e-3, 0.1, 100);
        assertEquals(10, s.warmupSteps());
        assertEquals(1e-4, s.at(0), 1e-12);
        assertEquals(1e-3, s.at(9), 1e-12);
        assertEquals(1e-3, s.at(10), 1e-12);
        assertEquals(1e-3 * 45 / 90, s.at(55), 1e-12);
        assertEquals(1e-3 / 90, s.at(99), 1e-12);
    }
}
