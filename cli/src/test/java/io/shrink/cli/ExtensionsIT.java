package io.shrink.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.shrink.core.compress.Compressors;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.models.ModelService;
import io.shrink.core.task.Tasks;
import io.shrink.core.util.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A task and a compression method added as a user would (one class and one META-INF/services line each, under
 * src/test/extensions), run through the command line in-process: the registries find them by name.
 */
class ExtensionsIT {
    static final Path EXTENSIONS = Path.of(System.getProperty("shrink.projectDir", ".."), "cli", "src", "test", "extensions");

    @TempDir
    Path tmp;

    @BeforeAll
    static void addExtensionsToTheClassPath() throws Exception {
        // the service files live outside the test resources so that golden --help files in other tests do not see them
        ClassLoader parent = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(new URLClassLoader(new URL[] {EXTENSIONS.toUri().toURL()}, parent));
        assertTrue(Tasks.find(ToyTask.NAME).isPresent(), "the toy task is registered by its services line; known: " + Tasks.names());
        assertTrue(Compressors.find(ToyCompressor.NAME).isPresent(), "the toy method is registered; known: " + Compressors.names());
    }

    /** What one in-process run printed and returned. */
    private record Run(int code, String out, String err) {
    }

    private static Run shrink(Path registry, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 2];
        all[0] = "--registry";
        all[1] = registry.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void aToyTaskAndAToyCompressorRunThroughTheCommandLine() throws Exception {
        Path reg = tmp.resolve("registry");
        Path hf = ModelsCliIT.tinyHf(tmp.resolve("tiny-hf"), "bert", HeadConfig.mlm());
        assertEquals(0, shrink(reg, "-q", "models", "import", hf.toString(), "--id", "tiny").code());

        Run compressed = shrink(reg, "-q", "compress", "tiny", "--method", ToyCompressor.NAME, "--set", "bits=4",
                "--id", "tiny-round", "--json");
        assertEquals(0, compressed.code(), compressed.err());
        JsonNode c = Json.MAPPER.readTree(compressed.out());
        assertEquals(ToyCompressor.NAME, c.get("report").get("method").asText());
        assertEquals(ToyCompressor.NAME, c.get("model").get("producedBy").get("options").get("method").asText());
        Checkpoint rounded = new ModelService(reg).load("tiny-round");
        for (float v : rounded.tensors().values().iterator().next().data()) {
            assertEquals(Math.round(v * 16) / 16f, v, 0f, "every weight is on the 1/16 grid");
        }
        Run badSetting = shrink(reg, "-q", "compress", "tiny", "--method", ToyCompressor.NAME, "--set", "bitz=4", "--id", "x");
        assertEquals(2, badSetting.code(), badSetting.err());
        assertTrue(badSetting.err().contains("its settings: bits"), badSetting.err());

        Path run = tmp.resolve("toy-run");
        Run tuned = shrink(reg, "-q", "fine-tune", "tiny", "--task", ToyTask.NAME, "--epochs", "2", "--batch-size", "8",
                "--bootstrap", "50", "--id", "tiny-toy", "--run-dir", run.toString(), "--json");
        assertEquals(0, tuned.code(), tuned.err());
        JsonNode result = Json.MAPPER.readTree(Files.readString(run.resolve("result.json")));
        assertEquals(ToyTask.NAME, result.get("task").asText());
        assertTrue(result.get("metrics").has("accuracy"), result.toString());
        assertEquals(12, Files.readAllLines(run.resolve("predictions.jsonl")).size(), "one prediction per dev example");

        Path eval = tmp.resolve("toy-eval");
        Run evaluated = shrink(reg, "-q", "evaluate", "tiny-toy", "--task", ToyTask.NAME, "--out", eval.toString(), "--json");
        assertEquals(0, evaluated.code(), evaluated.err());
        assertEquals(result.get("metrics").get("accuracy").get("value").asDouble(),
                Json.MAPPER.readTree(Files.readString(eval.resolve("result.json"))).get("metrics").get("accuracy").get("value").asDouble(),
                1e-9, "evaluate scores the fine-tuned model as fine-tune did");
    }
}
