package io.shrink.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.results.Results;
import io.shrink.core.results.RunResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code shrink benchmark} through the packaged CLI on two tiny models: a valid result file, and bad input. */
class BenchmarkCliIT {
    @TempDir
    Path tmp;

    @Test
    void benchmarksTwoTinyModelsInterleavedAndWritesAValidResult() throws Exception {
        Path reg = tmp.resolve("registry");
        importTiny(reg, "tiny-bert", "bert");
        importTiny(reg, "tiny-distil", "distilbert");
        Path runs = tmp.resolve("runs");
        Path first = runs.resolve("first");

        Shrink.Run run = Shrink.run(reg, "benchmark", "tiny-bert", "tiny-distil", "--batch", "1,2", "--seq", "8,16",
                "--iterations", "4", "--rounds", "2", "--warmup", "1", "--threads", "1", "--out", first.toString(), "--json");
        assertEquals(0, run.code(), run.toString());
        JsonNode json = ModelsCliIT.JSON.readTree(run.out());
        assertEquals("benchmark", json.get("command").asText());
        Path file = first.resolve(Results.RESULT_FILE);
        assertTrue(Files.isRegularFile(file), "--out is the run folder: result.json goes straight into it");
        try (Stream<Path> s = Files.list(runs)) {
            assertEquals(1, s.count(), "no other run folder made");
        }
        assertEquals(json.get("runId").asText(), file.getParent().getFileName().toString());
        RunResult result = Results.read(file);
        assertEquals(RunResult.SCHEMA_VERSION, result.schemaVersion());
        assertEquals(2, result.models().size());
        assertEquals(1, result.provenance().threads());
        assertNotNull(result.provenance().hardware().cpuModel());

        JsonNode details = json.get("details");
        assertEquals("tiny-bert", details.get("baseline").asText());
        assertEquals(2 * 2 * 2, details.get("cases").size(), "2 models x 2 batches x 2 lengths");
        for (JsonNode c : details.get("cases")) {
            assertEquals(4, c.get("latencyMs").get("count").asInt(), c.toString());
            assertEquals(2, c.get("roundSeqPerSec").size());
            assertEquals(c.get("model").asText().equals("tiny-bert"), c.get("speedup") == null, c.toString());
        }
        JsonNode bert = details.get("models").get(0);
        // tiny BERT: 2 layers, h = 32, 4 heads x 8, FFN 64; at s = 8 per layer 2*8*(4*32*32 + 2*32*64) + 4*64*32
        assertEquals(2 * (2 * 8 * (4 * 32 * 32 + 2 * 32 * 64) + 4 * 64 * 32), bert.get("flopsPerSequence").get("8").asLong());
        assertTrue(details.get("matmulPeak").get("gflops").asDouble() > 0);
        assertTrue(details.get("peakRssBytes").asLong() > 0);
        assertTrue(json.get("metrics").has("tiny-distil.b1.s8.latencySpeedup"), json.get("metrics").toString());

        Shrink.Run table = Shrink.run(reg, "benchmark", "tiny-distil", "--baseline", "tiny-distil", "--batch", "2",
                "--seq", "8", "--duration", "0.2", "--rounds", "2", "--out", runs.resolve("second").toString(),
                "--compare", file.toString());
        assertEquals(0, table.code(), table.toString());
        assertTrue(table.out().contains("tiny-distil") && table.out().contains("baseline"), table.toString());
        assertTrue(table.out().contains("matmul peak") && table.out().contains("result: "), table.toString());
        assertTrue(table.out().contains("vs " + result.runId()), table.toString());
        assertTrue(table.out().contains("threads: 1 vs"), "threads differ from the compared run: " + table);

        ResultShape.assertMatchesGolden("benchmark", file);
        Path compared;
        try (Stream<Path> s = Files.list(runs)) {
            compared = s.filter(dir -> !dir.equals(file.getParent())).findFirst().orElseThrow().resolve(Results.RESULT_FILE);
        }
        ResultShape.assertMatchesGolden("benchmark-compare", compared);
    }

    @Test
    void trainBenchmarkTimesOptimizerStepsPerPrecisionInterleaved() throws Exception {
        Path reg = tmp.resolve("registry");
        importTiny(reg, "tiny-bert", "bert");
        Path out = tmp.resolve("runs").resolve("train");
        Shrink.Run run = Shrink.run(reg, "benchmark", "tiny-bert", "--train", "--precision", "fp32,bf16", "--reference",
                "--batch", "4", "--seq", "8,16", "--iterations", "4", "--rounds", "2", "--warmup", "1", "--out",
                out.toString(), "--json");
        assertEquals(0, run.code(), run.toString());
        JsonNode json = ModelsCliIT.JSON.readTree(run.out());
        assertEquals("benchmark-train", json.get("command").asText());
        JsonNode details = json.get("details");
        assertEquals(2 * 3, details.get("cases").size(), "2 lengths x fp32, bf16 and the DJL-operations reference");
        for (JsonNode c : details.get("cases")) {
            assertEquals(4, c.get("stepSeconds").get("count").asInt(), c.toString());
            assertTrue(c.get("phaseSeconds").get("backward").asDouble() > 0, c.toString());
            assertTrue(c.get("gflops").asDouble() > 0 && c.get("peakFraction").asDouble() > 0, c.toString());
            assertEquals(c.get("variant").asText().equals("fp32"), c.path("speedup").isNull(), c.toString());
        }
        assertTrue(details.get("matmulPeaks").get("bf16").asDouble() > 0);
        assertTrue(json.get("metrics").has("tiny-bert.b4.s16.bf16.speedup"), json.get("metrics").toString());
        assertTrue(Files.isRegularFile(out.resolve(Results.RESULT_FILE)));
        ResultShape.assertMatchesGolden("benchmark-train", out.resolve(Results.RESULT_FILE));

        Shrink.Run table = Shrink.run(reg, "benchmark", "tiny-bert", "--train", "--precision", "bf16", "--batch", "2",
                "--seq", "8", "--iterations", "1", "--rounds", "1", "--warmup", "0", "--out", tmp.resolve("t2").toString());
        assertEquals(0, table.code(), table.toString());
        assertTrue(table.out().contains("FWD/BWD/OPT") && table.out().contains("bf16 ") && table.out().contains("matmul peaks"),
                table.toString());
        expect(2, Shrink.run(reg, "benchmark", "tiny-bert", "--train", "--precision", "int8", "--out", tmp.resolve("t3").toString()),
                "--precision");
        expect(2, Shrink.run(reg, "benchmark", "tiny-bert", "--reference", "--out", tmp.resolve("t4").toString()),
                "--reference needs --train");
        expect(2, Shrink.run(reg, "benchmark", "tiny-bert", "--train", "--baseline", "tiny-bert", "--out",
                tmp.resolve("t5").toString()), "not --train");
        assertFalse(Files.exists(tmp.resolve("t3")) || Files.exists(tmp.resolve("t4")) || Files.exists(tmp.resolve("t5")));
    }

    @Test
    void badInputGivesOneLineErrorsAndDocumentedExitCodes() throws Exception {
        Path reg = tmp.resolve("registry");
        importTiny(reg, "tiny", "bert");
        Path runs = tmp.resolve("runs");
        expect(3, Shrink.run(reg, "benchmark", "nothing-here", "--out", runs.toString()), "no model 'nothing-here'");
        expect(2, Shrink.run(reg, "benchmark", "tiny", "--batch", "0", "--out", runs.toString()), "--batch must be between 1 and 4096, not 0");
        expect(2, Shrink.run(reg, "benchmark", "tiny", "--batch", "two", "--out", runs.toString()), "--batch");
        expect(2, Shrink.run(reg, "benchmark", "tiny", "--seq", "65", "--out", runs.toString()),
                "--seq must be between 1 and 64 (model 'tiny' has 64 positions), not 65");
        expect(2, Shrink.run(reg, "benchmark", "tiny", "--baseline", "other", "--out", runs.toString()), "--baseline other");
        expect(3, Shrink.run(reg, "benchmark", "tiny", "--compare", tmp.resolve("absent.json").toString(),
                "--out", runs.toString()), "no such file");
        assertFalse(Files.exists(runs), "no result written for a failed run");
    }

    private void importTiny(Path reg, String id, String family) throws Exception {
        Path hf = ModelsCliIT.tinyHf(tmp.resolve(id + "-hf"), family, HeadConfig.mlm());
        Shrink.Run imp = Shrink.run(reg, "-q", "models", "import", hf.toString(), "--id", id);
        assertEquals(0, imp.code(), imp.toString());
    }

    private static void expect(int code, Shrink.Run run, String fragment) {
        assertEquals(code, run.code(), run.toString());
        String err = run.err().strip();
        assertTrue(err.contains(fragment), "stderr should mention '" + fragment + "': " + run);
        assertFalse(err.contains("\tat ") || err.contains("Exception in thread"), "no stack trace: " + run);
    }
}
