package io.shrink.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.shrink.core.TestData;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.checkpoint.onnx.OnnxBertImporter;
import io.shrink.core.tokenize.Encoding;
import io.shrink.core.tokenize.WordPieceTokenizer;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our encoder on the imported all-MiniLM-L6-v2 against ONNX Runtime running the original ONNX file on the
 * same token ids: single sentences and pairs, padded batches, max abs difference of last_hidden_state.
 */
class EncoderOnnxParityTest {
    static final List<String> SENTENCES = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "A man is playing a guitar.",
            "Compression makes transformers smaller and faster.",
            "It's raining cats and dogs in Zürich today!",
            "Distillation keeps 97% of BERT's GLUE score with 40% fewer parameters.",
            "Hello",
            "Why?",
            "The stock market fell 3.5 percent on Tuesday, its worst day since March.",
            "She said: \"I don't know what you mean.\"",
            "東京は日本の首都です。",
            "Café au lait, naïve résumé, façade.",
            "Numbers like 1,234,567.89 and dates like 2024-01-31 appear often.",
            "supercalifragilisticexpialidocious antidisestablishmentarianism",
            "A very long sentence that goes on and on, repeating itself, adding clause after clause, "
                    + "so that the padded batch has one long member and several short ones to test masking.",
            "Emoji 😀 and symbols © ® ™ are handled too.",
            "GPUs are not available here; everything runs on two CPU cores.",
            "The Eiffel Tower is in Paris.",
            "Paris is the capital of France.",
            "Cats sleep most of the day.",
            "The weather is lovely.",
            "This movie was terrible and boring.",
            "This movie was wonderful and exciting.",
            "I need to buy milk, eggs and bread.",
            "Quantum computers use qubits.");
    static final List<String[]> PAIRS = List.of(
            new String[] {"How old are you?", "What is your age?"},
            new String[] {"A man is eating food.", "A man is eating a piece of bread."},
            new String[] {"The cat sits on the mat.", "A dog runs in the park."},
            new String[] {"Is this a question?", "No, it is a statement, and a rather long one at that."},
            new String[] {"Where is the Louvre?", "The Louvre is in Paris, on the right bank of the Seine."},
            new String[] {"short", "pair"},
            new String[] {"What does BERT stand for?", "Bidirectional Encoder Representations from Transformers."},
            new String[] {"Two sentences.", "Different segment ids."});
    static final int BATCH = 6;

    @Test
    void lastHiddenStateMatchesOnnxRuntime() throws Exception {
        Path jar = TestData.minilmJar();
        Checkpoint ckpt = OnnxBertImporter.importJar(jar);
        WordPieceTokenizer tok = new WordPieceTokenizer(ckpt.tokenizer());
        List<Encoding> all = new ArrayList<>();
        SENTENCES.forEach(s -> all.add(tok.encode(s)));
        PAIRS.forEach(p -> all.add(tok.encode(p[0], p[1])));
        assertTrue(all.size() >= 30, "a few dozen inputs");

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        double worst = 0;
        int compared = 0;
        try (OrtSession session = env.createSession(onnxBytes(jar), new OrtSession.SessionOptions());
             NDManager manager = NDManager.newBaseManager("PyTorch");
             Encoder encoder = Encoder.load(ckpt, manager)) {
            for (int from = 0; from < all.size(); from += BATCH) {
                Encoding[] batch = tok.pad(all.subList(from, Math.min(all.size(), from + BATCH)), 0);
                int b = batch.length;
                int s = batch[0].length();
                long[][] ids = new long[b][s];
                long[][] types = new long[b][s];
                long[][] mask = new long[b][s];
                for (int i = 0; i < b; i++) {
                    for (int j = 0; j < s; j++) {
                        ids[i][j] = batch[i].ids()[j];
                        types[i][j] = batch[i].typeIds()[j];
                        mask[i][j] = batch[i].attentionMask()[j];
                    }
                }
                float[][][] expected;
                try (OnnxTensor tIds = OnnxTensor.createTensor(env, ids);
                     OnnxTensor tMask = OnnxTensor.createTensor(env, mask);
                     OnnxTensor tTypes = OnnxTensor.createTensor(env, types);
                     OrtSession.Result r = session.run(Map.of("input_ids", tIds, "attention_mask", tMask,
                             "token_type_ids", tTypes))) {
                    expected = (float[][][]) r.get(0).getValue();
                }
                try (NDManager step = manager.newSubManager()) {
                    NDArray out = encoder.forward(
                            step.create(flatten(ids), new Shape(b, s)), step.create(flatten(types), new Shape(b, s)),
                            step.create(flatten(mask), new Shape(b, s)), false, false).lastHidden(); // (b, s, 384)
                    float[] actual = out.toFloatArray();
                    int h = (int) out.getShape().get(2);
                    for (int i = 0; i < b; i++) {
                        for (int j = 0; j < s; j++) {
                            if (mask[i][j] == 0) {
                                continue;
                            }
                            for (int k = 0; k < h; k++) {
                                worst = Math.max(worst, Math.abs(actual[(i * s + j) * h + k] - expected[i][j][k]));
                            }
                            compared++;
                        }
                    }
                }
            }
        }
        System.out.printf("EncoderOnnxParityTest: %d inputs, %d token positions, max abs diff %.3g%n",
                all.size(), compared, worst);
        assertTrue(worst <= 1e-4, "max abs difference " + worst + " > 1e-4");
        assertEquals(all.stream().mapToInt(e -> e.length()).sum(), compared);
    }

    static long[] flatten(long[][] a) {
        return Arrays.stream(a).flatMapToLong(Arrays::stream).toArray();
    }

    static byte[] onnxBytes(Path jar) throws Exception {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry e = zip.stream().filter(z -> z.getName().endsWith(".onnx")).findFirst().orElseThrow();
            try (InputStream in = zip.getInputStream(e)) {
                return in.readAllBytes();
            }
        }
    }
}
