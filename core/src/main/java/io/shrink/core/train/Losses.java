package io.shrink.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Training losses written from tensor ops, every constant a libtorch-owned array (FACTS §2.1: Java
 * scalars in differentiable code corrupt gradients; DJL's own losses are affected).
 */
public final class Losses {
    private Losses() {
    }

    /**
     * Mean cross-entropy of integer targets under logits.
     *
     * @param logits  (n, classes)
     * @param targets (n) int64 class indices
     * @return scalar loss
     */
    public static NDArray crossEntropy(NDArray logits, NDArray targets) {
        NDArray logp = logits.logSoftmax(-1); // (n, classes)
        NDArray onehot = targets.oneHot((int) logits.getShape().getLastDimension()).toType(DataType.FLOAT32, false); // (n, classes)
        return logp.mul(onehot).sum(new int[] {-1}).mean().neg();
    }

    /**
     * Mean squared error.
     *
     * @param predictions (n) or (n, 1)
     * @param targets     (n) float targets
     * @return scalar loss
     */
    public static NDArray meanSquaredError(NDArray predictions, NDArray targets) {
        NDArray p = predictions.reshape(targets.getShape()); // (n)
        return p.sub(targets).square().mean();
    }
}
