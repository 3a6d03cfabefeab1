package io.shrink.core.data;

import io.shrink.core.ShrinkException;
import io.shrink.core.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImdbReaderTest {
    @TempDir
    Path tmp;

    @Test
    void realJsonLines() {
        Path dir = TestData.dataDir().resolve("imdb");
        for (String split : List.of("train", "test")) {
            List<Example> reviews = ImdbReader.read(dir, split);
            assertEquals(25_000, reviews.size(), split);
            assertEquals(12_500, reviews.stream().filter(e -> e.label() == 1).count(), split);
            assertEquals(split + "/neg/0_", reviews.get(0).id().substring(0, split.length() + 7));
        }
    }

    @Test
    void treeAndJsonLinesAgree() throws IOException {
        Path root = tmp.resolve("tree/aclImdb");
        Files.createDirectories(root.resolve("test/pos"));
        Files.createDirectories(root.resolve("test/neg"));
        Files.writeString(root.resolve("test/pos/10_9.txt"), "Great<br />film\twith a tab.");
        Files.writeString(root.resolve("test/pos/2_7.txt"), "Good.");
        Files.writeString(root.resolve("test/neg/0_1.txt"), "Bad \u00e9.");
        List<Example> tree = ImdbReader.read(tmp.resolve("tree"), "test");
        assertEquals(List.of("test/neg/0_1", "test/pos/2_7", "test/pos/10_9"), tree.stream().map(Example::id).toList());
        assertEquals(List.of(0, 1, 1), tree.stream().map(Example::label).toList());
        assertEquals("Great<br />film\twith a tab.", tree.get(2).textA());

        String jsonl = "{\"id\":\"test/neg/0_1\",\"label\":0,\"rating\":1,\"text\":\"Bad \u00e9.\"}\n"
                + "{\"id\":\"test/pos/2_7\",\"label\":1,\"rating\":7,\"text\":\"Good.\"}\n"
                + "{\"id\":\"test/pos/10_9\",\"label\":1,\"rating\":9,\"text\":\"Great<br />film\\twith a tab.\"}\n";
        Path gz = Files.createDirectories(tmp.resolve("gz"));
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz.resolve("test.jsonl.gz")))) {
            out.write(jsonl.getBytes(StandardCharsets.UTF_8));
        }
        Path plain = Files.createDirectories(tmp.resolve("plain"));
        Files.writeString(plain.resolve("test.jsonl"), jsonl);
        for (Path dir : List.of(gz, plain)) {
            List<Example> lines = ImdbReader.read(dir, "test");
            assertEquals(tree.stream().map(Example::id).toList(), lines.stream().map(Example::id).toList());
            assertEquals(tree.stream().map(Example::textA).toList(), lines.stream().map(Example::textA).toList());
            assertEquals(tree.stream().map(Example::label).toList(), lines.stream().map(Example::label).toList());
        }
    }

    @Test
    void corruptJsonLines() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bad"));
        Files.writeString(dir.resolve("train.jsonl"), "{\"id\":\"a\",\"label\":1,\"text\":\"x\"}\n{\"id\":\"b\",\"label\":2,\"text\":\"y\"}\n");
        ShrinkException e = assertThrows(ShrinkException.class, () -> ImdbReader.read(dir, "train"));
        assertTrue(e.getMessage().endsWith("train.jsonl:2: bad label 2; expected 0 (neg) or 1 (pos)"), e.getMessage());
        Files.writeString(dir.resolve("train.jsonl"), "{\"id\":\"a\",\"label\":1,\"text\":\"x\"}\n{\"id\":\n");
        e = assertThrows(ShrinkException.class, () -> ImdbReader.read(dir, "train"));
        assertTrue(e.getMessage().contains("train.jsonl:2: malformed JSON"), e.getMessage());
        Files.writeString(dir.resolve("train.jsonl"), "");
        e = assertThrows(ShrinkException.class, () -> ImdbReader.read(dir, "train"));
        assertTrue(e.getMessage().endsWith("train.jsonl:1: empty file"), e.getMessage());
        Files.write(dir.resolve("train.jsonl"), new byte[] {'{', '"', (byte) 0xc3, '"', '}', '\n'});
        e = assertThrows(ShrinkException.class, () -> ImdbReader.read(dir, "train"));
        assertTrue(e.getMessage().contains("train.jsonl:1: invalid UTF-8"), e.getMessage());
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
    }

    @Test
    void controlCharactersInJsonStringsNameTheRecord() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("nul"));
        Files.writeString(dir.resolve("test.jsonl"), "{\"id\":\"a\",\"label\":1,\"text\":\"so \\u0010own\"}\n"
                + "{\"id\":\"b\",\"label\":0,\"text\":\"bad\\u0000\"}\n");
        ShrinkException e = assertThrows(ShrinkException.class, () -> ImdbReader.read(dir, "test"));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().endsWith("test.jsonl:2: control character U+0000 at character 4 of its 'text'; the data "
                + "files hold none (is the file corrupt or not text?)"), e.getMessage());
        Files.writeString(dir.resolve("test.jsonl"), "{\"id\":\"a\\u0007\",\"label\":1,\"text\":\"fine\"}\n");
        e = assertThrows(ShrinkException.class, () -> ImdbReader.read(dir, "test"));
        assertTrue(e.getMessage().contains("test.jsonl:1: control character U+0007 at character 2 of its 'id'"), e.getMessage());
        Files.writeString(dir.resolve("test.jsonl"), "{\"id\":\"a\",\"label\":1,\"text\":\"so \\u0010own\"}\n");
        assertEquals("so \u0010own", ImdbReader.read(dir, "test").get(0).textA(), "DLE occurs in an official review");

        Path root = tmp.resolve("tree");
        Files.createDirectories(root.resolve("test/pos"));
        Files.createDirectories(root.resolve("test/neg"));
        Files.writeString(root.resolve("test/pos/1_9.txt"), "great");
        Files.writeString(root.resolve("test/neg/2_1.txt"), "first line\nab\u0000c");
        e = assertThrows(ShrinkException.class, () -> ImdbReader.read(root, "test"));
        assertTrue(e.getMessage().contains("2_1.txt:2: control character U+0000 at character 3 of the line"), e.getMessage());
    }

    @Test
    void corruptTree() throws IOException {
        Path root = tmp.resolve("t");
        Files.createDirectories(root.resolve("train/pos"));
        Files.createDirectories(root.resolve("train/neg"));
        Files.write(root.resolve("train/neg/1_2.txt"), new byte[] {'o', 'k', (byte) 0xe9});
        ShrinkException e = assertThrows(ShrinkException.class, () -> ImdbReader.read(root, "train"));
        assertTrue(e.getMessage().endsWith("1_2.txt:1: invalid UTF-8; re-fetch the file"), e.getMessage());
        Files.writeString(root.resolve("train/neg/1_2.txt"), "fine");
        Files.writeString(root.resolve("train/pos/notes.txt"), "x");
        e = assertThrows(ShrinkException.class, () -> ImdbReader.read(root, "train"));
        assertTrue(e.getMessage().contains("not an IMDb review file name"), e.getMessage());
        assertEquals(ShrinkException.Kind.USAGE, assertThrows(ShrinkException.class, () -> ImdbReader.read(root, "unsup")).kind());
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT,
                assertThrows(ShrinkException.class, () -> ImdbReader.read(tmp.resolve("none"), "test")).kind());
    }
}
