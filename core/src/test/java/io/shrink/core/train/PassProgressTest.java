package io.shrink.core.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PassProgressTest {
    /** Records what a pass reports. */
    private static final class Recorder implements Progress {
        final List<String> starts = new ArrayList<>();
        final List<Long> done = new ArrayList<>();
        final List<String> status = new ArrayList<>();

        @Override
        public void start(String label, long total) {
            starts.add(label + ":" + total);
        }

        @Override
        public void update(long d, String s) {
            done.add(d);
            status.add(s);
        }

        @Override
        public void message(String line) {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aLongPassReportsAboutEveryTwentiethBatchAndItsEnd() {
        Recorder r = new Recorder();
        PassProgress pass = new PassProgress(r, "teacher", 6450, 101); // 100 batches of 64, one of 50
        for (int b = 0; b < 100; b++) {
            pass.batchDone(64);
        }
        pass.batchDone(50);
        assertEquals(List.of("teacher:6450"), r.starts);
        // the start, every 5th batch (101 / 20 = 5): batches 5, 10, ..., 100, then the last one
        assertEquals(22, r.done.size());
        assertEquals(0L, r.done.get(0));
        assertEquals(5L * 64, r.done.get(1));
        assertEquals(100L * 64, r.done.get(20));
        assertEquals(6450L, r.done.get(21));
        assertTrue(r.status.get(21).endsWith(" ex/s"), r.status.get(21));
    }

    @Test
    void aShortPassReportsEveryBatch() {
        Recorder r = new Recorder();
        PassProgress pass = new PassProgress(r, "teacher", 10, 3);
        pass.batchDone(4);
        pass.batchDone(4);
        pass.batchDone(2);
        assertEquals(List.of(0L, 4L, 8L, 10L), r.done);
    }

    @Test
    void aPassSortedByLengthCountsPaddedTokensSoItsEtaFollowsTheWork() {
        Recorder r = new Recorder();
        // three batches of 4, 4 and 2 examples, padded to 5, 10 and 40 tokens: 20 + 40 + 80 = 140 tokens
        PassProgress pass = PassProgress.weighted(r, "teacher", 10, new long[] {20, 40, 80});
        pass.batchDone(4);
        pass.batchDone(4);
        assertEquals(List.of("teacher:140"), r.starts);
        assertEquals(List.of(0L, 20L, 60L), r.done, "8 of 10 examples are done but only 60 of 140 tokens");
        assertTrue(r.status.get(2).startsWith("8/10 examples, "), r.status.get(2));
        pass.batchDone(2);
        assertEquals(140L, r.done.get(3));
        assertTrue(r.status.get(3).startsWith("10/10 examples, ") && r.status.get(3).endsWith(" ex/s"), r.status.get(3));
    }
}
