package io.shrink.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shrink.core.model.HeadConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static io.shrink.cli.FineTuneCliIT.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** distill through the packaged CLI on tiny models: task distillation with the teacher cache, resume, general distillation. */
class DistillCliIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** Imports a tiny BERT with a masked-LM head as registry model {@code tiny}. */
    void importTiny(Path reg) throws Exception {
        Path hf = ModelsCliIT.tinyHf(tmp.resolve("tiny-hf"), "bert", HeadConfig.mlm());
        assertEquals(0, Shrink.run(reg, "models", "import", hf.toString(), "--id", "tiny").code());
    }

    @Test
    void taskDistillationCachesTheTeacherAndResumesExactly() throws Exception {
        Path reg = tmp.resolve("registry");
        Path glue = FineTuneCliIT.glue(tmp);
        importTiny(reg);
        Shrink.Run ft = Shrink.run(reg, "-q", "fine-tune", "tiny", "--task", "sst2", "--glue-dir", glue.toString(), "--epochs", "2",
                "--batch-size", "8", "--lr", "1e-3", "--bootstrap", "0", "--max-length", "32", "--id", "tiny-sst2",
                "--run-dir", tmp.resolve("ft").toString());
        assertEquals(0, ft.code(), ft.toString());

        String[] common = {"distill", "tiny-sst2", "--task", "sst2", "--glue-dir", glue.toString(), "--epochs", "2",
                "--batch-size", "8", "--lr", "1e-3", "--log-every", "2", "--checkpoint-every", "2", "--bootstrap", "100",
                "--max-length", "32", "--alpha-cos", "0.5", "--alpha-mse", "0.5", "--alpha-att", "0.5"};
        Shrink.Run straight = Shrink.run(reg, concat(common, "--id", "student-a", "--run-dir", tmp.resolve("a").toString(), "--json"));
        assertEquals(0, straight.code(), straight.toString());
        JsonNode a = JSON.readTree(straight.out());
        assertEquals("distill", a.get("command").asText());
        assertEquals("student-a", a.get("models").get(0).get("id").asText());
        assertEquals("tiny-sst2", a.get("models").get(1).get("id").asText());
        assertTrue(a.get("metrics").get("accuracy").has("ciLow"), a.toString());
        assertFalse(a.get("details").get("teacherCache").get("hit").asBoolean(), "first run computes the teacher");
        assertTrue(a.get("details").has("retention"));
        assertTrue(a.get("details").get("teacherEvaluation").get("metrics").has("accuracy"));
        assertEquals(1, a.get("details").get("student").get("numLayers").asInt(), "every-other of 2 layers");
        assertTrue(a.get("details").get("studentParameters").asLong() < a.get("details").get("teacherParameters").asLong());
        assertEquals(12, a.get("details").get("steps").asInt(), "2 epochs x 6 batches");
        assertEquals(16, Files.readAllLines(tmp.resolve("a/predictions.jsonl")).size());
        assertTrue(straight.err().contains("soft-target CE 0.50 (T=2.0"), "the losses in use are printed: " + straight.err());
        assertTrue(straight.err().contains("hard") && straight.err().contains("att"), "progress shows every term: " + straight.err());
        assertTrue(java.util.regex.Pattern.compile("\\[teacher\\] (\\d+)/\\1 \\(100%\\) (\\d+)/\\2 examples").matcher(straight.err()).find(),
                "the teacher pass reports its progress to the end: " + straight.err());

        Shrink.Run show = Shrink.run(reg, "models", "show", "student-a", "--json");
        JsonNode entry = JSON.readTree(show.out());
        assertEquals("bert", entry.get("family").asText());
        assertEquals("distill", entry.get("producedBy").get("command").asText());
        assertEquals("tiny-sst2", entry.get("parent").asText());
        JsonNode opts = entry.get("producedBy").get("options");
        assertEquals(0.5, opts.get("losses").get("ce").asDouble());
        assertEquals("[[0,0],[1,1]]", opts.get("student").get("layerPairs").toString());

        Shrink.Run paused = Shrink.run(reg, concat(common, "--id", "student-b", "--run-dir", tmp.resolve("b").toString(), "--stop-after", "5"));
        assertEquals(0, paused.code(), paused.toString());
        assertTrue(paused.out().contains("paused at step 5"), paused.toString());
        assertTrue(paused.err().contains("read from"), "the second run reads the teacher cache: " + paused.err());
        Shrink.Run resumed = Shrink.run(reg, concat(common, "--id", "student-b", "--run-dir", tmp.resolve("b").toString(), "--resume", "--json"));
        assertEquals(0, resumed.code(), resumed.toString());
        JsonNode b = JSON.readTree(resumed.out());
        assertEquals(a.get("models").get(0).get("contentSha256").asText(), b.get("models").get(0).get("contentSha256").asText(),
                "an interrupted and resumed distillation reaches the same student");

        Shrink.Run otherT = Shrink.run(reg, concat(common, "--id", "student-c", "--run-dir", tmp.resolve("c").toString(),
                "--temperature", "4", "--max-steps", "2", "--json"));
        assertEquals(0, otherT.code(), otherT.toString());
        assertFalse(JSON.readTree(otherT.out()).get("details").get("teacherCache").get("hit").asBoolean(), "another temperature, another entry");

        assertEquals(0, Shrink.run(reg, "-q", "models", "derive", "tiny", "--id", "tiny-l1", "--layers", "1").code());
        Shrink.Run pretrained = Shrink.run(reg, concat(common, "--id", "student-d", "--student", "tiny-l1", "--max-steps", "2",
                "--run-dir", tmp.resolve("d").toString(), "--json"));
        assertEquals(0, pretrained.code(), pretrained.toString());
        JsonNode dStudent = JSON.readTree(pretrained.out()).get("details").get("student");
        assertTrue(dStudent.get("head").asText().startsWith("new classification head"), "a masked-LM student gets a task head: " + dStudent);
        assertEquals("derived layers [1]", dStudent.get("layerMap").asText());
        assertEquals("[[0,0],[1,2]]", dStudent.get("layerPairs").toString(), "student layer 1 pairs with the teacher layer it was copied from");
        Shrink.Run otherTask = Shrink.run(reg, concat(common, "--id", "x", "--student", "tiny-sst2", "--layers", "0"));
        assertEquals(2, otherTask.code(), "--student and --layers describe two students: " + otherTask);

        Shrink.Run poolerWithoutTypes = Shrink.run(reg, concat(common, "--id", "x", "--drop-token-types"));
        assertEquals(2, poolerWithoutTypes.code(), poolerWithoutTypes.toString());
        Shrink.Run notFineTuned = Shrink.run(reg, "-q", "distill", "tiny", "--task", "sst2", "--glue-dir", glue.toString(), "--max-length", "32");
        assertEquals(2, notFineTuned.code(), notFineTuned.toString());
        assertTrue(notFineTuned.err().contains("fine-tune it first"), notFineTuned.err());
        Shrink.Run hardInGeneral = Shrink.run(reg, "-q", "distill", "tiny", "--corpus", glue.resolve("SST-2/train.tsv").toString(), "--alpha-hard", "1");
        assertEquals(2, hardInGeneral.code(), hardInGeneral.toString());
        Shrink.Run noCorpus = Shrink.run(reg, "-q", "distill", "tiny", "--corpus", tmp.resolve("none.txt").toString());
        assertEquals(3, noCorpus.code(), noCorpus.toString());
        Shrink.Run taskTeacherGeneral = Shrink.run(reg, "-q", "distill", "tiny-sst2", "--corpus", glue.resolve("SST-2/train.tsv").toString());
        assertEquals(2, taskTeacherGeneral.code(), taskTeacherGeneral.toString());

        ResultShape.assertMatchesGolden("distill", tmp.resolve("a/result.json"));
    }

    @Test
    void undistilledPretrainedStudentIsPlainFineTuning() throws Exception {
        Path reg = tmp.resolve("registry");
        Path glue = FineTuneCliIT.glue(tmp);
        importTiny(reg);
        String[] train = {"--task", "sst2", "--glue-dir", glue.toString(), "--epochs", "1", "--batch-size", "8", "--lr", "1e-3",
                "--bootstrap", "0", "--max-length", "32", "--seed", "7"};
        assertEquals(0, Shrink.run(reg, concat(new String[] {"-q", "fine-tune", "tiny", "--id", "tiny-sst2"}, train)).code());
        assertEquals(0, Shrink.run(reg, "-q", "models", "derive", "tiny", "--id", "tiny-l1", "--layers", "1").code());
        Shrink.Run ft = Shrink.run(reg, concat(new String[] {"fine-tune", "tiny-l1", "--id", "ft", "--json"}, train));
        Shrink.Run kd0 = Shrink.run(reg, concat(new String[] {"distill", "tiny-sst2", "--student", "tiny-l1", "--id", "kd0",
                "--alpha-ce", "0", "--alpha-hard", "1", "--json"}, train));
        assertEquals(0, ft.code(), ft.toString());
        assertEquals(0, kd0.code(), kd0.toString());
        assertEquals(JSON.readTree(ft.out()).get("models").get(0).get("contentSha256").asText(),
                JSON.readTree(kd0.out()).get("models").get(0).get("contentSha256").asText(),
                "distillation switched off trains a pretrained student exactly as fine-tuning does (same head, data order, dropout)");
    }

    /** A SQuAD v1.1 file of three articles: "X lives in CITY." with questions "Where does X live?". */
    static Path squad(Path root) throws Exception {
        Path dir = Files.createDirectories(root.resolve("squad"));
        String[] names = {"anna", "ben", "carl", "dora", "emil", "fay"};
        String[] cities = {"paris", "rome", "oslo", "lima", "cairo", "kyoto"};
        StringBuilder sb = new StringBuilder("{\"version\": \"1.1\", \"data\": [");
        int q = 0;
        for (int a = 0; a < 3; a++) {
            StringBuilder ctx = new StringBuilder();
            StringBuilder qas = new StringBuilder();
            for (int i = 0; i < 6; i++) {
                String name = names[(i + a) % 6];
                String city = cities[(i * 5 + a) % 6];
                String sentence = name + " lives in " + city + ". ";
                int at = ctx.length() + name.length() + " lives in ".length();
                ctx.append(sentence);
                qas.append(qas.length() == 0 ? "" : ",").append("{\"id\": \"q").append(q++).append("\", \"question\": \"where does ")
                        .append(name).append(" live?\", \"answers\": [{\"answer_start\": ").append(at).append(", \"text\": \"")
                        .append(city).append("\"}]}");
            }
            sb.append(a == 0 ? "" : ",").append("{\"title\": \"t").append(a).append("\", \"paragraphs\": [{\"context\": \"")
                    .append(ctx.toString().strip()).append("\", \"qas\": [").append(qas).append("]}]}");
        }
        Files.writeString(dir.resolve("dev-v1.1.json"), sb.append("]}").toString());
        return dir;
    }

    @Test
    void squadDistillationLearnsStartAndEndDistributions() throws Exception {
        Path reg = tmp.resolve("registry");
        Path squad = squad(tmp);
        importTiny(reg);
        String[] windows = {"--squad-dir", squad.toString(), "--train-articles", "0-1", "--eval-articles", "2-2",
                "--max-length", "40", "--doc-stride", "16", "--batch-size", "4", "--lr", "1e-3", "--epochs", "2", "--bootstrap", "50"};
        Shrink.Run ft = Shrink.run(reg, concat(new String[] {"-q", "fine-tune", "tiny", "--task", "squad", "--id", "tiny-qa",
                "--run-dir", tmp.resolve("ft").toString()}, windows));
        assertEquals(0, ft.code(), ft.toString());
        Shrink.Run d = Shrink.run(reg, concat(new String[] {"distill", "tiny-qa", "--task", "squad", "--id", "tiny-qa-student",
                "--run-dir", tmp.resolve("d").toString(), "--json"}, windows));
        assertEquals(0, d.code(), d.toString());
        JsonNode r = JSON.readTree(d.out());
        assertEquals("squad", r.get("task").asText());
        assertTrue(r.get("metrics").get("f1").has("ciLow"), r.toString());
        assertTrue(r.get("details").get("teacherEvaluation").get("metrics").has("exact_match"), r.toString());
        assertFalse(r.get("details").get("teacherCache").get("hit").asBoolean());
        assertTrue(d.err().contains("[teacher] 0/"), "the teacher pass over the windows reports its progress: " + d.err());
        assertTrue(r.get("details").get("split").asText().contains("dev split"), r.toString());
        assertEquals(6, Files.readAllLines(tmp.resolve("d/predictions.jsonl")).size(), "one prediction per evaluation question");
        Shrink.Run wrongTeacher = Shrink.run(reg, concat(new String[] {"-q", "distill", "tiny", "--task", "squad"}, windows));
        assertEquals(2, wrongTeacher.code(), wrongTeacher.toString());

        ResultShape.assertMatchesGolden("fine-tune-squad", tmp.resolve("ft/result.json"));
        ResultShape.assertMatchesGolden("distill-squad", tmp.resolve("d/result.json"));
    }

    @Test
    void generalDistillationOnRawTextWithANarrowerStudent() throws Exception {
        Path reg = tmp.resolve("registry");
        importTiny(reg);
        Path corpus = Files.createDirectories(tmp.resolve("corpus"));
        Random r = new Random(5);
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "house", "good", "bad", "film"};
        for (int d = 0; d < 12; d++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 60; i++) {
                sb.append(words[r.nextInt(words.length)]).append(i % 12 == 11 ? ".\n" : " ");
            }
            Files.writeString(corpus.resolve("doc" + d + ".txt"), sb.toString());
        }
        String[] general = {"distill", "tiny", "--corpus", corpus.toString(), "--max-length", "24",
                "--hidden", "16", "--alpha-mse", "1", "--alpha-att", "1", "--cos-layers", "mapped", "--drop-token-types",
                "--epochs", "1", "--batch-size", "8", "--lr", "1e-3", "--eval-chunks", "8", "--log-every", "1"};
        Shrink.Run run = Shrink.run(reg, concat(general, "--id", "tiny-general", "--run-dir", tmp.resolve("g").toString(), "--json"));
        assertEquals(0, run.code(), run.toString());
        JsonNode g = JSON.readTree(run.out());
        assertEquals("mapped", g.get("provenance").get("options").get("losses").get("cosineLayers").asText());
        assertTrue(run.err().contains("cosine 1.00 (mapped layers)"), run.err());
        assertTrue(g.get("details").get("steps").asInt() > 2, "enough steps to pause after 2: " + g.get("details"));

        Shrink.Run paused = Shrink.run(reg, concat(general, "--id", "tiny-general-b", "--run-dir", tmp.resolve("gb").toString(),
                "--stop-after", "2"));
        assertEquals(0, paused.code(), paused.toString());
        assertTrue(paused.out().contains("paused at step 2"), paused.toString());
        Shrink.Run resumed = Shrink.run(reg, concat(general, "--id", "tiny-general-b", "--run-dir", tmp.resolve("gb").toString(),
                "--resume", "--json"));
        assertEquals(0, resumed.code(), resumed.toString());
        assertEquals(g.get("models").get(0).get("contentSha256").asText(),
                JSON.readTree(resumed.out()).get("models").get(0).get("contentSha256").asText(),
                "an interrupted and resumed general distillation reaches the same student");
        assertEquals("general", g.get("task").asText());
        assertTrue(g.get("metrics").get("mlm_loss").get("value").asDouble() > 0, g.toString());
        assertTrue(g.get("metrics").has("perplexity"));
        assertEquals("truncate", g.get("details").get("student").get("init").asText());
        assertTrue(g.get("details").get("student").get("projection").asText().startsWith("32x16"), g.toString());
        assertEquals(12, g.get("details").get("corpusDocuments").asInt());
        assertTrue(run.err().contains("soft-target CE 5.00 (T=2.0") && run.err().contains("masked-LM 2.00")
                && run.err().contains("cosine 1.00"), "DistilBERT's defaults are printed: " + run.err());
        JsonNode entry = JSON.readTree(Shrink.run(reg, "models", "show", "tiny-general", "--json").out());
        assertEquals(16, entry.get("config").get("hiddenSize").asInt());
        assertEquals("distilbert", entry.get("family").asText());
        assertEquals(0, entry.get("config").get("typeVocabSize").asInt());
        assertEquals("mlm", entry.get("head").get("type").asText());
        assertNotEquals(0, entry.get("parameters").asLong());
        Shrink.Run export = Shrink.run(reg, "models", "export", "tiny-general", tmp.resolve("exported").toString());
        assertEquals(0, export.code(), "a DistilBERT-style student exports as a Hugging Face checkpoint: " + export);
        assertTrue(Files.readString(tmp.resolve("exported/config.json")).contains("\"distilbert\""));
        Shrink.Run predict = Shrink.run(reg, "predict", "tiny-general", "the cat sat on the [MASK].");
        assertEquals(0, predict.code(), "the distilled student is a usable MLM: " + predict);

        ResultShape.assertMatchesGolden("distill-general", tmp.resolve("g/result.json"));
    }
}
