package io.shrink.core.distill;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** BERT's 15% selection with 80% [MASK] / 10% random / 10% unchanged, measured over many tokens. */
class MlmMaskingTest {
    static final int CLS = 101;
    static final int SEP = 102;
    static final int MASK = 103;

    @Test
    void selectionAndReplacementRates() {
        MlmMasking masking = new MlmMasking(MASK, 30522, Set.of(0, CLS, SEP), MlmMasking.RATE);
        Random data = new Random(1);
        Random rnd = new Random(2);
        long candidates = 0;
        long selected = 0;
        long masked = 0;
        long random = 0;
        long unchanged = 0;
        for (int n = 0; n < 2000; n++) {
            int[] ids = new int[128];
            ids[0] = CLS;
            ids[127] = SEP;
            for (int i = 1; i < 127; i++) {
                ids[i] = 1000 + data.nextInt(20000);
            }
            MlmMasking.Masked mk = masking.apply(ids, rnd);
            candidates += 126;
            selected += mk.positions().length;
            for (int k = 0; k < mk.positions().length; k++) {
                int p = mk.positions()[k];
                assertTrue(p != 0 && p != 127, "special tokens are never selected");
                assertEquals(ids[p], mk.labels()[k]);
                if (mk.ids()[p] == MASK) {
                    masked++;
                } else if (mk.ids()[p] == ids[p]) {
                    unchanged++;
                } else {
                    random++;
                }
            }
            for (int i = 0; i < 128; i++) {
                boolean chosen = java.util.Arrays.binarySearch(mk.positions(), i) >= 0;
                if (!chosen) {
                    assertEquals(ids[i], mk.ids()[i], "unselected tokens stay as they were");
                }
            }
        }
        // 252,000 candidates: 15% +- 0.3 points; of ~37,800 selected, 80/10/10 +- 1 point
        assertEquals(0.15, (double) selected / candidates, 0.003);
        assertEquals(0.80, (double) masked / selected, 0.01);
        assertEquals(0.10, (double) random / selected, 0.01);
        assertEquals(0.10, (double) unchanged / selected, 0.01);
    }

    @Test
    void sameSeedSameCorruptionAndAtLeastOneTarget() {
        MlmMasking masking = new MlmMasking(MASK, 100, Set.of(CLS, SEP), 0.15);
        int[] ids = {CLS, 5, 6, SEP};
        MlmMasking.Masked a = masking.apply(ids, new Random(7));
        MlmMasking.Masked b = masking.apply(ids, new Random(7));
        assertArrayEquals(a.ids(), b.ids());
        assertArrayEquals(a.positions(), b.positions());
        for (int seed = 0; seed < 50; seed++) {
            assertTrue(masking.apply(ids, new Random(seed)).positions().length >= 1, "a short sequence still gets a target");
        }
        assertEquals(0, masking.apply(new int[] {CLS, SEP}, new Random(1)).positions().length);
    }
}
