package io.shrink.core.data;

import io.shrink.core.ShrinkException;
import io.shrink.core.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SquadReaderTest {
    @TempDir
    Path tmp;

    @Test
    void realDevAndArticleSplit() {
        Path file = TestData.dataDir().resolve("squad/v1.1/dev-v1.1.json");
        SquadDataset all = SquadReader.read(file);
        assertEquals("1.1", all.version());
        assertEquals(48, all.articles().size());
        assertEquals(10_570, all.questionCount());
        assertEquals(10_570, all.questions().size());
        assertEquals(2_067, all.articles().stream().mapToInt(a -> a.paragraphs().size()).sum());
        assertEquals(34_726, all.questions().stream().mapToInt(q -> q.answers().size()).sum());
        SquadDataset first = SquadReader.read(file, 0, 40);
        SquadDataset rest = SquadReader.read(file, 40, 48);
        assertEquals(40, first.articles().size());
        assertEquals(8, rest.articles().size());
        assertEquals(40, rest.articles().get(0).index());
        assertEquals(10_570, first.questionCount() + rest.questionCount());
        assertEquals("Super_Bowl_50", first.articles().get(0).title());
        all.questions().forEach(q -> q.answers().forEach(a ->
                assertEquals(a.text(), q.context().substring(a.start(), a.end()))));
    }

    private Path write(String json) throws IOException {
        return Files.writeString(tmp.resolve("squad.json"), json);
    }

    @Test
    void answerStartCountsCodePoints() throws IOException {
        Path f = write("{\"version\":\"1.1\",\"data\":[{\"title\":\"t\",\"paragraphs\":[{\"context\":\"\uD83D\uDE00 is a grin\","
                + "\"qas\":[{\"id\":\"q1\",\"question\":\"what?\",\"answers\":[{\"text\":\"grin\",\"answer_start\":7}]}]}]}]}");
        SquadDataset.Answer a = SquadReader.read(f).questions().get(0).answers().get(0);
        assertEquals(8, a.start());
        assertEquals(12, a.end());
    }

    @Test
    void escapedNulInAStringNamesFileAndRecord() throws IOException {
        Path f = write("{\"data\":[{\"title\":\"t\",\"paragraphs\":[{\"context\":\"The cat sat.\","
                + "\"qas\":[{\"id\":\"q1\",\"question\":\"who\\u0000?\",\"answers\":[{\"text\":\"cat\",\"answer_start\":4}]}]}]}]}");
        ShrinkException e = assertThrows(ShrinkException.class, () -> SquadReader.read(f));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().endsWith("squad.json: data[0].paragraphs[0].qas[0].question: control character U+0000 at "
                + "character 4 of the string; the data files hold none (is the file corrupt or not text?)"), e.getMessage());
        Files.writeString(f, Files.readString(f).replace("who\\u0000?", "who?").replace("The cat", "The\\u0001cat"));
        e = assertThrows(ShrinkException.class, () -> SquadReader.read(f));
        assertTrue(e.getMessage().contains("data[0].paragraphs[0].context: control character U+0001"), e.getMessage());
    }

    @Test
    void mismatchedAnswerStart() throws IOException {
        Path f = write("{\"data\":[{\"title\":\"t\",\"paragraphs\":[{\"context\":\"The cat sat.\","
                + "\"qas\":[{\"id\":\"q1\",\"question\":\"who?\",\"answers\":[{\"text\":\"cat\",\"answer_start\":3}]}]}]}]}");
        ShrinkException e = assertThrows(ShrinkException.class, () -> SquadReader.read(f));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().contains("data[0].paragraphs[0].qas[0].answers[0]: answer_start 3 does not match"),
                e.getMessage());
    }

    @Test
    void malformedJsonEmptyAndWrongVersion() throws IOException {
        ShrinkException e = assertThrows(ShrinkException.class, () -> SquadReader.read(write("{\"data\": [\n{]")));
        assertTrue(e.getMessage().contains("squad.json:2:") && e.getMessage().contains("malformed JSON"), e.getMessage());
        e = assertThrows(ShrinkException.class, () -> SquadReader.read(write("")));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        e = assertThrows(ShrinkException.class, () -> SquadReader.read(write("{\"version\":\"v2.0\",\"data\":[]}")));
        assertTrue(e.getMessage().contains("version v2.0"), e.getMessage());
        Path bad = Files.write(tmp.resolve("bad.json"), new byte[] {'{', '"', 'd', (byte) 0xff, '"', ':', '1', '}'});
        e = assertThrows(ShrinkException.class, () -> SquadReader.read(bad));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().contains("bad.json:1:"), e.getMessage());
    }

    @Test
    void badRange() throws IOException {
        Path f = write("{\"data\":[{\"title\":\"t\",\"paragraphs\":[]}]}");
        assertEquals(ShrinkException.Kind.USAGE, assertThrows(ShrinkException.class, () -> SquadReader.read(f, 5, 3)).kind());
        assertEquals(ShrinkException.Kind.USAGE, assertThrows(ShrinkException.class, () -> SquadReader.read(f, 1, 3)).kind());
        assertEquals(1, SquadReader.read(f, 0, 10).articles().size());
    }
}
