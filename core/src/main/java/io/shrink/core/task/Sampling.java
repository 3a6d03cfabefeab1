package io.shrink.core.task;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** Seeded samples of examples that keep the original order, for quick runs on part of a data set. */
public final class Sampling {
    private Sampling() {
    }

    /** At most {@code max} items, a seeded sample in the original order (0 = all). */
    public static <T> List<T> take(List<T> all, int max, long seed) {
        if (max <= 0 || all.size() <= max) {
            return all;
        }
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            idx.add(i);
        }
        Collections.shuffle(idx, new Random(seed));
        List<Integer> keep = new ArrayList<>(idx.subList(0, max));
        Collections.sort(keep);
        return keep.stream().map(all::get).toList();
    }
}
