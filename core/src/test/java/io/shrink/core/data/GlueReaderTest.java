package io.shrink.core.data;

import io.shrink.core.ShrinkException;
import io.shrink.core.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GlueReaderTest {
    @TempDir
    Path tmp;

    private static Path fixtures() throws URISyntaxException {
        return Path.of(GlueReaderTest.class.getResource("/glue").toURI());
    }

    @Test
    void registryAcceptsShortAndDirectoryNames() {
        assertSame(GlueTask.SST2, GlueTask.of("SST-2"));
        assertSame(GlueTask.SST2, GlueTask.of("sst2"));
        assertSame(GlueTask.STSB, GlueTask.of("STS-B"));
        assertSame(GlueTask.MNLI, GlueTask.of("MNLI"));
        assertEquals(9, GlueTask.ALL.size());
        ShrinkException e = assertThrows(ShrinkException.class, () -> GlueTask.of("squad"));
        assertEquals(ShrinkException.Kind.USAGE, e.kind());
        assertTrue(GlueTask.STSB.regression());
        assertEquals(1, GlueTask.STSB.numOutputs());
        assertEquals(3, GlueTask.MNLI.numOutputs());
        assertEquals(List.of("accuracy_matched", "accuracy_mismatched"), GlueTask.MNLI.resultKeys());
        assertEquals(List.of("f1", "accuracy"), GlueTask.MRPC.resultKeys());
    }

    @Test
    void mnliFixtureByHeaderNames() throws Exception {
        List<Example> train = GlueReader.read(fixtures(), GlueTask.MNLI, "train");
        assertEquals(3, train.size());
        assertEquals("The \"plan\" was approved.", train.get(1).textA());
        assertEquals("It works well.", train.get(1).textB());
        assertEquals(List.of(0, 1, 2), train.stream().map(Example::label).toList());
        assertEquals(3, train.get(1).line());
        List<Example> mm = GlueReader.read(fixtures(), GlueTask.MNLI, "dev_mismatched");
        assertEquals("Prices rose (mismatched).", mm.get(1).textA());
        assertEquals(2, mm.get(1).label());
        List<Example> test = GlueReader.read(fixtures(), GlueTask.MNLI, "test_matched");
        assertEquals(1, test.size());
        assertFalse(test.get(0).labelled());
        assertEquals(Example.UNLABELLED, test.get(0).label());
    }

    @Test
    void qqpQnliWnliFixtures() throws Exception {
        List<Example> qqp = GlueReader.read(fixtures(), GlueTask.QQP, "dev");
        assertEquals(List.of(1, 0, 1), qqp.stream().map(Example::label).toList());
        assertEquals("What does \"QUOTE_NONE\" mean?", qqp.get(2).textA());
        assertEquals("2", qqp.get(2).id());
        assertFalse(GlueReader.read(fixtures(), GlueTask.QQP, "test").get(0).labelled());
        List<Example> qnli = GlueReader.read(fixtures(), GlueTask.QNLI, "dev");
        assertEquals(List.of(0, 1), qnli.stream().map(Example::label).toList());
        assertEquals("When was the bridge built?", qnli.get(0).textA());
        List<Example> wnli = GlueReader.read(fixtures(), GlueTask.WNLI, "train");
        assertEquals(List.of(1, 0), wnli.stream().map(Example::label).toList());
        assertEquals(1, GlueReader.read(fixtures(), GlueTask.WNLI, "test").size());
        assertEquals(1, GlueReader.read(fixtures(), GlueTask.QNLI, "test").size());
    }

    @Test
    void colaSst2MrpcStsbRteFixtures() throws Exception {
        List<Example> cola = GlueReader.read(fixtures(), GlueTask.COLA, "train");
        assertEquals(List.of(1, 0, 1), cola.stream().map(Example::label).toList());
        assertEquals("She said \"stop\" twice.", cola.get(2).textA(), "no header, no quote processing");
        assertEquals(1, cola.get(0).line(), "headerless: the first row is line 1");
        assertNull(cola.get(0).textB());
        assertEquals(List.of(0, 1), GlueReader.read(fixtures(), GlueTask.COLA, "dev").stream().map(Example::label).toList());
        Example colaTest = GlueReader.read(fixtures(), GlueTask.COLA, "test").get(0);
        assertFalse(colaTest.labelled(), "CoLA's test file has a header and no label");
        assertEquals("They has gone.", colaTest.textA());

        List<Example> sst = GlueReader.read(fixtures(), GlueTask.SST2, "dev");
        assertEquals(List.of(1, 0, 1), sst.stream().map(Example::label).toList());
        assertEquals("an odd , lovely thing ", sst.get(2).textA(), "the trailing space is kept");
        assertEquals("flat and \"clever\" only in theory ", GlueReader.read(fixtures(), GlueTask.SST2, "train").get(1).textA());

        List<Example> mrpc = GlueReader.read(fixtures(), GlueTask.MRPC, "train");
        assertEquals(List.of(1, 0), mrpc.stream().map(Example::label).toList(), "the BOM does not hide the Quality column");
        assertEquals("She said \" no \" in 2004 .", mrpc.get(1).textB());
        assertEquals(3, mrpc.get(1).line());
        assertEquals(List.of(0, 1), GlueReader.read(fixtures(), GlueTask.MRPC, "dev").stream().map(Example::label).toList());
        assertFalse(GlueReader.read(fixtures(), GlueTask.MRPC, "test").get(0).labelled());

        List<Example> stsb = GlueReader.read(fixtures(), GlueTask.STSB, "dev");
        assertEquals(List.of(5.0, 1.25), stsb.stream().map(Example::target).toList(), "float scores");
        assertTrue(stsb.stream().allMatch(e -> e.label() == Example.UNLABELLED && e.labelled()));
        assertEquals("It is \"fine\".", stsb.get(1).textA());
        assertEquals(0.0, GlueReader.read(fixtures(), GlueTask.STSB, "train").get(1).target());
        assertFalse(GlueReader.read(fixtures(), GlueTask.STSB, "test").get(0).labelled());

        List<Example> rte = GlueReader.read(fixtures(), GlueTask.RTE, "dev");
        assertEquals(List.of(1, 0), rte.stream().map(Example::label).toList(), "entailment = 0, not_entailment = 1");
        assertEquals("Anna owns a car.", rte.get(1).textB());
        assertEquals("The museum, founded in 1901, holds 300 paintings.",
                GlueReader.read(fixtures(), GlueTask.RTE, "train").get(0).textA());
        assertFalse(GlueReader.read(fixtures(), GlueTask.RTE, "test").get(0).labelled());
    }

    @Test
    void realDataRowCounts() {
        Path glue = TestData.dataDir().resolve("glue");
        Map<GlueTask, int[]> counts = Map.of(
                GlueTask.SST2, new int[] {67_349, 872, 1_821},
                GlueTask.COLA, new int[] {8_551, 1_043, 1_063},
                GlueTask.MRPC, new int[] {3_668, 408, 1_725},
                GlueTask.STSB, new int[] {5_749, 1_500, 1_379},
                GlueTask.RTE, new int[] {2_490, 277, 3_000});
        counts.forEach((task, n) -> {
            List<Example> train = GlueReader.read(glue, task, "train");
            List<Example> dev = GlueReader.read(glue, task, "dev");
            List<Example> test = GlueReader.read(glue, task, "test");
            assertEquals(n[0], train.size(), task.name() + " train");
            assertEquals(n[1], dev.size(), task.name() + " dev");
            assertEquals(n[2], test.size(), task.name() + " test");
            assertTrue(dev.stream().allMatch(Example::labelled), task.name());
            assertEquals(task.pair(), dev.get(0).pair(), task.name());
        });
    }

    @Test
    void realDataQuirks() {
        Path glue = TestData.dataDir().resolve("glue");
        List<Example> mrpc = GlueReader.read(glue, GlueTask.MRPC, "dev");
        assertEquals(1, mrpc.get(0).label());
        assertEquals(2, mrpc.get(0).line());
        assertEquals("0", mrpc.get(0).id());
        assertTrue(GlueReader.read(glue, GlueTask.MRPC, "test").get(0).labelled(), "this copy's test has Quality");
        List<Example> cola = GlueReader.read(glue, GlueTask.COLA, "dev");
        assertEquals(1, cola.get(0).line());
        assertNull(cola.get(0).textB());
        assertFalse(GlueReader.read(glue, GlueTask.COLA, "test").get(0).labelled());
        List<Example> stsb = GlueReader.read(glue, GlueTask.STSB, "dev");
        assertTrue(stsb.stream().allMatch(e -> e.target() >= 0 && e.target() <= 5 && e.label() == Example.UNLABELLED));
        assertFalse(GlueReader.read(glue, GlueTask.STSB, "test").get(0).labelled());
        List<Example> rte = GlueReader.read(glue, GlueTask.RTE, "dev");
        assertTrue(rte.stream().allMatch(e -> e.label() == 0 || e.label() == 1));
        List<Example> sst = GlueReader.read(glue, GlueTask.SST2, "dev");
        assertTrue(sst.get(0).textA().endsWith(" "), "SST-2 sentences keep their trailing space");
    }

    private ShrinkException corrupt(GlueTask task, String fileName, byte[] content) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(task.dirName()));
        Files.write(dir.resolve(fileName), content);
        String split = fileName.replace(".tsv", "");
        ShrinkException e = assertThrows(ShrinkException.class, () -> GlueReader.read(tmp, task, split));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    private ShrinkException corrupt(GlueTask task, String fileName, String content) throws IOException {
        return corrupt(task, fileName, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** {@link #corrupt} and its message ends with {@code suffix}. */
    private void assertCorruptEndsWith(GlueTask task, String fileName, String content, String suffix)
            throws IOException {
        ShrinkException e = corrupt(task, fileName, content);
        assertTrue(e.getMessage().endsWith(suffix), e.getMessage());
    }

    @Test
    void badLabel() throws IOException {
        assertCorruptEndsWith(GlueTask.SST2, "dev.tsv", "sentence\tlabel\ngood film \t1\nbad film \t2\n",
                "dev.tsv:3: bad label '2' for sst2; expected one of 0, 1");
    }

    @Test
    void nonNumericAndOutOfRangeScore() throws IOException {
        String header = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n";
        assertCorruptEndsWith(GlueTask.STSB, "dev.tsv", header + "0\tg\tf\t2012\t1\ts\ts\tA man.\tA dog.\tfive\n",
                "dev.tsv:2: score 'five' is not a number");
        assertCorruptEndsWith(GlueTask.STSB, "dev.tsv", header + "0\tg\tf\t2012\t1\ts\ts\tA man.\tA dog.\t5.5\n",
                "dev.tsv:2: score 5.5 is outside [0, 5]");
    }

    @Test
    void wrongColumnCount() throws IOException {
        assertCorruptEndsWith(GlueTask.RTE, "dev.tsv",
                "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n1\ta \"quoted\ttab\"\tb\tentailment\n",
                "dev.tsv:3: expected 4 tab-separated columns, found 5");
        assertCorruptEndsWith(GlueTask.COLA, "train.tsv", "gj04\t1\t\tOur friends won't buy this analysis.\nbad row\n",
                "train.tsv:2: expected 4 tab-separated columns, found 1");
    }

    @Test
    void missingHeaderColumn() throws IOException {
        ShrinkException e = corrupt(GlueTask.QNLI, "dev.tsv", "index\tquestion\ttext\tlabel\n0\tq\ts\tentailment\n");
        assertTrue(e.getMessage().contains("dev.tsv:1: header has no 'sentence' column"), e.getMessage());
    }

    @Test
    void emptyFilesAndHeaderOnly() throws IOException {
        assertCorruptEndsWith(GlueTask.SST2, "dev.tsv", "", "dev.tsv:1: empty file");
        assertCorruptEndsWith(GlueTask.COLA, "dev.tsv", "", "dev.tsv:1: empty file");
        assertCorruptEndsWith(GlueTask.SST2, "dev.tsv", "sentence\tlabel\n", "dev.tsv:1: a header but no rows");
    }

    @Test
    void emptyLineInsideButNotAtTheEnd() throws IOException {
        assertCorruptEndsWith(GlueTask.SST2, "dev.tsv", "sentence\tlabel\na \t1\n\nb \t0\n",
                "dev.tsv:3: empty line inside the file");
        Path dir = tmp.resolve("SST-2");
        Files.writeString(dir.resolve("dev.tsv"), "sentence\tlabel\r\na \t1\r\n\n\n");
        List<Example> ok = GlueReader.read(tmp, GlueTask.SST2, "dev");
        assertEquals(1, ok.size());
        assertEquals("a ", ok.get(0).textA());
    }

    @Test
    void invalidUtf8NamesTheLine() throws IOException {
        byte[] bytes = "sentence\tlabel\nfine \t1\ncaf\u00e9 \t0\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        ShrinkException e = corrupt(GlueTask.SST2, "dev.tsv", bytes);
        assertTrue(e.getMessage().contains("dev.tsv:3: invalid UTF-8 near byte 3 of the line"), e.getMessage());
    }

    @Test
    void controlCharactersTheOfficialFilesLackNameTheLine() throws IOException {
        assertCorruptEndsWith(GlueTask.SST2, "dev.tsv", "sentence\tlabel\nfine \t1\nbad\u0000 film \t0\n",
                "dev.tsv:3: control character U+0000 at character 4 of the line; the data files hold none "
                        + "(is the file corrupt or not text?)");
        assertCorruptEndsWith(GlueTask.SST2, "dev.tsv", "sentence\tlabel\nfine \t1\u001b\n",
                "dev.tsv:2: control character U+001B at character 8 of the line; the data files hold none "
                        + "(is the file corrupt or not text?)");
        assertCorruptEndsWith(GlueTask.COLA, "train.tsv", "gj04\t1\t\tA\u0001b.\n", "train.tsv:1: control character U+0001"
                + " at character 10 of the line; the data files hold none (is the file corrupt or not text?)");
        Path dir = Files.createDirectories(tmp.resolve("STS-B"));
        Files.writeString(dir.resolve("dev.tsv"), "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1"
                + "\tsentence2\tscore\n0\tg\tf\t2012\t1\ts\ts\tTreasury\u0012s plan\tA \u0008dog\u0010.\t5\r\n");
        List<Example> kept = GlueReader.read(tmp, GlueTask.STSB, "dev");
        assertEquals("Treasury\u0012s plan", kept.get(0).textA(), "DC2, backspace and DLE occur in the official files");
        assertEquals("A \u0008dog\u0010.", kept.get(0).textB());
    }

    @Test
    void bomIsStrippedFromTheHeader() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("MRPC"));
        Files.writeString(dir.resolve("dev.tsv"),
                "\uFEFFQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t10\t11\tA b .\tA c .\n");
        Example e = GlueReader.read(tmp, GlueTask.MRPC, "dev").get(0);
        assertEquals(1, e.label());
        assertEquals("A c .", e.textB());
    }

    @Test
    void missingFileAndDirectory() {
        ShrinkException e = assertThrows(ShrinkException.class, () -> GlueReader.read(tmp, GlueTask.QQP, "dev"));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().contains("no QQP directory"), e.getMessage());
        assertEquals(ShrinkException.Kind.USAGE,
                assertThrows(ShrinkException.class, () -> GlueTask.QQP.split("dev_matched")).kind());
    }
}
