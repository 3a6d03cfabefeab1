package io.shrink.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.shrink.core.model.HeadConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.shrink.cli.ModelsCliIT.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code shrink prune} through the packaged CLI: fine-tune, prune by importance, evaluate, benchmark; bad input. */
class PruneCliIT {
    @TempDir
    Path tmp;

    @Test
    void pruneEvaluateAndBenchmarkATinyFineTunedModel() throws Exception {
        Path reg = tmp.resolve("registry");
        Path glue = FineTuneCliIT.glue(tmp);
        Path hf = ModelsCliIT.tinyHf(tmp.resolve("tiny-hf"), "bert", HeadConfig.mlm());
        assertEquals(0, Shrink.run(reg, "models", "import", hf.toString(), "--id", "tiny").code());
        assertEquals(0, Shrink.run(reg, "-q", "fine-tune", "tiny", "--task", "sst2", "--glue-dir", glue.toString(), "--id",
                "tiny-sst2", "--epochs", "1", "--batch-size", "8", "--max-length", "32", "--bootstrap", "0",
                "--run-dir", tmp.resolve("ft").toString()).code());

        Shrink.Run prune = Shrink.run(reg, "prune", "tiny-sst2", "--task", "sst2", "--glue-dir", glue.toString(), "--heads",
                "0.5", "--ffn", "0.25", "--batches", "3", "--batch-size", "8", "--id", "tiny-pruned", "--out",
                tmp.resolve("prune").toString(), "--json");
        assertEquals(0, prune.code(), prune.toString());
        JsonNode r = JSON.readTree(prune.out());
        assertEquals("prune", r.get("command").asText());
        assertEquals(4, r.get("metrics").get("headsKept").get("value").asInt(), "tiny BERT: 2 layers x 4 heads, half kept");
        assertEquals(96, r.get("metrics").get("neuronsKept").get("value").asInt(), "2 x 64 neurons, a quarter removed");
        assertTrue(r.get("metrics").get("flopsRatio").get("value").asDouble() < 1);
        assertEquals(2, r.get("details").get("headScores").size());
        ResultShape.assertMatchesGolden("prune", tmp.resolve("prune/result.json"));

        Shrink.Run show = Shrink.run(reg, "models", "show", "tiny-pruned", "--json");
        assertTrue(show.out().contains("\"command\" : \"prune\"") || show.out().contains("\"command\":\"prune\""), show.out());
        Shrink.Run eval = Shrink.run(reg, "-q", "evaluate", "tiny-pruned", "--task", "sst2", "--glue-dir", glue.toString(),
                "--out", tmp.resolve("eval").toString());
        assertEquals(0, eval.code(), eval.toString());
        Shrink.Run bench = Shrink.run(reg, "-q", "benchmark", "tiny-sst2", "tiny-pruned", "--batch", "2", "--seq", "8",
                "--iterations", "2", "--rounds", "1", "--warmup", "0", "--out", tmp.resolve("bench").toString());
        assertEquals(0, bench.code(), bench.toString());
        Shrink.Run magnitude = Shrink.run(reg, "-q", "prune", "tiny", "--criterion", "magnitude", "--heads", "0.25", "--id", "tiny-mag",
                "--out", tmp.resolve("mag").toString());
        assertEquals(0, magnitude.code(), magnitude.toString());
    }

    @Test
    void badInputGivesOneLineErrorsAndLeavesTheRegistryAlone() throws Exception {
        Path reg = tmp.resolve("registry");
        Path glue = FineTuneCliIT.glue(tmp);
        Path hf = ModelsCliIT.tinyHf(tmp.resolve("tiny-hf"), "bert", HeadConfig.mlm());
        assertEquals(0, Shrink.run(reg, "models", "import", hf.toString(), "--id", "tiny").code());
        expect(2, Shrink.run(reg, "prune", "tiny", "--task", "sst2", "--glue-dir", glue.toString(), "--heads", "0.5"),
                "needs 2 labels");
        expect(2, Shrink.run(reg, "prune", "tiny", "--heads", "1"), "--heads");
        expect(2, Shrink.run(reg, "prune", "tiny", "--heads", "0.5"), "needs --task");
        expect(2, Shrink.run(reg, "prune", "tiny"), "nothing to prune");
        expect(2, Shrink.run(reg, "prune", "tiny", "--criterion", "random", "--heads", "0.5"), "--criterion");
        expect(3, Shrink.run(reg, "prune", "nothing-here", "--criterion", "magnitude", "--heads", "0.5"), "nothing-here");
        assertFalse(Files.exists(reg.resolve("models/tiny-pruned")), "nothing stored");
    }

    private static void expect(int code, Shrink.Run run, String fragment) {
        assertEquals(code, run.code(), run.toString());
        assertTrue(run.err().contains(fragment), "stderr should mention '" + fragment + "': " + run);
        assertFalse(run.err().contains("\tat "), "no stack trace: " + run);
    }
}
