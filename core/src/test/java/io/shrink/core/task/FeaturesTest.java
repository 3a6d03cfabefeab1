package io.shrink.core.task;

import io.shrink.core.TinyModels;
import io.shrink.core.data.SquadDataset;
import io.shrink.core.tokenize.WordPieceTokenizer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeaturesTest {
    static final WordPieceTokenizer TOK = new WordPieceTokenizer(TinyModels.vocab());

    @Test
    void headTailKeepsTheFirstQuarterAndTheLastThreeQuarters() {
        // 40 single-letter words; budget 18 - 2 = 16 tokens: head 4, tail 12
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            text.append((char) ('a' + i % 26)).append(' ');
        }
        Features.Feature f = Features.headTail(TOK, text.toString(), 18, 0);
        assertEquals(18, f.ids().length);
        List<String> pieces = TOK.tokenize(text.toString());
        assertEquals(TOK.clsId(), f.ids()[0]);
        assertEquals(TOK.sepId(), f.ids()[17]);
        for (int i = 0; i < 4; i++) {
            assertEquals(TOK.tokenId(pieces.get(i)), f.ids()[1 + i], "head " + i);
        }
        for (int i = 0; i < 12; i++) {
            assertEquals(TOK.tokenId(pieces.get(28 + i)), f.ids()[5 + i], "tail " + i);
        }
    }

    @Test
    void bucketedBatchesAreDeterministicAndCoverEveryFeatureOnce() {
        List<Features.Feature> features = new ArrayList<>();
        for (int i = 0; i < 203; i++) {
            features.add(new Features.Feature(new int[3 + i % 17], new int[3 + i % 17], i));
        }
        List<List<Features.Feature>> a = Features.bucketedBatches(features, 8, 7, 1);
        List<List<Features.Feature>> b = Features.bucketedBatches(features, 8, 7, 1);
        List<List<Features.Feature>> c = Features.bucketedBatches(features, 8, 7, 2);
        assertEquals(a, b, "same seed and epoch, same batches");
        assertTrue(!a.equals(c), "another epoch, another order");
        Set<Integer> seen = new HashSet<>();
        int padded = 0;
        int unpadded = 0;
        for (List<Features.Feature> batch : a) {
            int longest = batch.stream().mapToInt(f -> f.ids().length).max().orElse(0);
            for (Features.Feature f : batch) {
                assertTrue(seen.add(f.example()));
                padded += longest;
                unpadded += f.ids().length;
            }
        }
        assertEquals(203, seen.size());
        assertTrue(padded < unpadded * 1.2, "length bucketing keeps padding small: " + padded + " vs " + unpadded);
    }

    @Test
    void squadWindowsOverlapByTheStrideAndLocateTheAnswer() {
        String context = "the cat sat on the mat . the dog sat on the mat . paris is the capital of france .";
        int start = context.indexOf("paris");
        SquadDataset.Question q = new SquadDataset.Question("q1", "what is the capital of france ?", context,
                List.of(new SquadDataset.Answer("paris", start, start + 5)), 0);
        // question 7 tokens; max length 20 -> 10 context tokens per window, stride 4 -> step 6
        List<SquadFeatures.Window> windows = SquadFeatures.encode(TOK, List.of(q), 20, 4, 64, true);
        assertTrue(windows.size() >= 3, "several windows: " + windows.size());
        int located = 0;
        for (SquadFeatures.Window w : windows) {
            assertTrue(w.ids().length <= 20);
            if (w.start() > 0) {
                located++;
                assertEquals("paris", context.substring(w.charStarts()[w.start()], w.charEnds()[w.end()]));
            } else {
                assertEquals(0, w.end(), "no answer in this window: both positions at [CLS]");
            }
        }
        assertTrue(located >= 1);
        int[] w0 = windows.get(0).charStarts();
        int[] w1 = windows.get(1).charStarts();
        int lastOfFirst = w0[w0.length - 2];
        int firstOfSecond = java.util.Arrays.stream(w1).filter(x -> x >= 0).findFirst().orElseThrow();
        long shared = java.util.Arrays.stream(w1).filter(x -> x >= firstOfSecond && x <= lastOfFirst).count();
        assertEquals(4, shared, "consecutive windows share the stride's 4 context tokens");
    }
}
