package io.shrink.core.compress.prune;

import io.shrink.core.ShrinkException;
import io.shrink.core.model.EncoderConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * Which attention heads and FFN neurons of each stored layer survive structured pruning: per layer, the kept
 * indices in increasing order (an empty list removes the layer's attention or FFN altogether; a residual and its
 * bias remain, as the encoder runs layers without heads or FFN).
 *
 * @param heads   per stored layer, the kept head indices
 * @param neurons per stored layer, the kept FFN neuron indices
 */
public record PrunePlan(List<List<Integer>> heads, List<List<Integer>> neurons) {
    /** Copies the lists. */
    public PrunePlan {
        heads = heads.stream().map(List::copyOf).toList();
        neurons = neurons.stream().map(List::copyOf).toList();
    }

    /** Keeps everything of {@code c}. */
    public static PrunePlan keepAll(EncoderConfig c) {
        List<List<Integer>> h = new ArrayList<>();
        List<List<Integer>> n = new ArrayList<>();
        for (int i = 0; i < c.storedLayers(); i++) {
            h.add(range(c.headsOf(i)));
            n.add(range(c.ffnOf(i)));
        }
        return new PrunePlan(h, n);
    }

    private static List<Integer> range(int n) {
        List<Integer> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            out.add(k);
        }
        return out;
    }

    /** A usage error unless every index exists in {@code c}, each layer's indices increase and some head is kept. */
    public PrunePlan checkedFor(EncoderConfig c) {
        if (heads.size() != c.storedLayers() || neurons.size() != c.storedLayers()) {
            throw ShrinkException.usage("a pruning plan for " + heads.size() + " layers, but the model stores "
                    + c.storedLayers());
        }
        for (int i = 0; i < c.storedLayers(); i++) {
            check(heads.get(i), c.headsOf(i), "head", i);
            check(neurons.get(i), c.ffnOf(i), "FFN neuron", i);
        }
        if (heads.stream().allMatch(List::isEmpty)) {
            throw ShrinkException.usage("the pruning would remove every attention head of every layer; keep at least one");
        }
        return this;
    }

    private static void check(List<Integer> kept, int size, String what, int layer) {
        int last = -1;
        for (int k : kept) {
            if (k <= last || k >= size) {
                throw ShrinkException.usage("layer " + layer + ": " + what + " " + k + " is not one of 0.." + (size - 1)
                        + " in increasing order");
            }
            last = k;
        }
    }

    /** Heads kept over all stored layers. */
    public int headCount() {
        return heads.stream().mapToInt(List::size).sum();
    }

    /** FFN neurons kept over all stored layers. */
    public int neuronCount() {
        return neurons.stream().mapToInt(List::size).sum();
    }
}
