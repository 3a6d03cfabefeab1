package io.shrink.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shrink.core.checkpoint.hf.HfLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code shrink quantize} through the packaged CLI on a tiny classifier: each method stores a smaller model with its
 * lineage and a quantize result; the int8 model predicts, is benchmarked on int8 kernels and exports to ONNX with
 * int8 linears; bad input gives one-line errors with the documented exit codes and leaves the registry as it was.
 */
class QuantizeCliIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void quantizesPredictsBenchmarksAndExports() throws Exception {
        Path reg = tmp.resolve("registry");
        HfLayout.write(OnnxExportCliIT.tiny(7), tmp.resolve("hf"));
        assertEquals(0, Shrink.run(reg, "models", "import", tmp.resolve("hf").toString(), "--id", "tiny").code());

        Shrink.Run q = Shrink.run(reg, "quantize", "tiny", "--method", "dynamic-int8", "--id", "tiny-int8", "--json",
                "--out", tmp.resolve("run-q").toString());
        assertEquals(0, q.code(), q.toString());
        JsonNode r = JSON.readTree(q.out());
        assertEquals("quantize", r.get("command").asText());
        assertEquals("dynamic-int8", r.at("/details/quantization/scheme").asText());
        long before = r.at("/details/weightBytesBefore/layers").asLong();
        long after = r.at("/details/weightBytesAfter/layers").asLong();
        assertTrue(after < 0.35 * before, "int8 layers " + after + " of " + before);
        assertTrue(r.at("/details/kernels/int8").asText().contains("linear_dynamic"), q.out());
        assertTrue(Files.isRegularFile(tmp.resolve("run-q/result.json")));

        Shrink.Run show = Shrink.run(reg, "models", "show", "tiny-int8", "--json");
        JsonNode entry = JSON.readTree(show.out());
        assertEquals("dynamic-int8", entry.at("/quantization/scheme").asText(), show.out());
        assertEquals("quantize", entry.at("/producedBy/command").asText());
        assertEquals("tiny", entry.get("parent").asText());

        Shrink.Run p = Shrink.run(reg, "predict", "tiny-int8", "--json", "the cat sat on the mat .");
        assertEquals(0, p.code(), p.toString());

        Shrink.Run b = Shrink.run(reg, "benchmark", "tiny", "tiny-int8", "--batch", "2", "--seq", "8", "--duration",
                "0.2", "--rounds", "1", "--json", "--out", tmp.resolve("run-b").toString());
        assertEquals(0, b.code(), b.toString());
        JsonNode models = JSON.readTree(b.out()).at("/details/models");
        assertEquals("fp32", models.get(0).get("precision").asText());
        assertEquals("int8", models.get(1).get("precision").asText());
        assertTrue(JSON.readTree(b.out()).at("/details/precisionPeaks/int8").asDouble() > 0, b.out());

        Shrink.Run e = Shrink.run(reg, "models", "export", "tiny-int8", tmp.resolve("onnx").toString(), "--format", "onnx");
        assertEquals(0, e.code(), e.toString());
        assertTrue(e.out().contains("int8"), e.out());

        for (String method : new String[] {"weight-int8", "bf16"}) {
            Shrink.Run m = Shrink.run(reg, "quantize", "tiny", "--method", method, "--out", tmp.resolve("run-" + method).toString());
            assertEquals(0, m.code(), m.toString());
        }
        Shrink.Run g = Shrink.run(reg, "quantize", "tiny", "--method", "weight-int4", "--group-size", "16",
                "--out", tmp.resolve("run-int4").toString());
        assertEquals(0, g.code(), g.toString());
        assertEquals(0, Shrink.run(reg, "predict", "tiny-bf16", "the mat").code());
        assertEquals(0, Shrink.run(reg, "predict", "tiny-weight-int4", "the mat").code());

        // per-token activations: its own kernels, recorded; its own peak in the benchmark; no ONNX form
        Shrink.Run t = Shrink.run(reg, "quantize", "tiny", "--method", "dynamic-int8", "--activations", "per-token",
                "--id", "tiny-int8t", "--json", "--out", tmp.resolve("run-int8t").toString());
        assertEquals(0, t.code(), t.toString());
        assertEquals("per-token", JSON.readTree(t.out()).at("/details/options/activations").asText(), t.out());
        assertTrue(JSON.readTree(t.out()).at("/details/kernels/int8").asText().contains("_int_mm"), t.out());
        assertEquals(0, Shrink.run(reg, "predict", "tiny-int8t", "the cat sat on the mat .").code());
        Shrink.Run bt = Shrink.run(reg, "benchmark", "tiny", "tiny-int8t", "--batch", "2", "--seq", "8", "--duration",
                "0.2", "--rounds", "1", "--warmup", "1", "--json", "--out", tmp.resolve("bench-int8t").toString());
        assertEquals(0, bt.code(), bt.toString());
        assertEquals("int8-token", JSON.readTree(bt.out()).at("/details/models/1/precision").asText(), bt.out());
        assertTrue(JSON.readTree(bt.out()).at("/details/precisionPeaks/int8Token").asDouble() > 0, bt.out());
        expect(2, Shrink.run(reg, "models", "export", "tiny-int8t", tmp.resolve("onnx-t").toString(), "--format", "onnx"),
                "per-token");
        expect(2, Shrink.run(reg, "quantize", "tiny", "--method", "bf16", "--activations", "per-token", "--id", "x"),
                "dynamic-int8 only");
        expect(2, Shrink.run(reg, "quantize", "tiny", "--method", "dynamic-int8", "--activations", "per-row", "--id", "x"),
                "per-tensor or per-token");
    }

    @Test
    void staticInt8CalibratesOnTaskDataFallsBackAndExports() throws Exception {
        Path reg = tmp.resolve("registry");
        Path glue = FineTuneCliIT.glue(tmp);
        HfLayout.write(OnnxExportCliIT.tiny(7), tmp.resolve("hf"));
        assertEquals(0, Shrink.run(reg, "models", "import", tmp.resolve("hf").toString(), "--id", "tiny").code());

        Shrink.Run q = Shrink.run(reg, "quantize", "tiny", "--method", "static-int8", "--calibration-task", "sst2",
                "--glue-dir", glue.toString(), "--calibration-size", "16", "--held-out", "32", "--observer", "percentile",
                "--percentile", "99.9", "--tolerance", "50", "--id", "tiny-s8", "--json", "--out", tmp.resolve("run-s").toString());
        assertEquals(0, q.code(), q.toString());
        JsonNode r = JSON.readTree(q.out());
        assertEquals("sst2", r.get("task").asText());
        assertTrue(r.at("/details/kernels/int8").asText().contains("calibrated"), q.out());
        assertEquals("static-int8", r.at("/details/quantization/scheme").asText());
        assertEquals(8, r.at("/details/quantization/inputRanges").size(), "4 linear inputs in each of 2 layers");
        assertEquals("percentile", r.at("/details/options/observer").asText());
        assertEquals(16, r.at("/details/options/calibrationSize").asInt());
        assertEquals(32, r.at("/details/options/heldOutSize").asInt());
        assertTrue(r.at("/details/options/toleranceMet").asBoolean(), q.out());
        ResultShape.assertMatchesGolden("quantize-static", tmp.resolve("run-s/result.json"));

        // a tolerance of 0 with every linear allowed to fall back always holds: at worst the model is fp32 again
        Shrink.Run strict = Shrink.run(reg, "quantize", "tiny", "--method", "static-int8", "--calibration-task", "sst2",
                "--glue-dir", glue.toString(), "--calibration-size", "16", "--held-out", "32", "--tolerance", "0",
                "--max-fallback", "12", "--id", "tiny-s0", "--json", "--out", tmp.resolve("run-s0").toString());
        assertEquals(0, strict.code(), strict.toString());
        JsonNode o = JSON.readTree(strict.out()).at("/details/options");
        assertTrue(o.get("toleranceMet").asBoolean(), strict.out());
        assertTrue(o.get("heldOutResult").asDouble() >= o.get("heldOutParent").asDouble(), strict.out());

        assertEquals(0, Shrink.run(reg, "predict", "tiny-s8", "the cat sat on the mat .").code());
        Shrink.Run b = Shrink.run(reg, "benchmark", "tiny", "tiny-s8", "--batch", "2", "--seq", "8", "--duration",
                "0.2", "--rounds", "1", "--json", "--out", tmp.resolve("run-bs").toString());
        assertEquals(0, b.code(), b.toString());
        JsonNode bm = JSON.readTree(b.out()).at("/details/models/1");
        assertEquals("int8-static", bm.get("precision").asText(), b.out());
        assertTrue(bm.at("/kernels/int8-static").asText().contains("linear_with_input_q_dq"), b.out());
        Shrink.Run e = Shrink.run(reg, "models", "export", "tiny-s8", tmp.resolve("onnx").toString(), "--format", "onnx");
        assertEquals(0, e.code(), e.toString());
        assertTrue(e.out().contains("int8"), e.out());

        expect(2, Shrink.run(reg, "quantize", "tiny", "--method", "static-int8"), "--calibration-task");
        expect(2, Shrink.run(reg, "quantize", "tiny", "--method", "dynamic-int8", "--calibration-task", "sst2",
                "--glue-dir", glue.toString()), "static-int8 only");
        expect(2, Shrink.run(reg, "quantize", "tiny", "--method", "static-int8", "--calibration-task", "sst2",
                "--glue-dir", glue.toString(), "--calibration-size", "16", "--tolerance", "abc"), "tolerance");
        expect(2, Shrink.run(reg, "quantize", "tiny", "--method", "static-int8", "--calibration-task", "sst2",
                "--glue-dir", glue.toString(), "--observer", "kl"), "unknown observer");
        expect(3, Shrink.run(reg, "quantize", "tiny", "--method", "static-int8", "--calibration-task", "sst2",
                "--glue-dir", tmp.resolve("nowhere").toString()), "nowhere");
    }

    @Test
    void badInputIsAOneLineErrorAndLeavesTheRegistryAsItWas() throws Exception {
        Path reg = tmp.resolve("registry");
        HfLayout.write(OnnxExportCliIT.tiny(3), tmp.resolve("hf"));
        assertEquals(0, Shrink.run(reg, "models", "import", tmp.resolve("hf").toString(), "--id", "tiny").code());

        expect(2, Shrink.run(reg, "quantize", "tiny", "--method", "int3"), "unknown compression method");
        expect(2, Shrink.run(reg, "quantize", "tiny", "--method", "layers"), "not a quantisation method");
        expect(2, Shrink.run(reg, "quantize", "tiny", "--method", "weight-int4", "--group-size", "5"), "does not divide");
        expect(2, Shrink.run(reg, "quantize", "tiny", "--method", "weight-int4", "--group-size", "0"), "--group-size");
        expect(2, Shrink.run(reg, "quantize", "tiny", "--method", "dynamic-int8", "--exclude", "self\\.query"),
                "fused");
        expect(2, Shrink.run(reg, "quantize", "tiny", "--method", "dynamic-int8", "--include", "("),
                "not a regular expression");
        expect(3, Shrink.run(reg, "quantize", "nosuch", "--method", "bf16"), "nosuch");
        Shrink.Run list = Shrink.run(reg, "models", "list", "--json");
        assertEquals(1, JSON.readTree(list.out()).size(), list.out());

        assertEquals(0, Shrink.run(reg, "quantize", "tiny", "--method", "dynamic-int8", "--id", "q8").code());
        expect(2, Shrink.run(reg, "quantize", "q8", "--method", "bf16"), "already stored in reduced precision");
        // a truncated quantised checkpoint is a corrupt model
        Path weights = reg.resolve("models/q8/weights.safetensors");
        try (FileChannel ch = FileChannel.open(weights, StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(weights) - 100);
        }
        expect(3, Shrink.run(reg, "predict", "q8", "the mat"), "q8");
    }

    private static void expect(int code, Shrink.Run run, String text) {
        assertEquals(code, run.code(), run.toString());
        String err = run.err().strip();
        assertFalse(err.contains("\n\tat "), "stack trace: " + err);
        assertTrue(err.contains(text), "'" + text + "' not in: " + err);
    }
}
