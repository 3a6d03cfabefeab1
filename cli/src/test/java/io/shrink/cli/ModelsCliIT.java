package io.shrink.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.checkpoint.Safetensors;
import io.shrink.core.checkpoint.hf.HfLayout;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.ModelInit;
import io.shrink.core.tokenize.TokenizerSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged CLI end to end on tiny models: import, list, show, predict, export, re-import, rm, and bad input. */
class ModelsCliIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static TokenizerSpec vocab() {
        List<String> v = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (char c = 'a'; c <= 'z'; c++) {
            v.add(String.valueOf(c));
            v.add("##" + c);
        }
        v.addAll(List.of(".", "the", "cat", "sat", "on", "mat"));
        return new TokenizerSpec(v, true);
    }

    static Path tinyHf(Path dir, String family, HeadConfig head) throws IOException {
        int types = family.equals("distilbert") ? 0 : 2;
        EncoderConfig c = new EncoderConfig(family, vocab().vocab().size(), 32, 2, 4, 8, 64, 64, types, 32, false,
                List.of(), List.of(), "gelu", 1e-12, 0.1, 0.1, 0);
        Checkpoint ckpt = ModelInit.random(c, head, vocab(), 42);
        HfLayout.write(ckpt, dir);
        return dir;
    }

    @Test
    void importListShowPredictExportReimportRemove() throws Exception {
        Path reg = tmp.resolve("registry");
        Path hf = tinyHf(tmp.resolve("tiny-hf"), "distilbert", HeadConfig.mlm());

        Shrink.Run imp = Shrink.run(reg, "models", "import", hf.toString(), "--id", "tiny", "--json");
        assertEquals(0, imp.code(), imp.toString());
        JsonNode entry = JSON.readTree(imp.out());
        assertEquals("tiny", entry.get("id").asText());
        assertEquals("distilbert", entry.get("family").asText());
        assertEquals(0, entry.get("config").get("typeVocabSize").asInt());

        Shrink.Run list = Shrink.run(reg, "models", "list", "--json");
        assertEquals(0, list.code(), list.toString());
        assertEquals("tiny", JSON.readTree(list.out()).get(0).get("id").asText());
        Shrink.Run table = Shrink.run(reg, "models", "list");
        assertTrue(table.out().contains("tiny") && table.out().contains("distilbert"), table.toString());

        Shrink.Run show = Shrink.run(reg, "models", "show", "tiny");
        assertEquals(0, show.code(), show.toString());
        assertTrue(show.out().contains("parameters:"), show.out());

        Shrink.Run pred = Shrink.run(reg, "predict", "tiny", "--json", "-k", "2", "the cat sat on the [MASK] .");
        assertEquals(0, pred.code(), pred.toString());
        JsonNode p = JSON.readTree(pred.out()).get(0);
        assertEquals("fill-mask", p.get("task").asText());
        assertEquals(2, p.get("masks").get(0).size());

        Path out = tmp.resolve("exported");
        Shrink.Run exp = Shrink.run(reg, "models", "export", "tiny", out.toString());
        assertEquals(0, exp.code(), exp.toString());
        assertEquals("distilbert", JSON.readTree(out.resolve("config.json").toFile()).get("model_type").asText());
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        expect(2, Shrink.run(reg, "models", "export", "tiny", file.resolve("sub/out").toString()),
                ": " + file + " is a file, not a folder");
        Shrink.Run again = Shrink.run(reg, "models", "import", out.toString(), "--id", "tiny-again", "--json");
        assertEquals(0, again.code(), again.toString());
        assertEquals(entry.get("contentSha256").asText(), JSON.readTree(again.out()).get("contentSha256").asText(),
                "export then import is bit-exact");

        Shrink.Run derive = Shrink.run(reg, "models", "derive", "tiny", "--id", "tiny-1l", "--layers", "1", "--json");
        assertEquals(0, derive.code(), derive.toString());
        JsonNode derived = JSON.readTree(derive.out());
        assertEquals(1, derived.get("config").get("numLayers").asInt());
        assertEquals("tiny", derived.get("parent").asText());
        assertEquals("models derive", derived.get("producedBy").get("command").asText());
        expect(2, Shrink.run(reg, "models", "derive", "tiny", "--id", "bad", "--layers", "5"), "outside the teacher's layers");

        Shrink.Run dup = Shrink.run(reg, "models", "import", hf.toString(), "--id", "tiny");
        assertEquals(2, dup.code(), dup.toString());
        assertTrue(dup.err().contains("already exists"), dup.err());

        Shrink.Run rm = Shrink.run(reg, "models", "rm", "tiny-again", "tiny", "tiny-1l");
        assertEquals(0, rm.code(), rm.toString());
        assertEquals("[ ]", Shrink.run(reg, "models", "list", "--json").out().strip());
    }

    @Test
    void corruptEntryIsListedAroundAndRemovable() throws Exception {
        Path reg = tmp.resolve("registry");
        Path hf = tinyHf(tmp.resolve("tiny-hf"), "bert", HeadConfig.mlm());
        for (String id : List.of("good", "broken")) {
            Shrink.Run imp = Shrink.run(reg, "models", "import", hf.toString(), "--id", id);
            assertEquals(0, imp.code(), imp.toString());
        }
        Files.writeString(reg.resolve("models").resolve("broken").resolve("entry.json"), "{\"schemaVersion\": 1, [");

        Shrink.Run list = Shrink.run(reg, "models", "list", "--json");
        assertEquals(0, list.code(), list.toString());
        assertEquals(1, JSON.readTree(list.out()).size(), list.toString());
        expect(3, Shrink.run(reg, "models", "show", "broken"), "shrink models rm broken");
        expect(3, Shrink.run(reg, "models", "rm", "broken", "nothing-here"), "no model 'nothing-here'");
        assertTrue(Files.isDirectory(reg.resolve("models").resolve("broken")), "nothing removed when an id is unknown");

        Shrink.Run rm = Shrink.run(reg, "models", "rm", "broken", "broken", "--json");
        assertEquals(0, rm.code(), rm.toString());
        assertEquals(List.of("broken"), JSON.convertValue(JSON.readTree(rm.out()).get("removed"), List.class));
        assertFalse(Files.exists(reg.resolve("models").resolve("broken")));
        Shrink.Run after = Shrink.run(reg, "models", "list", "--json");
        assertEquals("good", JSON.readTree(after.out()).get(0).get("id").asText(), after.toString());
        assertEquals(1, JSON.readTree(after.out()).size(), after.toString());
    }

    @Test
    void entryWithoutHeadIsAProblemNotAnInternalError() throws Exception {
        Path reg = tmp.resolve("registry");
        Path hf = tinyHf(tmp.resolve("tiny-hf"), "bert", HeadConfig.mlm());
        Shrink.Run imp = Shrink.run(reg, "models", "import", hf.toString(), "--id", "headless");
        assertEquals(0, imp.code(), imp.toString());
        Path entryJson = reg.resolve("models").resolve("headless").resolve("entry.json");
        ObjectNode entry = (ObjectNode) JSON.readTree(entryJson.toFile());
        entry.remove("head");
        JSON.writeValue(entryJson.toFile(), entry);

        Shrink.Run table = Shrink.run(reg, "models", "list");
        assertEquals(0, table.code(), table.toString());
        assertFalse(table.out().contains("headless"), table.toString());
        expect(3, Shrink.run(reg, "models", "show", "headless"), "has no head");
    }

    @Test
    void badInputGivesOneLineErrorsAndDocumentedExitCodes() throws Exception {
        Path reg = tmp.resolve("registry");
        Path good = tinyHf(tmp.resolve("good"), "bert", HeadConfig.mlm());

        Path truncated = copy(good, "truncated");
        byte[] w = Files.readAllBytes(truncated.resolve("model.safetensors"));
        Files.write(truncated.resolve("model.safetensors"), java.util.Arrays.copyOf(w, w.length - 1000));
        expect(3, Shrink.run(reg, "-q", "models", "import", truncated.toString(), "--id", "t1"), "outside");

        Path huge = copy(good, "huge");
        byte[] h = Files.readAllBytes(huge.resolve("model.safetensors"));
        ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE / 2);
        Files.write(huge.resolve("model.safetensors"), h);
        expect(3, Shrink.run(reg, "-q", "models", "import", huge.toString(), "--id", "t2"), "header length");

        Path lying = copy(good, "lying");
        Map<String, FloatTensor> t = Safetensors.read(lying.resolve("model.safetensors"));
        FloatTensor q = t.get("bert.encoder.layer.0.attention.self.query.weight");
        t.put(q.name(), new FloatTensor(q.name(), new long[] {16, 32}, new float[16 * 32]));
        Safetensors.write(lying.resolve("model.safetensors"), t.values(), Map.of());
        expect(3, Shrink.run(reg, "-q", "models", "import", lying.toString(), "--id", "t3"), "has shape [16, 32]");

        Path unknown = copy(good, "unknown");
        Files.writeString(unknown.resolve("config.json"),
                Files.readString(unknown.resolve("config.json")).replace("\"bert\"", "\"roberta\""));
        expect(3, Shrink.run(reg, "-q", "models", "import", unknown.toString(), "--id", "t4"), "unknown model_type 'roberta'");

        Path index = copy(good, "index");
        Files.move(index.resolve("model.safetensors"), index.resolve("part1.safetensors"));
        Files.writeString(index.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"x\": 3}");
        expect(3, Shrink.run(reg, "-q", "models", "import", index.toString(), "--id", "t5"), "invalid JSON");

        Path nan = copy(good, "nan");
        Map<String, FloatTensor> n = Safetensors.read(nan.resolve("model.safetensors"));
        FloatTensor ln = n.get("bert.embeddings.LayerNorm.weight");
        float[] lnData = ln.data().clone();
        lnData[3] = 1e30f;
        n.put(ln.name(), new FloatTensor(ln.name(), ln.shape(), lnData));
        Safetensors.write(nan.resolve("model.safetensors"), n.values(), Map.of());
        expect(3, Shrink.run(reg, "-q", "models", "import", nan.toString(), "--id", "t7"),
                "tensor embeddings.LayerNorm.weight [32] at index 3 is 1.0E30, beyond the bound |x| <= 10000");
        lnData[3] = Float.NaN;
        n.put(ln.name(), new FloatTensor(ln.name(), ln.shape(), lnData));
        Safetensors.write(nan.resolve("model.safetensors"), n.values(), Map.of());
        expect(3, Shrink.run(reg, "-q", "models", "import", nan.toString(), "--id", "t7"), "at index 3 is NaN");

        Path noise = copy(good, "noise");
        Files.deleteIfExists(noise.resolve("tokenizer.json"));
        byte[] random = new byte[10 << 20];
        new java.util.Random(1).nextBytes(random);
        Files.write(noise.resolve("vocab.txt"), random);
        expect(3, Shrink.run(reg, "-q", "models", "import", noise.toString(), "--id", "t8"), "is not UTF-8 text: invalid UTF-8 at byte offset");

        Path file = Files.writeString(tmp.resolve("registry-file"), "not a folder");
        expect(2, Shrink.run(file, "models", "list"), file + " is a file, not a folder");
        expect(2, Shrink.run(file, "models", "import", good.toString(), "--id", "t9"), file + " is a file, not a folder");
        expect(2, Shrink.run(file.resolve("sub"), "predict", "t9", "x"), ": " + file + " is a file, not a folder");

        expect(3, Shrink.run(reg, "-q", "models", "import", tmp.resolve("absent").toString(), "--id", "t6"), "no such file");
        expect(2, Shrink.run(reg, "models", "import", good.toString(), "--id", "../escape"), "invalid model id");
        expect(3, Shrink.run(reg, "models", "show", "nothing-here"), "no model 'nothing-here'");
        expect(2, Shrink.run(reg, "models", "import", "maven:not-coordinates"), "invalid Maven coordinates");
        expect(2, Shrink.run(reg, "models", "frobnicate"), "Unmatched argument");
        expect(2, Shrink.run(reg, "predict"), "Missing required parameter");

        Shrink.Run list = Shrink.run(reg, "models", "list", "--json");
        assertEquals("[ ]", list.out().strip(), "nothing half-written in the registry: " + list);
        if (Files.isDirectory(reg.resolve("models"))) {
            try (var s = Files.list(reg.resolve("models"))) {
                assertEquals(0, s.count(), "no model directories");
            }
        }
    }

    private Path copy(Path src, String name) throws IOException {
        Path dst = tmp.resolve(name);
        Files.createDirectories(dst);
        try (var s = Files.list(src)) {
            for (Path f : s.toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        return dst;
    }

    private static void expect(int code, Shrink.Run run, String fragment) {
        assertEquals(code, run.code(), run.toString());
        String err = run.err().strip();
        assertTrue(err.contains(fragment), "stderr should mention '" + fragment + "': " + run);
        assertFalse(err.contains("\tat ") || err.contains("Exception in thread"), "no stack trace: " + run);
        if (code == 3) {
            assertEquals(1, err.lines().count(), "one-line error: " + run);
        }
    }
}
