package io.shrink.core.tokenize;

import io.shrink.core.ShrinkException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A vocab.txt that is not UTF-8 text is a corrupt file, named with the byte offset and line of the first bad byte. */
class VocabularyFileTest {
    @TempDir
    Path tmp;

    @Test
    void invalidUtf8NamesTheByteOffsetAndLine() throws Exception {
        Path vocab = tmp.resolve("vocab.txt");
        byte[] head = "[PAD]\n[UNK]\ncaf".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[head.length + 3];
        System.arraycopy(head, 0, bytes, 0, head.length);
        bytes[head.length] = (byte) 0xe9; // Latin-1 é
        bytes[head.length + 1] = '\n';
        bytes[head.length + 2] = 'x';
        Files.write(vocab, bytes);
        ShrinkException e = assertThrows(ShrinkException.class, () -> WordPieceTokenizer.readVocabTxt(vocab, true));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertEquals("vocabulary " + vocab + " is not UTF-8 text: invalid UTF-8 at byte offset 15 (line 3, byte 0xE9); "
                + "a vocab.txt holds one UTF-8 token per line", e.getMessage());
    }

    @Test
    void randomBytesAreNotTextAndRealTextStillReads() throws Exception {
        byte[] noise = new byte[10 << 20];
        new Random(7).nextBytes(noise);
        Path vocab = Files.write(tmp.resolve("vocab.txt"), noise);
        ShrinkException e = assertThrows(ShrinkException.class, () -> WordPieceTokenizer.readVocabTxt(vocab, true));
        assertTrue(e.getMessage().contains("is not UTF-8 text: invalid UTF-8 at byte offset "), e.getMessage());
        Files.writeString(vocab, "[PAD]\r\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ncafé  \n##s\n");
        assertEquals(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "café", "##s"),
                WordPieceTokenizer.readVocabTxt(vocab, true).vocab());
    }
}
