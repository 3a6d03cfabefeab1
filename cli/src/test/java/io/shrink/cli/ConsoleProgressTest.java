package io.shrink.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsoleProgressTest {
    /**
     * What {@link ConsoleProgress} (a bar or plain lines) prints for "train" of 100 steps resumed at step 60
     * ({@code loss 0.5}), then {@code more}, then closed.
     */
    private static String resumedAt60(boolean bar, Consumer<ConsoleProgress> more) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleProgress p = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), bar);
        p.start("train", 100);
        p.update(60, "loss 0.5");
        more.accept(p);
        p.close();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void plainLinesCountTheEtaFromWhereAResumedRunStarted() {
        String out = resumedAt60(false, p -> {
            p.update(70, "loss 0.4");
            p.message("evaluating");
        });
        String[] lines = out.split("\n");
        assertEquals(3, lines.length);
        assertEquals("[train] 60/100 loss 0.5", lines[0], "the resumed step is reported without a rate or ETA");
        assertTrue(lines[1].matches("\\[train] 70/100 \\(70%\\) loss 0\\.4, elapsed \\d+:\\d\\d:\\d\\d, eta \\d+:\\d\\d:\\d\\d"),
                lines[1]);
        assertEquals("[train] evaluating", lines[2]);
        assertFalse(out.contains("\033"), "no terminal escapes in plain lines");
    }

    @Test
    void theBarStartsAtTheFirstReportedStep() {
        String out = resumedAt60(true, p -> { });
        assertTrue(out.contains("60/100"), out);
        assertFalse(out.contains(" 0/100"), "a resumed run's bar does not start from zero: " + out);
    }

    @Test
    void durationsPrintAsHoursMinutesSeconds() {
        assertEquals("0:00:05", ConsoleProgress.format(Duration.ofSeconds(5)));
        assertEquals("1:01:01", ConsoleProgress.format(Duration.ofSeconds(3661)));
    }
}
