package io.shrink.core.compress.prune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.shrink.core.model.ComputePrecision;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.train.FusedStack;
import io.shrink.core.train.Trainer;

import java.util.ArrayList;
import java.util.List;

import static io.shrink.core.model.CanonicalNames.*;

/**
 * How much each attention head and FFN neuron matters, per stored layer.
 *
 * <p>From the task loss (Michel et al. 2019): the importance of head h is |∂L/∂ξ_h| for a gate ξ_h = 1 on the
 * head's output, summed over batches of training data. The gate is never built: the head's context enters the loss
 * only through its columns of the attention output matrix W_O, so ∂L/∂ξ_h = Σ W_O[:, cols(h)] ⊙ ∂L/∂W_O[:, cols(h)],
 * the same for an FFN neuron n with its column of the FFN output matrix. Only those two matrices need gradients.
 * Scores are then normalised per layer (L2), as Michel et al. do, so that heads of different layers compare.
 *
 * <p>From magnitude (no data): the L2 norm of the head's or neuron's output columns, normalised the same way.
 *
 * @param heads   per stored layer, one score per head
 * @param neurons per stored layer, one score per FFN neuron
 */
public record Importance(List<double[]> heads, List<double[]> neurons) {

    /**
     * Scores from the gradients of {@code task}'s training loss over its first {@code batches} micro-batches of epoch
     * 0 (dropout as in training, seeded per batch).
     */
    public static <B> Importance ofTask(Encoder encoder, Trainer.Task<B> task, int batches, long seed) {
        Importance raw = rawOfTask(encoder, task, batches, seed);
        return new Importance(normalised(raw.heads()), normalised(raw.neurons()));
    }

    /** The summed |gate gradients| of {@link #ofTask}, before the per-layer normalisation. */
    static <B> Importance rawOfTask(Encoder encoder, Trainer.Task<B> task, int batches, long seed) {
        EncoderConfig c = encoder.config();
        List<double[]> heads = new ArrayList<>();
        List<double[]> neurons = new ArrayList<>();
        List<NDArray> outs = new ArrayList<>();
        List<NDArray> ffns = new ArrayList<>();
        for (int i = 0; i < c.storedLayers(); i++) {
            heads.add(new double[c.headsOf(i)]);
            neurons.add(new double[c.ffnOf(i)]);
            outs.add(encoder.parameters().get(attnOut(i) + ".weight"));
            ffns.add(encoder.parameters().get(ffnOut(i) + ".weight"));
        }
        List<NDArray> tracked = new ArrayList<>(outs);
        tracked.addAll(ffns);
        tracked.forEach(p -> p.setRequiresGradient(true));
        NDManager base = tracked.get(0).getManager();
        Engine engine = Engine.getEngine("PyTorch");
        encoder.useStack(FusedStack.of(encoder, ComputePrecision.FP32));
        try {
            List<B> all = task.batches(0);
            for (int b = 0; b < Math.min(batches, all.size()); b++) {
                Encoder.seed((int) (seed * 1_000_003L + b));
                try (NDManager sm = base.newSubManager()) {
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        gc.backward(task.loss(encoder, all.get(b), sm));
                    }
                    for (int i = 0; i < c.storedLayers(); i++) {
                        accumulate(heads.get(i), gated(outs.get(i), sm), c.headSize());
                        accumulate(neurons.get(i), gated(ffns.get(i), sm), 1);
                    }
                    for (NDArray p : tracked) {
                        NDArray g = p.getGradient();
                        g.attach(sm);
                        g.subi(g); // zero for the next batch
                    }
                }
            }
        } finally {
            encoder.useStack(null);
            tracked.forEach(p -> p.setRequiresGradient(false));
        }
        return new Importance(heads, neurons);
    }

    /** Σ over rows of W ⊙ ∂L/∂W, per column: the gradient of a gate on each input column of {@code w}. */
    private static float[] gated(NDArray w, NDManager sm) {
        NDArray g = w.getGradient();
        g.attach(sm);
        return w.mul(g).sum(new int[] {0}).toFloatArray(); // (in,)
    }

    /** Adds |Σ of each group of {@code width} consecutive columns| to the scores. */
    private static void accumulate(double[] scores, float[] columns, int width) {
        for (int k = 0; k < scores.length; k++) {
            double s = 0;
            for (int j = 0; j < width; j++) {
                s += columns[k * width + j];
            }
            scores[k] += Math.abs(s);
        }
    }

    /** Scores from the magnitude of each head's and neuron's output columns (no data needed). */
    public static Importance ofMagnitude(io.shrink.core.model.Checkpoint model) {
        EncoderConfig c = model.config();
        List<double[]> heads = new ArrayList<>();
        List<double[]> neurons = new ArrayList<>();
        for (int i = 0; i < c.storedLayers(); i++) {
            heads.add(columnNorms(model.tensors().get(attnOut(i) + ".weight"), c.headsOf(i), c.headSize()));
            neurons.add(columnNorms(model.tensors().get(ffnOut(i) + ".weight"), c.ffnOf(i), 1));
        }
        return new Importance(normalised(heads), normalised(neurons));
    }

    private static double[] columnNorms(io.shrink.core.tensor.FloatTensor w, int groups, int width) {
        int rows = (int) w.shape()[0];
        int cols = (int) w.shape()[1];
        double[] out = new double[groups];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < cols; k++) {
                double v = w.data()[r * cols + k];
                out[k / width] += v * v;
            }
        }
        for (int g = 0; g < groups; g++) {
            out[g] = Math.sqrt(out[g]);
        }
        return out;
    }

    /** Each layer's scores divided by their L2 norm (a layer of zeros stays zero). */
    static List<double[]> normalised(List<double[]> layers) {
        List<double[]> out = new ArrayList<>();
        for (double[] s : layers) {
            double n = 0;
            for (double v : s) {
                n += v * v;
            }
            double norm = Math.sqrt(n);
            double[] r = new double[s.length];
            for (int k = 0; k < s.length; k++) {
                r[k] = norm > 0 ? s[k] / norm : 0;
            }
            out.add(r);
        }
        return out;
    }

    /**
     * The plan that keeps the most important {@code 1 - headFraction} of all heads and {@code 1 - ffnFraction} of all
     * FFN neurons, ranked globally over layers (ties: the lower layer and index first). Fractions are of the heads and
     * neurons the model has, in [0, 1).
     */
    public PrunePlan plan(double headFraction, double ffnFraction) {
        return new PrunePlan(keep(heads, headFraction), keep(neurons, ffnFraction));
    }

    private static List<List<Integer>> keep(List<double[]> scores, double fraction) {
        int total = scores.stream().mapToInt(s -> s.length).sum();
        int remove = (int) Math.round(fraction * total);
        List<int[]> order = new ArrayList<>(); // (layer, index), least important first
        for (int i = 0; i < scores.size(); i++) {
            for (int k = 0; k < scores.get(i).length; k++) {
                order.add(new int[] {i, k});
            }
        }
        order.sort((a, b) -> {
            int cmp = Double.compare(scores.get(a[0])[a[1]], scores.get(b[0])[b[1]]);
            return cmp != 0 ? cmp : a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[1], b[1]);
        });
        List<boolean[]> removed = new ArrayList<>();
        scores.forEach(s -> removed.add(new boolean[s.length]));
        for (int r = 0; r < remove; r++) {
            removed.get(order.get(r)[0])[order.get(r)[1]] = true;
        }
        List<List<Integer>> out = new ArrayList<>();
        for (boolean[] layer : removed) {
            List<Integer> kept = new ArrayList<>();
            for (int k = 0; k < layer.length; k++) {
                if (!layer[k]) {
                    kept.add(k);
                }
            }
            out.add(kept);
        }
        return out;
    }
}
