package io.shrink.core.data;

import java.util.Locale;

/**
 * The control characters a data file may hold as text. Tab, line feed and carriage return, and the three C0
 * characters the official files themselves hold: backspace U+0008 (CoLA train.tsv lines 7130-7132), DLE U+0010 (an
 * IMDb training review) and DC2 U+0012 (STS-B train.tsv line 2920, in place of an apostrophe). Any other C0 control
 * character, NUL above all (what zero-filled blocks, UTF-16 text and binary files give), means the file is not the
 * text it should be, and readers reject it naming the file and line or record.
 */
final class ControlCharacters {
    private ControlCharacters() {
    }

    /** The index of the first control character in {@code s} that no official file holds, or -1. */
    static int firstForbidden(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != 0x08 && c != 0x10 && c != 0x12) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Null when {@code s} holds no forbidden control character, else what is wrong, e.g.
     * {@code control character U+0000 at character 17 of the text}, where {@code what} is "the text" or "the line".
     */
    static String problem(String s, String what) {
        int i = firstForbidden(s);
        return i < 0 ? null : describe(s.charAt(i), i + 1, what);
    }

    /** What is wrong with control character {@code c} at 1-based character {@code position} of {@code what}. */
    static String describe(char c, int position, String what) {
        return String.format(Locale.ROOT, "control character U+%04X at character %d of %s; the data files hold none "
                + "(is the file corrupt or not text?)", (int) c, position, what);
    }
}
