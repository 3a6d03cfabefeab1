package io.shrink.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shrink.core.model.HeadConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** fine-tune and evaluate through the packaged CLI on a tiny model and a small SST-2-format data set. */
class FineTuneCliIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** An SST-2-layout directory: label 1 when "good" occurs, 0 when "bad" does. */
    static Path glue(Path root) throws Exception {
        Path dir = root.resolve("glue/SST-2");
        Files.createDirectories(dir);
        Random r = new Random(3);
        String[] filler = {"the", "cat", "sat", "on", "mat"};
        for (String split : new String[] {"train", "dev"}) {
            StringBuilder sb = new StringBuilder("sentence\tlabel\n");
            for (int i = 0; i < (split.equals("train") ? 48 : 16); i++) {
                boolean pos = r.nextBoolean();
                sb.append(filler[r.nextInt(5)]).append(' ').append(pos ? "good" : "bad").append(' ')
                        .append(filler[r.nextInt(5)]).append(" \t").append(pos ? 1 : 0).append('\n');
            }
            Files.writeString(dir.resolve(split + ".tsv"), sb.toString());
        }
        return root.resolve("glue");
    }

    @Test
    void fineTuneEvaluateAndResumeToTheSameModel() throws Exception {
        Path reg = tmp.resolve("registry");
        Path glue = glue(tmp);
        Path hf = ModelsCliIT.tinyHf(tmp.resolve("tiny-hf"), "bert", HeadConfig.mlm());
        assertEquals(0, Shrink.run(reg, "models", "import", hf.toString(), "--id", "tiny").code());
        String[] common = {"fine-tune", "tiny", "--task", "sst2", "--glue-dir", glue.toString(), "--epochs", "2",
                "--batch-size", "8", "--lr", "1e-3", "--log-every", "2", "--checkpoint-every", "2", "--bootstrap", "200", "--max-length", "32"};

        Shrink.Run straight = Shrink.run(reg, concat(common, "--id", "tiny-a", "--run-dir", tmp.resolve("a").toString(), "--json"));
        assertEquals(0, straight.code(), straight.toString());
        JsonNode a = JSON.readTree(straight.out());
        assertEquals("fine-tune", a.get("command").asText());
        assertTrue(a.get("metrics").get("accuracy").has("ciLow"), a.toString());
        assertEquals(12, a.get("details").get("steps").asInt(), "2 epochs x 6 batches");
        assertTrue(Files.isRegularFile(tmp.resolve("a/result.json")));
        assertEquals(16, Files.readAllLines(tmp.resolve("a/predictions.jsonl")).size());
        assertTrue(a.get("provenance").get("dataFiles").get(0).get("sha256").asText().length() == 64);

        Shrink.Run paused = Shrink.run(reg, concat(common, "--id", "tiny-b", "--run-dir", tmp.resolve("b").toString(), "--stop-after", "5"));
        assertEquals(0, paused.code(), paused.toString());
        assertTrue(paused.out().contains("paused at step 5"), paused.toString());
        Shrink.Run resumed = Shrink.run(reg, concat(common, "--id", "tiny-b", "--run-dir", tmp.resolve("b").toString(), "--resume", "--json"));
        assertEquals(0, resumed.code(), resumed.toString());
        JsonNode b = JSON.readTree(resumed.out());
        assertEquals(a.get("models").get(0).get("contentSha256").asText(), b.get("models").get(0).get("contentSha256").asText(),
                "an interrupted and resumed run reaches the same model");
        assertEquals(a.get("metrics").get("accuracy").get("value").asDouble(), b.get("metrics").get("accuracy").get("value").asDouble());

        Shrink.Run last = Shrink.run(reg, concat(common, "--id", "tiny-c", "--keep", "last", "--json",
                "--run-dir", tmp.resolve("c").toString()));
        assertEquals(0, last.code(), last.toString());
        JsonNode c = JSON.readTree(last.out());
        assertEquals("last", c.get("details").get("kept").asText());
        assertEquals(12, c.get("details").get("bestStep").asInt(), "the end of training is kept");
        assertEquals("best", a.get("details").get("kept").asText());
        assertEquals(2, Shrink.run(reg, concat(new String[] {"-q"}, concat(common, "--id", "tiny-d", "--keep", "first"))).code(),
                "--keep takes best or last");

        Shrink.Run eval = Shrink.run(reg, "evaluate", "tiny-a", "--task", "sst2", "--glue-dir", glue.toString(),
                "--out", tmp.resolve("eval").toString(), "--json");
        assertEquals(0, eval.code(), eval.toString());
        JsonNode e = JSON.readTree(eval.out());
        assertEquals(a.get("metrics").get("accuracy").get("value").asDouble(), e.get("metrics").get("accuracy").get("value").asDouble());
        Shrink.Run same = Shrink.run(reg, "compare", tmp.resolve("a").toString(), tmp.resolve("eval").toString(),
                "--bootstrap", "200", "--out", tmp.resolve("compare").toString());
        assertEquals(0, same.code(), same.toString());
        assertTrue(same.out().contains("sst2, 16 examples, 200 paired resamples"), same.out());
        assertTrue(same.out().matches("(?s).*accuracy +[0-9.]+ +[0-9.]+ +\\+0\\.0000  \\[\\+0\\.0000, \\+0\\.0000] +0\\.0% of resamples.*"),
                "the fine-tune's own predictions and a re-evaluation of its model agree on every example: " + same.out());
        JsonNode cmp = JSON.readTree(tmp.resolve("compare/result.json").toFile());
        assertEquals("compare", cmp.get("command").asText());
        assertEquals(0.0, cmp.get("metrics").get("accuracy_difference").get("ciHigh").asDouble());
        Shrink.Run groups = Shrink.run(reg, "compare", tmp.resolve("a").toString(), tmp.resolve("eval").toString(),
                "--vs", tmp.resolve("eval").toString(), "--bootstrap", "200", "--out", tmp.resolve("compare-groups").toString());
        assertEquals(0, groups.code(), groups.toString());
        assertTrue(groups.out().contains("A: 2 runs: ") && groups.out().contains("two-level (runs and examples)")
                && groups.out().contains("examples only: [+0.0000, +0.0000]"), groups.out());
        Shrink.Run three = Shrink.run(reg, "-q", "compare", tmp.resolve("a").toString(), tmp.resolve("eval").toString(),
                tmp.resolve("eval").toString());
        assertEquals(2, three.code(), three.toString());
        assertTrue(three.err().contains("--vs"), three.err());
        Shrink.Run glueEval = Shrink.run(reg, "evaluate", "tiny", "--task", "glue", "--glue-dir", glue.toString(), "--json",
                "--out", tmp.resolve("glue-eval").toString());
        assertEquals(0, glueEval.code(), glueEval.toString());
        JsonNode glueResult = JSON.readTree(glueEval.out());
        JsonNode macro = glueResult.get("metrics").get("glue_macro");
        assertTrue(macro != null && macro.has("ciLow") && macro.has("ciHigh"), "the macro score has its interval: " + glueEval.out());
        assertTrue(macro.get("ciLow").asDouble() <= macro.get("value").asDouble()
                && macro.get("value").asDouble() <= macro.get("ciHigh").asDouble(), macro.toString());
        assertTrue(glueResult.get("provenance").get("options").get("maxLength").isObject(), "resolved per task");

        Shrink.Run otherTask = Shrink.run(reg, "-q", "compare", tmp.resolve("a").toString(), tmp.resolve("glue-eval").toString());
        assertEquals(2, otherTask.code(), otherTask.toString());
        assertTrue(otherTask.err().contains("different tasks"), otherTask.err());
        Shrink.Run noRun = Shrink.run(reg, "-q", "compare", tmp.resolve("a").toString(), tmp.resolve("nowhere").toString());
        assertEquals(3, noRun.code(), noRun.toString());

        Shrink.Run wrongHead = Shrink.run(reg, "-q", "evaluate", "tiny", "--task", "sst2", "--glue-dir", glue.toString());
        assertEquals(2, wrongHead.code(), wrongHead.toString());
        Shrink.Run noData = Shrink.run(reg, "-q", "fine-tune", "tiny", "--task", "sst2", "--glue-dir", tmp.resolve("nowhere").toString(),
                "--max-length", "32");
        assertEquals(3, noData.code(), noData.toString());
        Files.writeString(glue.resolve("SST-2/train.tsv"), "sentence\tlabel\nfine\t7\n");
        Shrink.Run badLabel = Shrink.run(reg, "-q", "fine-tune", "tiny", "--task", "sst2", "--glue-dir", glue.toString(), "--id", "x",
                "--max-length", "32");
        assertEquals(3, badLabel.code(), badLabel.toString());
        assertTrue(badLabel.err().contains("train.tsv:2"), badLabel.err());

        ResultShape.assertMatchesGolden("fine-tune", tmp.resolve("a/result.json"));
        ResultShape.assertMatchesGolden("evaluate", tmp.resolve("eval/result.json"));
        ResultShape.assertMatchesGolden("evaluate-glue", tmp.resolve("glue-eval/result.json"));
        ResultShape.assertMatchesGolden("compare", tmp.resolve("compare/result.json"));
        ResultShape.assertMatchesGolden("compare-groups", tmp.resolve("compare-groups/result.json"));
    }

    /**
     * bf16 mixed precision through the CLI: recorded in the result and the checkpoint, a paused bf16 run refuses to
     * resume in fp32 and resumes in bf16 to the model of an uninterrupted bf16 run, which differs from the fp32 one;
     * evaluate --precision bf16 stores its scores apart from the fp32 ones.
     */
    @Test
    void bf16TrainingIsRecordedAndResumesOnlyInBf16() throws Exception {
        Path reg = tmp.resolve("registry");
        Path glue = glue(tmp);
        Path hf = ModelsCliIT.tinyHf(tmp.resolve("tiny-hf"), "bert", HeadConfig.mlm());
        assertEquals(0, Shrink.run(reg, "models", "import", hf.toString(), "--id", "tiny").code());
        String[] common = {"fine-tune", "tiny", "--task", "sst2", "--glue-dir", glue.toString(), "--epochs", "1",
                "--batch-size", "8", "--lr", "1e-3", "--checkpoint-every", "1", "--bootstrap", "0", "--max-length", "32"};
        Shrink.Run fp32 = Shrink.run(reg, concat(common, "--id", "t32", "--run-dir", tmp.resolve("f").toString(), "--json"));
        Shrink.Run bf16 = Shrink.run(reg, concat(common, "--id", "t16", "--precision", "bf16", "--run-dir",
                tmp.resolve("s").toString(), "--json"));
        assertEquals(0, fp32.code(), fp32.toString());
        assertEquals(0, bf16.code(), bf16.toString());
        JsonNode a = JSON.readTree(fp32.out());
        JsonNode b = JSON.readTree(bf16.out());
        assertEquals("fp32", a.get("details").get("precision").asText());
        assertEquals("bf16", b.get("details").get("precision").asText());
        assertEquals("bf16", b.get("provenance").get("options").get("train").get("precision").asText());
        assertNotEquals(a.get("models").get(0).get("contentSha256").asText(), b.get("models").get(0).get("contentSha256").asText(),
                "bf16 really computes in bf16");

        Path run = tmp.resolve("p");
        assertEquals(0, Shrink.run(reg, concat(common, "--id", "t16p", "--precision", "bf16", "--run-dir", run.toString(),
                "--stop-after", "3")).code());
        assertTrue(Files.readString(run.resolve("checkpoint/state.json")).contains("\"precision\" : \"bf16\""));
        Shrink.Run other = Shrink.run(reg, concat(common, "--id", "t16p", "--run-dir", run.toString(), "--resume"));
        assertEquals(2, other.code(), other.toString());
        assertTrue(other.err().contains("options differ"), other.err());
        Shrink.Run resumed = Shrink.run(reg, concat(common, "--id", "t16p", "--precision", "bf16", "--run-dir", run.toString(),
                "--resume", "--json"));
        assertEquals(0, resumed.code(), resumed.toString());
        assertEquals(b.get("models").get(0).get("contentSha256").asText(),
                JSON.readTree(resumed.out()).get("models").get(0).get("contentSha256").asText(), "resumed bf16 = straight bf16");

        Shrink.Run eval = Shrink.run(reg, "evaluate", "t32", "--task", "sst2", "--glue-dir", glue.toString(), "--precision",
                "bf16", "--out", tmp.resolve("e16").toString(), "--json");
        assertEquals(0, eval.code(), eval.toString());
        assertEquals("bf16", JSON.readTree(eval.out()).get("details").get("precision").asText());
        Shrink.Run show = Shrink.run(reg, "models", "show", "t32", "--json");
        assertTrue(show.out().contains("sst2@bf16"), "bf16 scores kept apart in the registry: " + show.out());
        assertEquals(2, Shrink.run(reg, "-q", "evaluate", "t32", "--task", "sst2", "--glue-dir", glue.toString(),
                "--precision", "int8").code(), "int8 is a quantisation, not a compute precision");
    }

    /** Bad options and data are refused before any training, each with its exit code and a message naming it. */
    @Test
    void badOptionsAndDataAreRefusedUpFront() throws Exception {
        Path reg = tmp.resolve("registry");
        Path glue = glue(tmp);
        Path hf = ModelsCliIT.tinyHf(tmp.resolve("tiny-hf"), "bert", HeadConfig.mlm());
        assertEquals(0, Shrink.run(reg, "models", "import", hf.toString(), "--id", "tiny").code());
        String g = glue.toString();
        expect(2, Shrink.run(reg, "fine-tune", "tiny", "--task", "sst2", "--glue-dir", g, "--max-length", "-3"),
                "--max-length must be 0 or between 8 and 512, not -3");
        expect(2, Shrink.run(reg, "evaluate", "tiny", "--task", "sst2", "--glue-dir", g, "--max-length", "-7"),
                "--max-length must be 0 or between 8 and 512, not -7");
        expect(2, Shrink.run(reg, "evaluate", "tiny", "--task", "sst2", "--glue-dir", g, "--max-length", "100000"),
                "--max-length must be 0 or between 8 and 512, not 100000");
        expect(2, Shrink.run(reg, "fine-tune", "tiny", "--task", "sst2", "--glue-dir", g, "--max-length", "100"),
                "--max-length must be between 8 and 64 (model 'tiny' has 64 positions), not 100");
        expect(2, Shrink.run(reg, "fine-tune", "tiny", "--task", "sst2", "--glue-dir", g, "--warmup", "1.5"),
                "--warmup must be in [0, 1), not 1.5");
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        expect(2, Shrink.run(reg, "fine-tune", "tiny", "--task", "sst2", "--glue-dir", g, "--run-dir",
                file.resolve("run").toString()), ": " + file + " is a file, not a folder");

        Path dev = glue.resolve("SST-2/dev.tsv");
        java.util.List<String> lines = new java.util.ArrayList<>(Files.readAllLines(dev));
        lines.set(2, "the \u0000 cat \t1");
        Files.write(dev, lines);
        expect(3, Shrink.run(reg, "fine-tune", "tiny", "--task", "sst2", "--glue-dir", g, "--epochs", "1", "--max-length", "32"),
                "dev.tsv:3: control character U+0000 at character 5 of the line");
    }

    private static void expect(int code, Shrink.Run run, String fragment) {
        assertEquals(code, run.code(), run.toString());
        assertTrue(run.err().contains(fragment), "stderr should mention '" + fragment + "': " + run);
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
