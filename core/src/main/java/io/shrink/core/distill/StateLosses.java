package io.shrink.core.distill;

import ai.djl.ndarray.NDArray;
import io.shrink.core.model.Encoder;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The loss terms comparing student and teacher states, shared by general and task distillation: cosine on
 * the last hidden states (or on every mapped pair, averaged), MSE on mapped hidden states and KL on mapped
 * attention distributions. When the
 * student is narrower, its states pass through a learned projection to the teacher's width first. Also
 * keeps running averages of every term for the progress line.
 */
final class StateLosses {
    /** Canonical name prefix of the learned student-to-teacher projection (not part of the final model). */
    static final String PROJECTION = "distill.projection";

    private final LossWeights w;
    private final List<int[]> layerMap;
    private final Map<String, Double> averages = new LinkedHashMap<>();
    private final Map<String, Double> last = new LinkedHashMap<>();

    /**
     * @param w        the loss weights
     * @param layerMap pairs (student hidden-state index, teacher hidden-state index); index 0 is the embedding
     *                 output, index i the output of layer i
     */
    StateLosses(LossWeights w, List<int[]> layerMap) {
        this.w = w;
        this.layerMap = List.copyOf(layerMap);
    }

    boolean keepHidden() {
        return w.hiddenMse() > 0 || (w.cosine() > 0 && w.cosineOnMappedLayers());
    }

    boolean keepAttention() {
        return w.attention() > 0;
    }

    /**
     * The weighted state terms, added to {@code total}.
     *
     * @param so      the student's forward output (training)
     * @param to      the teacher's forward output (no gradients)
     * @param realPos flat positions of the real tokens ({@link DistillLosses#realPositions})
     * @param mask    (batch, seq) attention mask
     */
    NDArray add(NDArray total, Encoder student, Encoder.Output so, Encoder.Output to, long[] realPos, NDArray mask) {
        if (w.cosine() > 0 && w.cosineOnMappedLayers()) {
            NDArray mean = meanOverPairs(student, so, to, realPos, DistillLosses::cosine);
            total = total.add(term("cos", mean, w.cosine()));
        } else if (w.cosine() > 0) {
            NDArray s = project(student, DistillLosses.rows(so.lastHidden(), realPos)); // (n, hiddenT)
            NDArray t = DistillLosses.rows(to.lastHidden(), realPos); // (n, hiddenT)
            total = total.add(term("cos", DistillLosses.cosine(s, t), w.cosine()));
        }
        if (w.hiddenMse() > 0) {
            NDArray mean = meanOverPairs(student, so, to, realPos, DistillLosses::meanSquaredError);
            total = total.add(term("mse", mean, w.hiddenMse()));
        }
        if (w.attention() > 0) {
            NDArray sum = null;
            int n = 0;
            for (int[] pair : layerMap) {
                if (pair[0] == 0 || pair[1] == 0) {
                    continue;
                }
                NDArray s = so.attentions().get(pair[0] - 1);
                NDArray t = to.attentions().get(pair[1] - 1);
                if (s == null || t == null) {
                    continue;
                }
                NDArray l = DistillLosses.attentionKl(s, t, mask);
                sum = sum == null ? l : sum.add(l);
                n++;
            }
            if (sum != null) {
                total = total.add(term("att", sum.div(DistillLosses.scalar(sum.getManager(), n)), w.attention()));
            }
        }
        return total;
    }

    /** {@code loss} on the real-token rows of every mapped pair of hidden states (student projected), averaged. */
    private NDArray meanOverPairs(Encoder student, Encoder.Output so, Encoder.Output to, long[] realPos,
                                  java.util.function.BinaryOperator<NDArray> loss) {
        NDArray sum = null;
        for (int[] pair : layerMap) {
            NDArray s = project(student, DistillLosses.rows(so.hiddenStates().get(pair[0]), realPos)); // (n, hiddenT)
            NDArray t = DistillLosses.rows(to.hiddenStates().get(pair[1]), realPos); // (n, hiddenT)
            NDArray l = loss.apply(s, t);
            sum = sum == null ? l : sum.add(l);
        }
        return sum.div(DistillLosses.scalar(sum.getManager(), layerMap.size()));
    }

    /**
     * What the losses read from a teacher pass.
     *
     * @param states the teacher's states, with only the entries the state losses read (others null)
     * @param extra  an extra array computed from the teacher's output inside its pass (e.g. soft targets), or null
     */
    record TeacherPass(Encoder.Output states, NDArray extra) {
    }

    /**
     * Runs the teacher without gradients in a child manager of {@code step} and keeps only what the losses
     * read, so its other activations are freed at once instead of living until the end of the step.
     *
     * @param extra computes one more array from the teacher's output inside the pass (null: none)
     */
    TeacherPass teacherPass(Encoder teacher, NDArray ids, NDArray types, NDArray mask, ai.djl.ndarray.NDManager step,
                            java.util.function.Function<Encoder.Output, NDArray> extra) {
        try (ai.djl.ndarray.NDManager tm = step.newSubManager()) {
            NDArray tIds = moved(ids, tm); // (b, s) inputs owned by tm: every teacher activation lands there
            NDArray tTypes = types == null ? null : moved(types, tm);
            NDArray tMask = moved(mask, tm);
            Encoder.Output to = teacher.forward(tIds, tTypes, tMask, false, keepHidden(), keepAttention());
            NDArray e = extra == null ? null : keep(extra.apply(to), step);
            NDArray last = w.cosine() > 0 && !w.cosineOnMappedLayers() ? keep(to.lastHidden(), step) : null;
            List<NDArray> hidden = null;
            List<NDArray> att = null;
            if (keepHidden()) {
                hidden = new java.util.ArrayList<>(java.util.Collections.nCopies(to.hiddenStates().size(), (NDArray) null));
                for (int[] pair : layerMap) {
                    hidden.set(pair[1], keep(to.hiddenStates().get(pair[1]), step));
                }
            }
            if (keepAttention()) {
                att = new java.util.ArrayList<>(java.util.Collections.nCopies(to.attentions().size(), (NDArray) null));
                for (int[] pair : layerMap) {
                    if (pair[1] > 0 && to.attentions().get(pair[1] - 1) != null) {
                        att.set(pair[1] - 1, keep(to.attentions().get(pair[1] - 1), step));
                    }
                }
            }
            return new TeacherPass(new Encoder.Output(last, hidden, att), e);
        }
    }

    private static NDArray moved(NDArray a, ai.djl.ndarray.NDManager to) {
        NDArray copy = a.duplicate();
        copy.attach(to);
        return copy;
    }

    private static NDArray keep(NDArray a, ai.djl.ndarray.NDManager step) {
        if (a != null && a.getManager() != step) {
            a.attach(step);
        }
        return a;
    }

    /** Records a term's value and returns it times its weight. */
    NDArray term(String name, NDArray value, double weight) {
        double v = value.getFloat();
        last.put(name, v);
        averages.merge(name, v, (old, now) -> 0.98 * old + 0.02 * now);
        return value.mul(DistillLosses.scalar(value.getManager(), weight));
    }

    /** Each term of the last batch, the non-finite ones first, e.g. {@code ce NaN; finite: hard 0.6931}; empty before any. */
    String lastTerms() {
        StringBuilder bad = new StringBuilder();
        StringBuilder good = new StringBuilder();
        last.forEach((k, v) -> (Double.isFinite(v) ? good : bad).append(' ').append(k).append(' ')
                .append(Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : Double.toString(v)));
        if (bad.isEmpty() && good.isEmpty()) {
            return "";
        }
        return (bad.isEmpty() ? "no term non-finite" : "non-finite:" + bad) + (good.isEmpty() ? "" : "; finite:" + good);
    }

    /** Running averages of every term, e.g. {@code ce 0.312 hard 0.281}. */
    String status() {
        StringBuilder sb = new StringBuilder();
        averages.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : " ").append(k).append(' ')
                .append(String.format(Locale.ROOT, "%.4f", v)));
        return sb.toString();
    }

    /**
     * The student's states at the teacher's width.
     *
     * @param x (..., hiddenS)
     * @return (..., hiddenT), or {@code x} when the student has no projection
     */
    static NDArray project(Encoder student, NDArray x) {
        NDArray weight = student.parameters().get(PROJECTION + ".weight");
        if (weight == null) {
            return x;
        }
        return x.getNDArrayInternal().linear(x, weight, student.parameters().get(PROJECTION + ".bias")).singletonOrThrow();
    }
}
