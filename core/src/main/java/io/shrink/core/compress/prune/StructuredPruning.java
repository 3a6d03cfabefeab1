package io.shrink.core.compress.prune;

import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.ModelShapes;
import io.shrink.core.tensor.FloatTensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.shrink.core.model.CanonicalNames.*;

/**
 * Physical removal of attention heads and FFN neurons (Michel et al. 2019; the FFN half of Kwon et al. 2022): the
 * query, key and value rows of a removed head and the attention output's columns for it go; a removed neuron's row
 * of the FFN input (and its bias) and column of the FFN output go. The model gets smaller and faster and computes
 * exactly what the unpruned model computes with those heads' and neurons' outputs masked to zero ({@link #mask}).
 */
public final class StructuredPruning {
    private StructuredPruning() {
    }

    /** The pruned model: a smaller checkpoint with per-layer head counts and FFN widths. */
    public static Checkpoint apply(Checkpoint model, PrunePlan plan) {
        EncoderConfig c = model.config();
        plan.checkedFor(c);
        Map<String, FloatTensor> out = new LinkedHashMap<>(model.tensors());
        List<Integer> heads = new ArrayList<>();
        List<Integer> ffn = new ArrayList<>();
        int d = c.headSize();
        for (int i = 0; i < c.storedLayers(); i++) {
            List<Integer> rows = headRows(plan.heads().get(i), d);
            for (String p : List.of(query(i), key(i), value(i))) {
                put(out, rows(model.tensors().get(p + ".weight"), rows));
                put(out, rows(model.tensors().get(p + ".bias"), rows));
            }
            put(out, columns(model.tensors().get(attnOut(i) + ".weight"), rows));
            List<Integer> kept = plan.neurons().get(i);
            put(out, rows(model.tensors().get(ffnIn(i) + ".weight"), kept));
            put(out, rows(model.tensors().get(ffnIn(i) + ".bias"), kept));
            put(out, columns(model.tensors().get(ffnOut(i) + ".weight"), kept));
            heads.add(plan.heads().get(i).size());
            ffn.add(kept.size());
        }
        EncoderConfig pruned = c.withLayers(heads, ffn);
        Map<String, FloatTensor> ordered = new LinkedHashMap<>();
        for (String name : ModelShapes.expected(pruned, model.head()).keySet()) {
            ordered.put(name, out.get(name));
        }
        out.forEach(ordered::putIfAbsent);
        return new Checkpoint(pruned, model.head(), ordered, model.tokenizer());
    }

    /**
     * The unpruned model with the pruned heads' and neurons' contributions zeroed: the attention output's columns of a
     * removed head, and a removed neuron's column of the FFN output (same shapes; the reference {@link #apply} must
     * match).
     */
    public static Checkpoint mask(Checkpoint model, PrunePlan plan) {
        EncoderConfig c = model.config();
        plan.checkedFor(c);
        Map<String, FloatTensor> out = new LinkedHashMap<>(model.tensors());
        for (int i = 0; i < c.storedLayers(); i++) {
            put(out, zeroColumns(model.tensors().get(attnOut(i) + ".weight"), headRows(plan.heads().get(i), c.headSize())));
            put(out, zeroColumns(model.tensors().get(ffnOut(i) + ".weight"), plan.neurons().get(i)));
        }
        return new Checkpoint(c, model.head(), out, model.tokenizer());
    }

    /** The rows of the kept heads' slices: head h owns rows h*d .. h*d + d - 1. */
    static List<Integer> headRows(List<Integer> kept, int d) {
        List<Integer> rows = new ArrayList<>();
        for (int h : kept) {
            for (int k = 0; k < d; k++) {
                rows.add(h * d + k);
            }
        }
        return rows;
    }

    private static void put(Map<String, FloatTensor> m, FloatTensor t) {
        m.put(t.name(), t);
    }

    /** The given rows of a (rows, cols) matrix or entries of a vector. */
    static FloatTensor rows(FloatTensor t, List<Integer> keep) {
        long[] s = t.shape();
        int cols = s.length == 1 ? 1 : (int) s[1];
        float[] data = new float[keep.size() * cols];
        for (int r = 0; r < keep.size(); r++) {
            System.arraycopy(t.data(), keep.get(r) * cols, data, r * cols, cols);
        }
        return new FloatTensor(t.name(), s.length == 1 ? new long[] {keep.size()} : new long[] {keep.size(), cols}, data);
    }

    /** The given columns of a (rows, cols) matrix. */
    static FloatTensor columns(FloatTensor t, List<Integer> keep) {
        int rows = (int) t.shape()[0];
        int cols = (int) t.shape()[1];
        float[] data = new float[rows * keep.size()];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < keep.size(); k++) {
                data[r * keep.size() + k] = t.data()[r * cols + keep.get(k)];
            }
        }
        return new FloatTensor(t.name(), new long[] {rows, keep.size()}, data);
    }

    /** A (rows, cols) matrix with every column not in {@code keep} set to zero. */
    static FloatTensor zeroColumns(FloatTensor t, List<Integer> keep) {
        int rows = (int) t.shape()[0];
        int cols = (int) t.shape()[1];
        boolean[] kept = new boolean[cols];
        keep.forEach(k -> kept[k] = true);
        float[] data = t.data().clone();
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < cols; k++) {
                if (!kept[k]) {
                    data[r * cols + k] = 0f;
                }
            }
        }
        return new FloatTensor(t.name(), t.shape(), data);
    }
}
