package io.shrink.core.task;

import io.shrink.core.data.SquadDataset;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** N-best span decoding on hand-made windows and logits. */
class SquadDecodeTest {
    private static final String CONTEXT = "The cat sat on the mat.";
    //                                     0   4   8   12 15  19 22
    private static final List<SquadDataset.Question> QUESTIONS =
            List.of(new SquadDataset.Question("q0", "Where did the cat sit?", CONTEXT, List.of(), 0));

    /**
     * A window: [CLS] where ? [SEP] then the context words from {@code firstWord}, then [SEP]. Token i of the
     * context part covers word firstWord + i.
     */
    private static SquadFeatures.Window window(int firstWord, int words) {
        int[][] spans = {{0, 3}, {4, 7}, {8, 11}, {12, 14}, {15, 18}, {19, 22}, {22, 23}};
        int n = 4 + words + 1;
        int[] starts = new int[n];
        int[] ends = new int[n];
        Arrays.fill(starts, -1);
        Arrays.fill(ends, -1);
        for (int i = 0; i < words; i++) {
            starts[4 + i] = spans[firstWord + i][0];
            ends[4 + i] = spans[firstWord + i][1];
        }
        return new SquadFeatures.Window(new int[n], new int[n], 0, starts, ends, -1, -1);
    }

    private static float[] logits(int n, int... hot) {
        float[] x = new float[n];
        Arrays.fill(x, -50f);
        for (int i = 0; i + 1 < hot.length; i += 2) {
            x[hot[i]] = hot[i + 1];
        }
        return x;
    }

    @Test
    void picksTheHighestScoringValidSpanAndCutsItFromTheContext() {
        SquadFeatures.Window w = window(0, 7); // 12 tokens
        String[] best = new String[1];
        double[] score = {Double.NEGATIVE_INFINITY};
        // start best at [CLS] (0, outside the context) then "the" (8 = 4 + 4); end best at "." (10) then "mat" (9)
        float[] st = logits(12, 0, 9, 8, 6, 5, 1);
        float[] en = logits(12, 0, 9, 10, 4, 9, 3);
        SquadTraining.decode(w, QUESTIONS, st, en, 0, best, score);
        assertEquals("the mat.", best[0], "[CLS] is outside the context; 'the' .. '.' scores 6 + 4");
        assertEquals(10.0, score[0], 1e-6);
    }

    @Test
    void rejectsSpansEndingBeforeTheirStartOrLongerThan30Tokens() {
        String[] best = new String[1];
        double[] score = {Double.NEGATIVE_INFINITY};
        // end before start: start "mat" (9) with end "cat" (5) would score 11 but is not a span; "sat" alone scores 2
        SquadTraining.decode(window(0, 7), QUESTIONS, logits(12, 9, 3, 6, 1), logits(12, 5, 8, 6, 1), 0, best, score);
        assertEquals("sat", best[0]);

        // a 40-token context: the longest-scoring pair spans 31 tokens, so the next best (30 tokens) wins
        int n = 4 + 40 + 1;
        int[] starts = new int[n];
        int[] ends = new int[n];
        Arrays.fill(starts, -1);
        Arrays.fill(ends, -1);
        StringBuilder ctx = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            starts[4 + i] = ctx.length();
            ctx.append("w").append(i);
            ends[4 + i] = ctx.length();
            ctx.append(' ');
        }
        List<SquadDataset.Question> q = List.of(new SquadDataset.Question("q1", "?", ctx.toString(), List.of(), 0));
        SquadFeatures.Window w = new SquadFeatures.Window(new int[n], new int[n], 0, starts, ends, -1, -1);
        String[] b = new String[1];
        double[] sc = {Double.NEGATIVE_INFINITY};
        SquadTraining.decode(w, q, logits(n, 4, 9), logits(n, 34, 9, 33, 8), 0, b, sc);
        assertEquals(ctx.substring(starts[4], ends[33]), b[0], "w0 .. w29: 30 tokens");
    }

    @Test
    void aQuestionKeepsTheBestSpanOverItsWindowsAndReadsItsRowOfTheBatch() {
        String[] best = new String[1];
        double[] score = {Double.NEGATIVE_INFINITY};
        SquadFeatures.Window first = window(0, 4); // The cat sat on: 9 tokens
        SquadFeatures.Window second = window(3, 4); // on the mat .: 9 tokens
        float[] st = new float[18];
        float[] en = new float[18];
        System.arraycopy(logits(9, 5, 3), 0, st, 0, 9);   // "cat", weak
        System.arraycopy(logits(9, 5, 3), 0, en, 0, 9);
        System.arraycopy(logits(9, 6, 7), 0, st, 9, 9);   // "mat", strong, in row 1
        System.arraycopy(logits(9, 6, 7), 0, en, 9, 9);
        SquadTraining.decode(first, QUESTIONS, st, en, 0, best, score);
        assertEquals("cat", best[0]);
        SquadTraining.decode(second, QUESTIONS, st, en, 9, best, score);
        assertEquals("mat", best[0]);
        assertEquals(14.0, score[0], 1e-6);
        SquadTraining.decode(first, QUESTIONS, st, en, 0, best, score);
        assertEquals("mat", best[0], "a weaker window later does not replace it");
    }

    @Test
    void aWindowWithNoContextTokensLeavesTheQuestionUnanswered() {
        String[] best = new String[1];
        double[] score = {Double.NEGATIVE_INFINITY};
        SquadTraining.decode(window(0, 0), QUESTIONS, logits(5, 0, 9), logits(5, 0, 9), 0, best, score);
        assertNull(best[0]);
    }
}
