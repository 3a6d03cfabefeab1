package io.shrink.core.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The knowledge-distillation losses (Hinton et al. 2015; DistilBERT, Sanh et al. 2019; TinyBERT, Jiao et
 * al. 2020; MiniLM, Wang et al. 2020), written from tensor ops with every constant a libtorch-owned array
 * (FACTS §2.1). Row-wise losses take already selected rows (e.g. the non-padding positions, see
 * {@link #rows}); masked losses take a (batch, seq) 0/1 mask.
 */
public final class DistillLosses {
    private DistillLosses() {
    }

    /**
     * The teacher's softened distribution {@code softmax(logits / T)}.
     *
     * @param teacherLogits (n, classes)
     * @return (n, classes) probabilities
     */
    public static NDArray temperedProbabilities(NDArray teacherLogits, double temperature) {
        return teacherLogits.div(scalar(teacherLogits.getManager(), temperature)).softmax(-1);
    }

    /**
     * Soft-target cross-entropy {@code -sum_c p_c log softmax(s / T)_c}, averaged over rows and multiplied by
     * T² so that its gradients keep their size as T changes (Hinton et al. 2015). It differs from the KL
     * divergence DistilBERT's code uses only by the teacher's entropy, a constant: the gradients are equal.
     *
     * @param studentLogits (n, classes)
     * @param teacherProbs  (n, classes) the teacher's tempered distribution ({@link #temperedProbabilities})
     * @return scalar loss
     */
    public static NDArray softCrossEntropy(NDArray studentLogits, NDArray teacherProbs, double temperature) {
        NDManager m = studentLogits.getManager();
        NDArray logp = studentLogits.div(scalar(m, temperature)).logSoftmax(-1); // (n, classes)
        NDArray perRow = logp.mul(teacherProbs).sum(new int[] {-1}).neg(); // (n)
        return perRow.mean().mul(scalar(m, temperature * temperature));
    }

    /**
     * A linear decoder {@code logits = t W^T + b}, e.g. a masked-LM head's decoder over the vocabulary.
     *
     * @param weight (classes, width)
     * @param bias   (classes)
     */
    public record Decoder(NDArray weight, NDArray bias) {
    }

    /**
     * {@link #softCrossEntropy} of the student's decoded logits against the teacher's decoded, tempered
     * distribution, computed {@code chunk} rows at a time so that no (rows, classes) array larger than a
     * chunk ever exists: over a 30,522-token vocabulary a batch of 32 × 128 positions would otherwise hold
     * several 477 MiB arrays (logits, probabilities, log-probabilities and their gradients, for both models).
     * The gradient is written by hand, {@code dL/ds = T (softmax(s / T) - p) / n} for logits s, and carried
     * back through the decoder chunk by chunk ({@code dL/dt = G W}, {@code dL/dW = G^T t}, {@code dL/db = sum G});
     * the returned scalar has the loss's value and, through autograd, exactly these gradients on
     * {@code studentStates} and on the student decoder's weight and bias.
     *
     * @param studentStates (n, width) the student's states before its decoder, with gradients
     * @param student       the student's decoder
     * @param teacherStates (n, width) the teacher's states before its decoder
     * @param teacher       the teacher's decoder (no gradients flow to it)
     * @param chunk         rows decoded at a time
     * @return scalar loss
     */
    public static NDArray decodedSoftCrossEntropy(NDArray studentStates, Decoder student, NDArray teacherStates,
                                                  Decoder teacher, double temperature, int chunk) {
        NDManager m = studentStates.getManager();
        long n = studentStates.getShape().get(0);
        NDArray ts = studentStates.stopGradient(); // (n, width)
        NDArray ws = student.weight().stopGradient(); // (classes, width)
        NDArray bs = student.bias().stopGradient(); // (classes)
        NDArray wt = teacher.weight().stopGradient();
        NDArray bt = teacher.bias().stopGradient();
        NDArray gradW = m.zeros(ws.getShape(), DataType.FLOAT32); // (classes, width)
        NDArray gradB = m.zeros(bs.getShape(), DataType.FLOAT32); // (classes)
        NDArray gradStates = m.zeros(ts.getShape(), DataType.FLOAT32); // (n, width)
        double sum = 0;
        for (long a = 0; a < n; a += chunk) {
            long b = Math.min(n, a + chunk);
            try (NDManager c = m.newSubManager()) {
                NDIndex rows = new NDIndex(a + ":" + b);
                NDArray sc = ts.get(rows); // (r, width)
                sc.attach(c);
                NDArray tc = teacherStates.stopGradient().get(rows); // (r, width)
                tc.attach(c);
                NDArray invT = scalar(c, 1 / temperature);
                NDArray logq = sc.getNDArrayInternal().linear(sc, ws, bs).singletonOrThrow().mul(invT).logSoftmax(-1); // (r, classes)
                NDArray p = tc.getNDArrayInternal().linear(tc, wt, bt).singletonOrThrow().mul(invT).softmax(-1); // (r, classes)
                sum -= p.mul(logq).sum().getFloat();
                NDArray g = logq.exp().sub(p).mul(scalar(c, temperature / n)); // (r, classes) dL/ds
                gradStates.set(rows, g.matMul(ws)); // (r, width)
                gradW.addi(g.transpose().matMul(sc)); // (classes, width)
                gradB.addi(g.sum(new int[] {0})); // (classes)
            }
        }
        // surrogate: its gradient is (gradStates, gradW, gradB); its value is replaced by the loss's
        NDArray surrogate = gradStates.mul(studentStates).sum()
                .add(gradW.mul(student.weight()).sum())
                .add(gradB.mul(student.bias()).sum());
        return surrogate.sub(surrogate.stopGradient()).add(scalar(m, sum / n * temperature * temperature));
    }

    /**
     * Cosine embedding loss with target 1: mean over rows of {@code 1 - cos(student, teacher)}.
     *
     * @param student (n, hidden)
     * @param teacher (n, hidden)
     * @return scalar loss
     */
    public static NDArray cosine(NDArray student, NDArray teacher) {
        NDManager m = student.getManager();
        NDArray eps2 = scalar(m, 1e-16); // clamp squared norms before sqrt: a zero row gives no NaN gradient
        NDArray dot = student.mul(teacher).sum(new int[] {-1}); // (n)
        NDArray ns = student.square().sum(new int[] {-1}).maximum(eps2).sqrt(); // (n)
        NDArray nt = teacher.square().sum(new int[] {-1}).maximum(eps2).sqrt(); // (n)
        return scalar(m, 1).sub(dot.div(ns.mul(nt))).mean();
    }

    /**
     * Mean squared error over every element (TinyBERT's hidden-state loss).
     *
     * @param student (n, hidden), already projected to the teacher's width when the widths differ
     * @param teacher (n, hidden)
     * @return scalar loss
     */
    public static NDArray meanSquaredError(NDArray student, NDArray teacher) {
        return student.sub(teacher).square().mean();
    }

    /**
     * KL divergence of the student's attention distributions from the teacher's (MiniLM's attention
     * transfer): {@code sum_k t log(t / s)} over keys, averaged over heads and over the query positions of
     * real tokens. When the head counts differ, both are first averaged over heads.
     *
     * @param student (batch, studentHeads, seq, seq) attention probabilities
     * @param teacher (batch, teacherHeads, seq, seq) attention probabilities
     * @param mask    (batch, seq) 1 for real tokens, 0 for padding
     * @return scalar loss
     */
    public static NDArray attentionKl(NDArray student, NDArray teacher, NDArray mask) {
        NDManager m = student.getManager();
        if (student.getShape().get(1) != teacher.getShape().get(1)) {
            student = student.mean(new int[] {1}, true); // (batch, 1, seq, seq)
            teacher = teacher.mean(new int[] {1}, true);
        }
        NDArray tiny = scalar(m, 1e-12);
        // padding keys have probability 0 in both: 0 * (log tiny - log tiny) = 0
        NDArray kl = teacher.mul(teacher.maximum(tiny).log().sub(student.maximum(tiny).log()))
                .sum(new int[] {-1}); // (batch, heads, seq)
        NDArray w = mask.toType(DataType.FLOAT32, false).expandDims(1); // (batch, 1, seq)
        NDArray heads = scalar(m, kl.getShape().get(1));
        return kl.mul(w).sum().div(w.sum().mul(heads));
    }

    /**
     * The teacher's softened distribution over the real positions of each row: {@code softmax(logits / T)}
     * with padding positions at probability 0.
     *
     * @param teacherLogits (batch, seq)
     * @param mask          (batch, seq) 1 for real tokens, 0 for padding
     * @return (batch, seq) probabilities
     */
    public static NDArray maskedTemperedProbabilities(NDArray teacherLogits, NDArray mask, double temperature) {
        return temperedProbabilities(teacherLogits.add(paddingBias(mask)), temperature);
    }

    /**
     * Soft-target cross-entropy on SQuAD's start and end distributions (each over the positions of a
     * window), the mean of the two, times T²; padding positions are excluded from the student's distribution
     * and have probability 0 in the teacher's.
     *
     * @param studentStart (batch, seq) logits
     * @param studentEnd   (batch, seq) logits
     * @param teacherStart (batch, seq) the teacher's tempered start distribution ({@link #maskedTemperedProbabilities})
     * @param teacherEnd   (batch, seq) the teacher's tempered end distribution
     * @param mask         (batch, seq) 1 for real tokens, 0 for padding
     * @return scalar loss
     */
    public static NDArray spanSoftCrossEntropy(NDArray studentStart, NDArray studentEnd, NDArray teacherStart,
                                               NDArray teacherEnd, NDArray mask, double temperature) {
        NDManager m = studentStart.getManager();
        NDArray bias = paddingBias(mask); // (batch, seq): 0 or -1e9
        NDArray start = softCrossEntropy(studentStart.add(bias), teacherStart, temperature);
        NDArray end = softCrossEntropy(studentEnd.add(bias), teacherEnd, temperature);
        return start.add(end).div(scalar(m, 2));
    }

    /** (batch, seq): 0 at real tokens, -1e9 at padding. */
    private static NDArray paddingBias(NDArray mask) {
        NDManager m = mask.getManager();
        return mask.toType(DataType.FLOAT32, false).sub(scalar(m, 1)).mul(scalar(m, 1e9));
    }

    /**
     * The rows of a (batch, seq, ...) array at the given flat positions {@code b * seq + s}.
     *
     * @param x         (batch, seq, width)
     * @param positions flat positions, in the order wanted
     * @return (positions.length, width)
     */
    public static NDArray rows(NDArray x, long[] positions) {
        Shape s = x.getShape();
        NDArray flat = x.reshape(s.get(0) * s.get(1), s.get(2)); // (batch*seq, width)
        NDArray index = x.getManager().create(positions); // (n) int64
        return flat.get(new NDIndex("{}", index)); // (n, width)
    }

    /** The flat positions of a batch's real (non-padding) tokens, for {@link #rows}. */
    public static long[] realPositions(int[] lengths, int seq) {
        int n = 0;
        for (int len : lengths) {
            n += len;
        }
        long[] out = new long[n];
        int k = 0;
        for (int b = 0; b < lengths.length; b++) {
            for (int j = 0; j < lengths[b]; j++) {
                out[k++] = (long) b * seq + j;
            }
        }
        return out;
    }

    /** A libtorch-owned float scalar (FACTS §2.1). */
    static NDArray scalar(NDManager m, double v) {
        return m.full(new Shape(), (float) v, DataType.FLOAT32);
    }
}
