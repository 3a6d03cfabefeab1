package io.shrink.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shrink.core.checkpoint.hf.HfLayout;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.ModelInit;
import io.shrink.core.models.ModelService;
import io.shrink.core.registry.RegistryEntry;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.tensor.TypedTensor;
import io.shrink.core.tokenize.Encoding;
import io.shrink.core.tokenize.WordPieceTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code shrink models export --format onnx} through the packaged CLI: a tiny float model and a tiny int8 one are
 * exported, the files run in ONNX Runtime on sentences tokenized with the exported tokenizer.json and compared with
 * shrink's own forward pass; bad targets give one-line errors with the documented exit codes.
 */
class OnnxExportCliIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> TEXTS = List.of("the cat sat on the mat .", "the mat", "a cat sat on the cat mat .");

    @TempDir
    Path tmp;

    static Checkpoint tiny(long seed) {
        EncoderConfig c = new EncoderConfig("bert", ModelsCliIT.vocab().vocab().size(), 32, 2, 4, 8, 64, 64, 2, 32,
                false, List.of(), List.of(), "gelu", 1e-12, 0.1, 0.1, 0);
        return ModelInit.random(c, new HeadConfig("classification", "pooler", List.of("negative", "positive")),
                ModelsCliIT.vocab(), seed);
    }

    @Test
    void exportsFloatAndInt8ModelsThatOnnxRuntimeRuns() throws Exception {
        Path reg = tmp.resolve("registry");
        Checkpoint fp32 = tiny(7);
        HfLayout.write(fp32, tmp.resolve("hf"));
        Shrink.Run imp = Shrink.run(reg, "models", "import", tmp.resolve("hf").toString(), "--id", "tiny");
        assertEquals(0, imp.code(), imp.toString());

        Path out = tmp.resolve("tiny-onnx");
        Shrink.Run exp = Shrink.run(reg, "models", "export", "tiny", out.toString(), "--format", "onnx", "--json");
        assertEquals(0, exp.code(), exp.toString());
        JsonNode r = JSON.readTree(exp.out());
        assertEquals("onnx", r.get("format").asText());
        assertEquals("float32", r.get("weights").asText());
        Diff f = compare(fp32, out);
        System.out.printf("OnnxExportCliIT fp32: max |logit diff| %.3g%n", f.worst());
        assertTrue(f.worst() <= 1e-4, "fp32 max |diff| " + f.worst());

        // an int8 model as the registry holds one (a quantize command would produce it)
        Checkpoint int8 = int8Linears(tiny(8));
        RegistryEntry entry = new ModelService(reg).add(int8, "tiny-int8", false, null,
                new RegistryEntry.Lineage("test", "OnnxExportCliIT", Map.of(), null));
        assertEquals("tiny-int8", entry.id());
        Path outQ = tmp.resolve("tiny-int8-onnx");
        Shrink.Run expQ = Shrink.run(reg, "models", "export", "tiny-int8", outQ.toString(), "--format", "ONNX");
        assertEquals(0, expQ.code(), expQ.toString());
        assertTrue(expQ.out().contains("14 of 14 linears int8"), expQ.out());
        Diff q = compare(int8, outQ);
        System.out.printf("OnnxExportCliIT int8: max |logit diff| %.3g of max |logit| %.3g, argmax %d/%d%n", q.worst(),
                q.largest(), q.agree(), q.rows());
        assertEquals(q.rows(), q.agree(), "argmax agreement");
        // the bound of OnnxExporterTest's int8 test, which explains it
        assertTrue(q.worst() <= 0.05 * q.largest(), "int8 max |diff| " + q.worst());
        assertTrue(Files.size(outQ.resolve("model.onnx")) < Files.size(out.resolve("model.onnx")), "int8 is smaller");
    }

    @Test
    void badTargetsGiveOneLineErrors() throws Exception {
        Path reg = tmp.resolve("registry");
        HfLayout.write(tiny(9), tmp.resolve("hf"));
        assertEquals(0, Shrink.run(reg, "models", "import", tmp.resolve("hf").toString(), "--id", "tiny").code());

        Path taken = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(taken.resolve("keep.txt"), "mine");
        expect(2, Shrink.run(reg, "models", "export", "tiny", taken.toString(), "--format", "onnx"), "use --force");
        assertEquals("mine", Files.readString(taken.resolve("keep.txt")));
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        expect(2, Shrink.run(reg, "models", "export", "tiny", file.resolve("out").toString(), "--format", "onnx"),
                "is a file, not a folder");
        expect(3, Shrink.run(reg, "models", "export", "nothing-here", tmp.resolve("o").toString(), "--format", "onnx"),
                "no model 'nothing-here'");
        expect(2, Shrink.run(reg, "models", "export", "tiny", tmp.resolve("o").toString(), "--format", "tflite"),
                "--format");
        try (var s = Files.list(tmp)) {
            assertEquals(List.of("a-file", "hf", "registry", "taken"),
                    s.map(p -> p.getFileName().toString()).sorted().toList(), "nothing half-written");
        }
        Shrink.Run forced = Shrink.run(reg, "models", "export", "tiny", taken.toString(), "--format", "onnx", "-f");
        assertEquals(0, forced.code(), forced.toString());
        assertFalse(Files.exists(taken.resolve("keep.txt")));
    }

    private static void expect(int code, Shrink.Run run, String fragment) {
        assertEquals(code, run.code(), run.toString());
        String err = run.err().strip();
        assertTrue(err.contains(fragment), "stderr should mention '" + fragment + "': " + run);
        assertFalse(err.contains("\tat ") || err.contains("Exception in thread"), "no stack trace: " + run);
        if (code != 2 || !fragment.equals("--format")) {
            assertEquals(1, err.lines().count(), "one-line error: " + run);
        }
    }

    /** Max |logit difference|, max |reference logit|, and how many of the rows agree on the argmax. */
    record Diff(double worst, double largest, int agree, int rows) {
    }

    /**
     * Runs the exported model on {@link #TEXTS} (padded, tokenized with its tokenizer.json) and shrink's encoder
     * on the same ids.
     */
    private static Diff compare(Checkpoint ckpt, Path dir) throws Exception {
        WordPieceTokenizer tok = WordPieceTokenizer.fromTokenizerJson(dir.resolve("tokenizer.json"));
        Encoding[] batch = tok.pad(TEXTS.stream().map(tok::encode).toList(), 0);
        int b = batch.length;
        int s = batch[0].length();
        long[] ids = new long[b * s];
        long[] types = new long[b * s];
        long[] mask = new long[b * s];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < s; j++) {
                ids[i * s + j] = batch[i].ids()[j];
                types[i * s + j] = batch[i].typeIds()[j];
                mask[i * s + j] = batch[i].attentionMask()[j];
            }
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] got;
        long[] shape = {b, s};
        try (OrtSession session = env.createSession(dir.resolve("model.onnx").toString(), new OrtSession.SessionOptions());
             OnnxTensor tIds = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
             OnnxTensor tMask = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor tTypes = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape);
             OrtSession.Result r = session.run(Map.of("input_ids", tIds, "attention_mask", tMask, "token_type_ids", tTypes))) {
            FloatBuffer fb = ((OnnxTensor) r.get("logits").orElseThrow()).getFloatBuffer(); // (b, 2)
            got = new float[fb.remaining()];
            fb.get(got);
        }
        float[] expected;
        try (NDManager m = NDManager.newBaseManager("PyTorch"); Encoder enc = Encoder.load(ckpt, m)) {
            Shape sh = new Shape(b, s);
            expected = enc.classify(enc.forward(m.create(ids, sh), m.create(types, sh), m.create(mask, sh), false, false)
                    .lastHidden(), false).toFloatArray(); // (b, 2)
        }
        double worst = 0;
        double largest = 0;
        for (int i = 0; i < got.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - expected[i]));
            largest = Math.max(largest, Math.abs(expected[i]));
        }
        int agree = 0;
        for (int i = 0; i < b; i++) {
            agree += (got[2 * i] > got[2 * i + 1]) == (expected[2 * i] > expected[2 * i + 1]) ? 1 : 0;
        }
        return new Diff(worst, largest, agree, b);
    }

    /** Every Linear weight stored as symmetric per-row int8, the float view its dequantised values. */
    private static Checkpoint int8Linears(Checkpoint base) {
        Map<String, TypedTensor> stored = new LinkedHashMap<>();
        Map<String, FloatTensor> floats = new LinkedHashMap<>(base.tensors());
        for (FloatTensor t : base.tensors().values()) {
            if (t.shape().length == 2 && t.name().endsWith(".weight") && !t.name().startsWith("embeddings.")) {
                TypedTensor q = TypedTensor.int8PerChannel(t);
                stored.put(t.name(), q);
                floats.put(t.name(), q.toFloat());
            }
        }
        return new Checkpoint(base.config(), base.head(), floats, base.tokenizer(), stored);
    }
}
