package io.shrink.core.compress.layers;

import io.shrink.core.ShrinkException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which teacher layers a student copies: an explicit list ({@code 0,2,4,7,9,11}, DistilBERT's released
 * choice for a 12-layer teacher), {@code every-other} (0, 2, 4, ...), or {@code first:K}.
 */
public final class LayerSelection {
    /** The layers the released DistilBERT copied from BERT-base (Sanh et al. 2019). */
    public static final List<Integer> DISTILBERT = List.of(0, 2, 4, 7, 9, 11);

    private LayerSelection() {
    }

    /** Parses a selection for a teacher with {@code teacherLayers} layers; a usage error explains bad input. */
    public static List<Integer> parse(String spec, int teacherLayers) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        List<Integer> layers = new ArrayList<>();
        if (s.equals("every-other")) {
            for (int i = 0; i < teacherLayers; i += 2) {
                layers.add(i);
            }
        } else if (s.startsWith("first:")) {
            int k = number(s.substring(6), spec);
            for (int i = 0; i < k; i++) {
                layers.add(i);
            }
        } else {
            for (String part : s.split(",")) {
                layers.add(number(part.trim(), spec));
            }
        }
        return check(layers, teacherLayers, spec);
    }

    private static int number(String s, String spec) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw ShrinkException.usage("invalid layer selection '" + spec
                    + "': expected a list like 0,2,4,7,9,11, every-other or first:K");
        }
    }

    private static List<Integer> check(List<Integer> layers, int teacherLayers, String spec) {
        if (layers.isEmpty()) {
            throw ShrinkException.usage("layer selection '" + spec + "' selects no layer");
        }
        Set<Integer> seen = new LinkedHashSet<>();
        for (int l : layers) {
            if (l < 0 || l >= teacherLayers) {
                throw ShrinkException.usage("layer " + l + " in '" + spec + "' is outside the teacher's layers 0.."
                        + (teacherLayers - 1));
            }
            if (!seen.add(l)) {
                throw ShrinkException.usage("layer " + l + " appears twice in '" + spec + "'");
            }
        }
        return List.copyOf(layers);
    }
}
