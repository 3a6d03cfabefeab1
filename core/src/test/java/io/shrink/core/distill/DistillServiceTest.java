package io.shrink.core.distill;

import io.shrink.core.TinyModels;
import io.shrink.core.task.Features;
import io.shrink.core.registry.RegistryEntry;
import io.shrink.core.tokenize.WordPieceTokenizer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tensor-free helpers of {@link DistillService}: tempered teacher targets and corpus chunking. */
class DistillServiceTest {
    static final WordPieceTokenizer TOK = new WordPieceTokenizer(TinyModels.vocab());
    static final List<String> WORDS = List.of("the", "cat", "sat", "on", "mat", "dog", "is", "good", "bad", "movie");

    /** {@code n} whole-word pieces from {@link #WORDS}, space separated. */
    static String words(int n) {
        List<String> w = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            w.add(WORDS.get(i % WORDS.size()));
        }
        return String.join(" ", w);
    }

    static void assertProbabilities(double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        double sum = 0;
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6, "class " + i + " of " + Arrays.toString(actual));
            sum += actual[i];
        }
        assertEquals(1.0, sum, 1e-6);
    }

    // ---- derivedLayers ----

    static RegistryEntry madeBy(RegistryEntry.Lineage lineage) {
        return new RegistryEntry(RegistryEntry.SCHEMA_VERSION, "s", "bert", null, null, 0, 0, 0, null, null, null, "p", lineage, null, null, null);
    }

    @Test
    void derivedLayersAreReadFromAModelsDeriveLineageOnly() {
        RegistryEntry derived = madeBy(new RegistryEntry.Lineage("models derive", "p", Map.of("layers", List.of(0, 2, 4, 7, 9, 11)), null));
        assertEquals(List.of(0, 2, 4, 7, 9, 11), DistillService.derivedLayers(derived, 6));
        assertNull(DistillService.derivedLayers(derived, 4), "a list that does not match the student's depth");
        assertNull(DistillService.derivedLayers(madeBy(new RegistryEntry.Lineage("distill", "p", Map.of("layers", List.of(0, 1)), null)), 2));
        assertNull(DistillService.derivedLayers(madeBy(new RegistryEntry.Lineage("models derive", "p", null, null)), 2));
        assertNull(DistillService.derivedLayers(madeBy(null), 2));
    }

    // ---- tempered ----

    @Test
    void temperedIsSoftmaxOfLogitsOverTemperature() {
        float[][] logits = {{1, 2, 0}, {0.5f, 1.5f, -1}, {3, 3}};
        float[][] p = DistillService.tempered(logits, 2.0);
        assertEquals(3, p.length);
        // softmax(z / 2) by hand (Python, double precision)
        assertProbabilities(new double[] {0.3071958857184984, 0.506480391055654, 0.18632372322584756}, p[0]);
        assertProbabilities(new double[] {0.320401109026613, 0.5282521236080877, 0.1513467673652992}, p[1]);
        assertProbabilities(new double[] {0.5, 0.5}, p[2]);
        // T = 1 is the plain softmax, sharper than T = 2
        assertProbabilities(new double[] {0.24472847105479764, 0.6652409557748219, 0.09003057317038046},
                DistillService.tempered(new float[][] {{1, 2, 0}}, 1.0)[0]);
        // the input is left as it was
        assertArrayEquals(new float[] {1, 2, 0}, logits[0]);
    }

    @Test
    void temperedIsStableForLargeLogits() {
        // exp(2000) overflows a double; softmax([1000, 1001, 999] / 0.5) by hand after subtracting the maximum
        float[][] p = DistillService.tempered(new float[][] {{1000, 1001, 999}, {-1000, -1000}}, 0.5);
        assertProbabilities(new double[] {0.11731042782619835, 0.8668133321973347, 0.015876239976466762}, p[0]);
        assertProbabilities(new double[] {0.5, 0.5}, p[1]);
    }

    @Test
    void temperedRowsSumToOne() {
        float[][] logits = new float[8][];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = new float[2 + i];
            for (int c = 0; c < logits[i].length; c++) {
                logits[i][c] = (float) (rnd.nextDouble() * 20 - 10);
            }
        }
        for (double t : new double[] {0.5, 1, 2, 8}) {
            float[][] p = DistillService.tempered(logits, t);
            for (int i = 0; i < p.length; i++) {
                assertEquals(logits[i].length, p[i].length);
                double sum = 0;
                for (float v : p[i]) {
                    assertTrue(v >= 0 && v <= 1, "probability " + v);
                    sum += v;
                }
                assertEquals(1.0, sum, 1e-6, "row " + i + " at T=" + t);
            }
        }
        assertEquals(0, DistillService.tempered(new float[0][], 2).length);
    }

    // ---- chunks ----

    /** Every chunk is [CLS] pieces [SEP], within maxLength, with zero token types, numbered in order. */
    static void assertWellFormed(List<Features.Feature> chunks, int maxLength) {
        for (int i = 0; i < chunks.size(); i++) {
            int[] ids = chunks.get(i).ids();
            assertTrue(ids.length <= maxLength, "chunk " + i + " has " + ids.length + " tokens");
            assertTrue(ids.length >= 3, "chunk " + i + " has no text");
            assertEquals(TOK.clsId(), ids[0], "chunk " + i + " starts with [CLS]");
            assertEquals(TOK.sepId(), ids[ids.length - 1], "chunk " + i + " ends with [SEP]");
            for (int j = 1; j < ids.length - 1; j++) {
                assertTrue(ids[j] != TOK.clsId() && ids[j] != TOK.sepId() && ids[j] != TOK.padId(), "chunk " + i + " token " + j);
            }
            assertArrayEquals(new int[ids.length], chunks.get(i).types(), "single segment");
            assertEquals(i, chunks.get(i).example(), "numbered in order");
        }
    }

    /** The pieces between [CLS] and [SEP] of every chunk, concatenated. */
    static List<Integer> inner(List<Features.Feature> chunks) {
        List<Integer> out = new ArrayList<>();
        for (Features.Feature f : chunks) {
            for (int j = 1; j < f.ids().length - 1; j++) {
                out.add(f.ids()[j]);
            }
        }
        return out;
    }

    static List<Integer> ids(String text) {
        return TOK.tokenize(text).stream().map(TOK::tokenId).toList();
    }

    @Test
    void shortDocumentIsOneChunkByHand() {
        // vocabulary order of TinyModels.vocab(): [CLS] 2, [SEP] 3, the 72, cat 73, sat 74, on 75, mat 76
        List<Features.Feature> c = DistillService.chunks(TOK, List.of("The cat sat on the mat"), 8);
        assertEquals(1, c.size());
        assertArrayEquals(new int[] {2, 72, 73, 74, 75, 72, 76, 3}, c.get(0).ids());
        // a document shorter than four pieces is kept when it is all there is
        List<Features.Feature> one = DistillService.chunks(TOK, List.of("cat"), 8);
        assertEquals(1, one.size());
        assertArrayEquals(new int[] {2, 73, 3}, one.get(0).ids());
    }

    @Test
    void longDocumentIsSplitCoveringEveryPieceInOrder() {
        // 20 pieces, budget 10 - 2 = 8: pieces [0, 8), [8, 16), [16, 20)
        String doc = words(20);
        assertEquals(20, TOK.tokenize(doc).size());
        List<Features.Feature> c = DistillService.chunks(TOK, List.of(doc), 10);
        assertWellFormed(c, 10);
        assertEquals(List.of(10, 10, 6), c.stream().map(f -> f.ids().length).toList());
        assertEquals(ids(doc), inner(c));

        // exactly one budget of pieces: a single full chunk, no empty one after it
        List<Features.Feature> exact = DistillService.chunks(TOK, List.of(words(8)), 10);
        assertEquals(1, exact.size());
        assertEquals(10, exact.get(0).ids().length);

        // pieces of split words stay in order across chunk boundaries
        String split = "sitting jumped walking the cat sat laughing quickly";
        List<Integer> pieces = ids(split);
        assertTrue(pieces.size() > 20, "words split into several pieces: " + TOK.tokenize(split));
        for (int maxLength : new int[] {8, 16, 64}) {
            List<Features.Feature> s = DistillService.chunks(TOK, List.of(split), maxLength);
            assertWellFormed(s, maxLength);
            int budget = maxLength - 2;
            int tail = pieces.size() % budget;
            int kept = tail > 0 && tail < 4 && pieces.size() > budget ? pieces.size() - tail : pieces.size();
            assertEquals(pieces.subList(0, kept), inner(s), "maxLength " + maxLength);
        }
    }

    @Test
    void veryShortTrailingPieceIsDropped() {
        // budget 8; 16 + 1, 16 + 2 and 16 + 3 pieces leave a tail of fewer than four pieces: dropped
        for (int n : new int[] {17, 18, 19}) {
            String doc = words(n);
            List<Features.Feature> c = DistillService.chunks(TOK, List.of(doc), 10);
            assertWellFormed(c, 10);
            assertEquals(2, c.size(), n + " pieces");
            assertEquals(ids(doc).subList(0, 16), inner(c), n + " pieces");
        }
        // a tail of exactly four pieces is kept
        List<Features.Feature> four = DistillService.chunks(TOK, List.of(words(20)), 10);
        assertEquals(3, four.size());
        assertEquals(6, four.get(2).ids().length);
        // with budget 126 (maxLength 128): 126 + 3 pieces gives one chunk, 126 + 4 two
        assertEquals(1, DistillService.chunks(TOK, List.of(words(129)), 128).size());
        assertEquals(2, DistillService.chunks(TOK, List.of(words(130)), 128).size());
    }

    @Test
    void documentsAreChunkedSeparatelyInOrder() {
        List<String> docs = List.of(words(12), "", "   ", "dog", words(5));
        List<Features.Feature> c = DistillService.chunks(TOK, docs, 10);
        assertWellFormed(c, 10);
        // 12 pieces: 8 + 4 (kept); blank documents give nothing; "dog" alone; 5 pieces
        assertEquals(List.of(10, 6, 3, 7), c.stream().map(f -> f.ids().length).toList());
        List<Integer> all = new ArrayList<>();
        for (String d : docs) {
            all.addAll(ids(d));
        }
        assertEquals(all, inner(c));
        // a chunk never spans two documents: the third chunk is "dog" alone
        assertArrayEquals(new int[] {2, 77, 3}, c.get(2).ids());
        assertEquals(List.of(), DistillService.chunks(TOK, List.of("", " \n "), 10));
    }
}
