package io.shrink.core.data;

import io.shrink.core.ShrinkException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
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

class CorpusTest {
    @TempDir
    Path tmp;

    static void gzip(Path file, byte[] content) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(content);
        }
    }

    /** The error reading {@code source} gives; asserts it is a missing-or-corrupt error (exit code 3). */
    static ShrinkException corrupt(Path source, int maxDocuments) {
        ShrinkException e = assertThrows(ShrinkException.class, () -> Corpus.read(source, maxDocuments));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind(), e.getMessage());
        return e;
    }

    /** Writes each file named (relative to {@code dir}) in {@code nameThenText} with the text after its name. */
    static void write(Path dir, String... nameThenText) throws IOException {
        for (int i = 0; i < nameThenText.length; i += 2) {
            Files.writeString(dir.resolve(nameThenText[i]), nameThenText[i + 1]);
        }
    }

    static void assertContains(String expected, String message) {
        assertTrue(message.contains(expected), "expected '" + expected + "' in: " + message);
    }

    @Test
    void textFileIsOneDocumentPerLineWithoutBlankLines() throws IOException {
        Path f = tmp.resolve("corpus.txt");
        Files.writeString(f, "\uFEFFthe first document.\n\n   \n  the second, indented  \r\n\t\nthe third\u00e9 ends without newline");
        Corpus c = Corpus.read(f, 0);
        assertEquals(List.of("the first document.", "the second, indented", "the third\u00e9 ends without newline"), c.documents());
        assertEquals(List.of(f), c.files());
        // a file that is not .jsonl is text even when its lines look like JSON
        Path json = tmp.resolve("lines.json");
        Files.writeString(json, "{\"text\": \"a\"}\n");
        assertEquals(List.of("{\"text\": \"a\"}"), Corpus.read(json, 0).documents());
    }

    @Test
    void jsonLinesTakeTheTextField() throws IOException {
        String jsonl = "{\"id\": 1, \"label\": 0, \"text\": \"Bad \\u00e9 movie.\"}\n"
                + "\n"
                + "{\"text\": \"two\\nlines\", \"rating\": 9}\r\n"
                + "   \n"
                + "{\"text\": \"last\"}";
        Path plain = tmp.resolve("train.jsonl");
        Files.writeString(plain, jsonl);
        List<String> expected = List.of("Bad \u00e9 movie.", "two\nlines", "last");
        Corpus c = Corpus.read(plain, 0);
        assertEquals(expected, c.documents());
        assertEquals(List.of(plain), c.files());

        Path gz = tmp.resolve("train.jsonl.gz");
        gzip(gz, jsonl.getBytes(StandardCharsets.UTF_8));
        Corpus z = Corpus.read(gz, 0);
        assertEquals(expected, z.documents());
        assertEquals(List.of(gz), z.files());
    }

    @Test
    void nulInATextLineOrAJsonStringNamesTheLine() throws IOException {
        Path txt = tmp.resolve("bin.txt");
        Files.write(txt, new byte[] {'o', 'k', '\n', 'a', 0, 0, 'b', '\n'});
        ShrinkException e = assertThrows(ShrinkException.class, () -> Corpus.read(txt, 0));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().contains("bin.txt:2: control character U+0000 at character 2 of the line"), e.getMessage());
        Path jsonl = tmp.resolve("docs.jsonl");
        Files.writeString(jsonl, "{\"text\": \"fine\"}\n{\"text\": \"x\\u0000\"}\n");
        e = assertThrows(ShrinkException.class, () -> Corpus.read(jsonl, 0));
        assertTrue(e.getMessage().contains("docs.jsonl:2: control character U+0000 at character 2 of its 'text'"), e.getMessage());
    }

    @Test
    void gzippedTextFileIsReadAsText() throws IOException {
        Path gz = tmp.resolve("wiki.txt.gz");
        gzip(gz, "alpha beta\n\ngamma\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("alpha beta", "gamma"), Corpus.read(gz, 0).documents());
    }

    @Test
    void folderOfTextFilesRecursivelyInNameOrder() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("docs"));
        Files.createDirectories(dir.resolve("sub/deeper"));
        write(dir,
                "b.txt", "bee document\n",
                "a.txt", "  line one\n\nline two\n\n",
                "empty.txt", " \n\n",
                "sub/deeper/d.txt", "dee",
                "sub/c.txt", "sea",
                "notes.md", "ignored markdown",
                "a.txt.bak", "ignored backup",
                "data.jsonl", "{\"text\": \"ignored json\"}\n");
        Files.createDirectories(dir.resolve("folder.txt")); // a folder named like a text file is not a document

        Corpus c = Corpus.read(dir, 0);
        // one document per file, lines joined with newlines, surrounding blanks removed; the blank file adds none
        assertEquals(List.of("line one\n\nline two", "bee document", "sea", "dee"), c.documents());
        assertEquals(List.of(dir), c.files(), "a folder is recorded (and hashed) as a whole");
    }

    @Test
    void anAclImdbFolderContributesOnlyItsTrainingReviews() throws IOException {
        Path root = tmp.resolve("imdb");
        Path acl = root.resolve("aclImdb");
        for (String d : List.of("train/neg", "train/pos", "train/unsup", "test/pos", "test/neg")) {
            Files.createDirectories(acl.resolve(d));
        }
        write(acl,
                "train/neg/1_2.txt", "bad film",
                "train/pos/2_9.txt", "good film",
                "train/unsup/3_0.txt", "some film",
                "test/pos/4_10.txt", "held-out review",
                "train/urls_pos.txt", "http://www.imdb.com/title/tt0453418/usercomments",
                "imdbEr.txt", "0.0490972013402");

        for (Path source : List.of(root, acl)) {
            Corpus c = Corpus.read(source, 0);
            assertEquals(List.of("bad film", "good film", "some film"), c.documents());
            assertEquals(List.of(acl.resolve("train/neg"), acl.resolve("train/pos"), acl.resolve("train/unsup")),
                    c.files());
        }
    }

    @Test
    void maxDocumentsLimitsEveryKindOfSource() throws IOException {
        Path txt = tmp.resolve("c.txt");
        Files.writeString(txt, "one\n\ntwo\nthree\nfour\n");
        assertEquals(List.of("one", "two"), Corpus.read(txt, 2).documents());
        assertEquals(List.of("one", "two", "three", "four"), Corpus.read(txt, 0).documents());
        assertEquals(List.of("one", "two", "three", "four"), Corpus.read(txt, 10).documents());

        Path jsonl = tmp.resolve("c.jsonl");
        Files.writeString(jsonl, "{\"text\":\"one\"}\n{\"text\":\"two\"}\n{\"text\":\"three\"}\n");
        assertEquals(List.of("one"), Corpus.read(jsonl, 1).documents());

        Path dir = Files.createDirectories(tmp.resolve("dir"));
        for (String n : List.of("1", "2", "3")) {
            Files.writeString(dir.resolve(n + ".txt"), "doc " + n);
        }
        Corpus c = Corpus.read(dir, 2);
        assertEquals(List.of("doc 1", "doc 2"), c.documents());
        assertEquals(List.of(dir), c.files());
    }

    @Test
    void malformedJsonNamesFileAndLine() throws IOException {
        Path f = tmp.resolve("bad.jsonl");
        Files.writeString(f, "{\"text\": \"fine\"}\n\n{\"text\": \n");
        ShrinkException e = corrupt(f, 0);
        assertContains("bad.jsonl:3: malformed JSON", e.getMessage());
    }

    @Test
    void missingOrNonStringTextNamesFileAndLine() throws IOException {
        Path f = tmp.resolve("notext.jsonl");
        for (String bad : List.of("{\"label\": 1}", "{\"text\": 5}", "{\"text\": null}", "{\"text\": [\"a\"]}",
                "[\"text\"]", "\"text\"", "null")) {
            Files.writeString(f, "{\"text\": \"fine\"}\n" + bad + "\n");
            ShrinkException e = corrupt(f, 0);
            assertContains("notext.jsonl:2: expected a JSON object with a 'text' string", e.getMessage());
        }
    }

    @Test
    void invalidUtf8NamesFileAndLine() throws IOException {
        Path txt = tmp.resolve("latin1.txt");
        Files.write(txt, new byte[] {'o', 'k', '\n', 'c', 'a', 'f', (byte) 0xe9, '\n'});
        assertContains("latin1.txt:2: invalid UTF-8", corrupt(txt, 0).getMessage());

        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("{\"text\": \"ok\"}\n{\"text\": \"ok\"}\n{\"text\": \"".getBytes(StandardCharsets.UTF_8));
        b.write(0xc3); // a lead byte without its continuation
        b.writeBytes("\"}\n".getBytes(StandardCharsets.UTF_8));
        Path gz = tmp.resolve("broken.jsonl.gz");
        gzip(gz, b.toByteArray());
        assertContains("broken.jsonl.gz:3: invalid UTF-8", corrupt(gz, 0).getMessage());

        Path dir = Files.createDirectories(tmp.resolve("dir"));
        Files.writeString(dir.resolve("a.txt"), "fine");
        Files.write(dir.resolve("b.txt"), new byte[] {'x', '\n', 'y', '\n', (byte) 0xff, '\n'});
        assertContains("b.txt:3: invalid UTF-8", corrupt(dir, 0).getMessage());
    }

    @Test
    void emptyCorpusIsAnError() throws IOException {
        Path empty = tmp.resolve("empty.txt");
        Files.writeString(empty, "");
        assertContains("holds no text", corrupt(empty, 0).getMessage());

        Path blank = tmp.resolve("blank.jsonl");
        Files.writeString(blank, "\n  \n\r\n");
        assertContains("holds no text", corrupt(blank, 0).getMessage());

        Path noTxt = Files.createDirectories(tmp.resolve("no-txt"));
        Files.writeString(noTxt.resolve("readme.md"), "text, but not in a .txt file");
        ShrinkException e = corrupt(noTxt, 0);
        assertContains("holds no text", e.getMessage());
        assertContains(noTxt.toString(), e.getMessage());

        Path blankFiles = Files.createDirectories(tmp.resolve("blank-files"));
        write(blankFiles, "a.txt", "\n \n", "b.txt", "");
        assertContains("holds no text", corrupt(blankFiles, 0).getMessage());
    }

    @Test
    void missingPathIsAnError() {
        Path missing = tmp.resolve("no-such-corpus.txt");
        assertContains(missing.toString(), corrupt(missing, 0).getMessage());
        Path missingDir = tmp.resolve("no-such-dir").resolve("x.jsonl.gz");
        assertContains(missingDir.toString(), corrupt(missingDir, 0).getMessage());
    }

    @Test
    void noCorpusIsAUsageError() {
        ShrinkException e = assertThrows(ShrinkException.class, () -> Corpus.read(null, 0));
        assertEquals(ShrinkException.Kind.USAGE, e.kind());
        assertContains("--corpus", e.getMessage());
    }

    @Test
    void documentsAndFilesAreImmutable() throws IOException {
        Path f = tmp.resolve("c.txt");
        Files.writeString(f, "one\ntwo\n");
        Corpus c = Corpus.read(f, 0);
        assertThrows(UnsupportedOperationException.class, () -> c.documents().add("three"));
        assertThrows(UnsupportedOperationException.class, () -> c.files().clear());
    }

    @Test
    void stopsReadingAtTheLimitTrailingJsonIsAnErrorBlankTextsAreSkipped(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path f = dir.resolve("probe.txt");
        java.nio.file.Files.write(f, new byte[] {'o', 'n', 'e', '\n', 't', 'w', 'o', '\n', (byte) 0xff, '\n'});
        assertEquals(List.of("one", "two"), Corpus.read(f, 2).documents(), "the line after the limit is not read");
        Path trailing = dir.resolve("t.jsonl");
        java.nio.file.Files.writeString(trailing, "{\"text\": \"a\"}\n{\"text\": \"b\"} xyz\n");
        io.shrink.core.ShrinkException e = org.junit.jupiter.api.Assertions.assertThrows(io.shrink.core.ShrinkException.class,
                () -> Corpus.read(trailing, 0));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("t.jsonl:2"), e.getMessage());
        Path blank = dir.resolve("b.jsonl");
        java.nio.file.Files.writeString(blank, "{\"text\": \"  \"}\n{\"text\": \"\"}\n{\"text\": \"real\"}\n");
        assertEquals(List.of("real"), Corpus.read(blank, 0).documents());
        Path onlyBlank = dir.resolve("ob.jsonl");
        java.nio.file.Files.writeString(onlyBlank, "{\"text\": \"  \"}\n");
        org.junit.jupiter.api.Assertions.assertThrows(io.shrink.core.ShrinkException.class, () -> Corpus.read(onlyBlank, 0));
    }
}
