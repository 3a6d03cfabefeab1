package io.shrink.core.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.shrink.core.ShrinkException;
import io.shrink.core.data.Example;
import io.shrink.core.tokenize.Encoding;
import io.shrink.core.tokenize.WordPieceTokenizer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Model inputs for sequence tasks: tokenisation with truncation (longest-first for pairs; for long
 * single texts optionally head+tail, Sun et al. 2019), length-bucketed batches with dynamic padding.
 */
public final class Features {
    private Features() {
    }

    /**
     * One tokenised example.
     *
     * @param ids     token ids with [CLS]/[SEP]
     * @param types   token-type ids
     * @param example index of the example in its list
     */
    public record Feature(int[] ids, int[] types, int example) {
    }

    /** Tokenises examples to at most {@code maxLength} tokens each. */
    public static List<Feature> encode(WordPieceTokenizer tok, List<Example> examples, int maxLength, boolean headTail) {
        List<Feature> out = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            if (headTail && e.textB() == null) {
                out.add(headTail(tok, e.textA(), maxLength, i));
            } else {
                Encoding enc = tok.encode(e.textA(), e.textB(), maxLength, WordPieceTokenizer.Truncation.LONGEST_FIRST);
                out.add(new Feature(enc.ids(), enc.typeIds(), i));
            }
        }
        return out;
    }

    /** Keeps the first quarter and the last three quarters of the budget (127 + 383 of 510 at 512; Sun et al. 2019 keep 128 + 382). */
    static Feature headTail(WordPieceTokenizer tok, String text, int maxLength, int index) {
        List<String> pieces = tok.tokenize(text);
        int budget = maxLength - 2;
        if (budget < 2) {
            throw ShrinkException.usage("max length " + maxLength + " is too short for head+tail truncation");
        }
        List<String> kept = pieces;
        if (pieces.size() > budget) {
            int head = budget / 4;
            kept = new ArrayList<>(pieces.subList(0, head));
            kept.addAll(pieces.subList(pieces.size() - (budget - head), pieces.size()));
        }
        int[] ids = new int[kept.size() + 2];
        ids[0] = tok.clsId();
        for (int i = 0; i < kept.size(); i++) {
            ids[i + 1] = tok.tokenId(kept.get(i));
        }
        ids[ids.length - 1] = tok.sepId();
        return new Feature(ids, new int[ids.length], index);
    }

    /**
     * Length-bucketed batches for one epoch: shuffle with (seed, epoch), sort by length within chunks of
     * 50 batches, cut into batches, shuffle the batch order. The same (seed, epoch) gives the same batches.
     */
    public static List<List<Feature>> bucketedBatches(List<Feature> features, int batchSize, long seed, int epoch) {
        return bucketed(features, f -> f.ids().length, batchSize, seed, epoch);
    }

    /** {@link #bucketedBatches} for any item with a length. */
    public static <T> List<List<T>> bucketed(List<T> items, java.util.function.ToIntFunction<T> length, int batchSize,
                                             long seed, int epoch) {
        List<T> order = new ArrayList<>(items);
        Random rnd = new Random(seed * 1_000_003L + epoch);
        Collections.shuffle(order, rnd);
        int chunk = batchSize * 50;
        List<List<T>> batches = new ArrayList<>();
        for (int c = 0; c < order.size(); c += chunk) {
            List<T> part = new ArrayList<>(order.subList(c, Math.min(order.size(), c + chunk)));
            part.sort(Comparator.comparingInt(length));
            for (int i = 0; i < part.size(); i += batchSize) {
                batches.add(part.subList(i, Math.min(part.size(), i + batchSize)));
            }
        }
        Collections.shuffle(batches, rnd);
        return batches;
    }

    /** Batches in length order, for evaluation (padding kept small, order irrelevant). */
    public static List<List<Feature>> sortedBatches(List<Feature> features, int batchSize) {
        List<Feature> order = new ArrayList<>(features);
        order.sort(Comparator.comparingInt(f -> f.ids().length));
        List<List<Feature>> out = new ArrayList<>();
        for (int i = 0; i < order.size(); i += batchSize) {
            out.add(order.subList(i, Math.min(order.size(), i + batchSize)));
        }
        return out;
    }

    /** The length a batch is padded to: its longest input in tokens (1 for an empty batch). */
    public static int longest(List<Feature> batch) {
        return batch.stream().mapToInt(f -> f.ids().length).max().orElse(1);
    }

    /**
     * A padded batch as arrays in {@code m}: ids, token types and attention mask, each (batch, longest).
     */
    public static NDArray[] arrays(List<Feature> batch, NDManager m) {
        return padded(batch.stream().map(Feature::ids).toList(), batch.stream().map(Feature::types).toList(), m);
    }

    /**
     * Token ids and types of several inputs, padded to the longest, as arrays in {@code m}: ids, token types and
     * attention mask, each (batch, longest).
     */
    public static NDArray[] padded(List<int[]> idRows, List<int[]> typeRows, NDManager m) {
        int n = idRows.size();
        int len = idRows.stream().mapToInt(r -> r.length).max().orElse(1);
        long[] ids = new long[n * len];
        long[] types = new long[n * len];
        long[] mask = new long[n * len];
        for (int i = 0; i < n; i++) {
            int[] rowIds = idRows.get(i);
            int[] rowTypes = typeRows.get(i);
            for (int j = 0; j < rowIds.length; j++) {
                ids[i * len + j] = rowIds[j];
                types[i * len + j] = rowTypes[j];
                mask[i * len + j] = 1;
            }
        }
        Shape s = new Shape(n, len);
        return new NDArray[] {m.create(ids, s), m.create(types, s), m.create(mask, s)};
    }
}
