package io.shrink.core.checkpoint.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.shrink.core.PyTorchManagerTest;
import io.shrink.core.TinyModels;
import io.shrink.core.infer.FastEncoder;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.tensor.DType;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.tensor.TypedTensor;
import io.shrink.core.tokenize.WordPieceTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.shrink.core.model.CanonicalNames.WORD_EMB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exported ONNX graphs of tiny random models of every family and shape, run in ONNX Runtime on padded batches
 * of two sequence lengths, against shrink's own forward pass ({@link Encoder} and its heads; {@link FastEncoder}
 * for a bare encoder).
 */
class OnnxExporterTest extends PyTorchManagerTest {
    static final double FP32_TOLERANCE = 1e-4;
    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    @TempDir
    Path tmp;

    /** A token batch: ids, segment ids and mask, each (batch, seq) row-major. */
    record Batch(int b, int s, long[] ids, long[] types, long[] mask) {
        static Batch random(EncoderConfig c, int[] lengths, int s, long seed) {
            int b = lengths.length;
            long[] ids = new long[b * s];
            long[] types = new long[b * s];
            long[] mask = new long[b * s];
            Random r = new Random(seed);
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < s; j++) {
                    boolean real = j < lengths[i];
                    ids[i * s + j] = real ? 5 + r.nextInt(c.vocabSize() - 5) : 0;
                    types[i * s + j] = real && c.typeVocabSize() > 0 && j > lengths[i] / 2 ? 1 : 0;
                    mask[i * s + j] = real ? 1 : 0;
                }
            }
            return new Batch(b, s, ids, types, mask);
        }
    }

    /** Two padded batches of different length on the same session: both axes are dynamic. */
    static List<Batch> batches(EncoderConfig c) {
        return List.of(Batch.random(c, new int[] {11, 7, 2}, 11, 1), Batch.random(c, new int[] {5, 5, 1, 3, 4}, 5, 2));
    }

    static EncoderConfig pruned() {
        return TinyModels.bert().withLayers(List.of(2, 0), List.of(0, 40));
    }

    static EncoderConfig reluHeterogeneous() {
        EncoderConfig d = TinyModels.distilbert().withLayers(List.of(4, 3), List.of(64, 16));
        return new EncoderConfig(d.family(), d.vocabSize(), d.hiddenSize(), d.numLayers(), d.numHeads(), d.headSize(),
                d.intermediateSize(), d.maxPositions(), d.typeVocabSize(), d.embeddingSize(), false, d.layerHeads(),
                d.layerFfn(), "relu", 1e-5, 0.1, 0.1, 0);
    }

    static HeadConfig regression() {
        return new HeadConfig("regression", "pooler", List.of("score"));
    }

    static HeadConfig qa() {
        return new HeadConfig("qa", null, List.of());
    }

    @Test
    void fp32ExportsMatchShrinksForwardOnEveryFamilyAndHead() throws Exception {
        Map<String, Checkpoint> models = new LinkedHashMap<>();
        models.put("bert + classification (pooler)", TinyModels.model(TinyModels.bert(), TinyModels.classifier("pooler"), 11));
        models.put("distilbert + classification (pre_classifier)",
                TinyModels.model(TinyModels.distilbert(), TinyModels.classifier("pre_classifier"), 12));
        models.put("albert factorised + shared + mlm", TinyModels.model(TinyModels.albert(), HeadConfig.mlm(), 13));
        models.put("pruned 0-head / 0-ffn + regression", TinyModels.model(pruned(), regression(), 14));
        models.put("bert + qa", TinyModels.model(TinyModels.bert(), qa(), 15));
        models.put("bare relu heterogeneous", TinyModels.model(reluHeterogeneous(), HeadConfig.none(), 16));
        models.put("bare albert", TinyModels.model(TinyModels.albert(), HeadConfig.none(), 17));
        for (Map.Entry<String, Checkpoint> m : models.entrySet()) {
            OnnxExporter.Built built = OnnxExporter.build(m.getValue());
            assertEquals(0, built.summary().int8Linears(), m.getKey());
            assertTrue(built.summary().widened().isEmpty(), m.getKey());
            double worst = worstDifference(m.getValue(), built.model().toByteArray(), null);
            System.out.printf("OnnxExporterTest fp32 %-46s max |diff| %.3g%n", m.getKey(), worst);
            assertTrue(worst <= FP32_TOLERANCE, m.getKey() + ": max |diff| " + worst + " > " + FP32_TOLERANCE);
        }
    }

    @Test
    void bareEncoderMatchesFastEncoderAndDeclaresItsInterface() throws Exception {
        Checkpoint ckpt = TinyModels.model(TinyModels.bert(), HeadConfig.none(), 21);
        byte[] onnx = OnnxExporter.build(ckpt).model().toByteArray();
        try (OrtSession session = ENV.createSession(onnx, new OrtSession.SessionOptions());
             NDManager step = manager.newSubManager();
             FastEncoder fast = FastEncoder.load(ckpt, step)) {
            assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), List.copyOf(session.getInputNames()));
            assertEquals(List.of("last_hidden_state"), List.copyOf(session.getOutputNames()));
            for (Batch batch : batches(ckpt.config())) {
                Map<String, float[]> got = run(session, batch, true);
                float[] expected = fast.forward(step.create(batch.ids(), new Shape(batch.b(), batch.s())),
                        step.create(batch.types(), new Shape(batch.b(), batch.s())),
                        step.create(batch.mask(), new Shape(batch.b(), batch.s()))).toFloatArray();
                double worst = maxAbs(expected, got.get("last_hidden_state"));
                System.out.printf("OnnxExporterTest fp32 bare bert vs FastEncoder, seq %d: max |diff| %.3g%n",
                        batch.s(), worst);
                assertTrue(worst <= FP32_TOLERANCE, "max |diff| " + worst);
            }
        }
        Checkpoint distil = TinyModels.model(TinyModels.distilbert(), HeadConfig.none(), 22);
        try (OrtSession session = ENV.createSession(OnnxExporter.build(distil).model().toByteArray(),
                new OrtSession.SessionOptions())) {
            assertEquals(List.of("input_ids", "attention_mask"), List.copyOf(session.getInputNames()),
                    "no token_type_ids input for a model without token types");
        }
        OnnxMl.ModelProto model = OnnxExporter.build(ckpt).model();
        int newest = Arrays.stream(OnnxOp.values()).mapToInt(OnnxOp::since).max().orElseThrow();
        assertEquals(OnnxGraph.OPSET, newest, "the declared opset is the newest operator version used");
        assertEquals(OnnxGraph.OPSET, model.getOpsetImport(0).getVersion());
        assertEquals("bert", metadata(model).get("shrink.family"));
    }

    /**
     * int8 linears against shrink's forward on their float view (the dequantised weights). The weights are then the
     * same numbers on both sides; what differs is that ONNX Runtime rounds each linear's input to uint8 with one
     * scale per tensor, step = range / 255. A LayerNorm-ed activation spans about ±4 of unit spread, so the rounding
     * error (uniform, std step / √12) is about 0.9% of the signal per quantised linear and adds up, roughly in
     * quadrature, over the two to four linears between the last LayerNorm and an output (attention output and FFN
     * feed the residual stream scaled down by the tiny models' small weights). Measured: 0.2–1.0% L2 relative
     * error on head outputs and 0.01% on hidden states, every argmax equal. Bounds: 3% L2 relative error and 5% of
     * the largest output for the worst single value; a wrong scale, transpose or zero point, or the uint8 × int8
     * saturation this exporter avoids (8–35% measured), fails them.
     */
    @Test
    void int8ExportsKeepInt8WeightsAndAgreeWithTheFloatView() throws Exception {
        Map<String, Checkpoint> models = new LinkedHashMap<>();
        models.put("bert + classification int8", TinyModels.int8Linears(TinyModels.model(TinyModels.bert(), TinyModels.classifier("pooler"), 31)));
        models.put("distilbert + classification int8",
                TinyModels.int8Linears(TinyModels.model(TinyModels.distilbert(), TinyModels.classifier("pre_classifier"), 32)));
        models.put("albert + mlm int8", TinyModels.int8Linears(TinyModels.model(TinyModels.albert(), HeadConfig.mlm(), 33)));
        models.put("pruned + qa int8", TinyModels.int8Linears(TinyModels.model(pruned(), qa(), 34)));
        models.put("bare relu heterogeneous int8", TinyModels.int8Linears(TinyModels.model(reluHeterogeneous(), HeadConfig.none(), 35)));
        for (Map.Entry<String, Checkpoint> m : models.entrySet()) {
            Checkpoint ckpt = m.getValue();
            OnnxExporter.Built built = OnnxExporter.build(ckpt);
            OnnxExporter.Summary s = built.summary();
            assertEquals(s.linears(), s.int8Linears(), m.getKey() + ": every linear int8: " + s.describe());
            assertTrue(s.widened().isEmpty(), s.describe());
            assertTrue(built.model().getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("MatMulInteger")));
            long int8Weights = built.model().getGraph().getInitializerList().stream()
                    .filter(t -> t.getDataType() == OnnxMl.TensorProto.DataType.UINT8_VALUE && t.getName().endsWith("_quantized"))
                    .count();
            assertEquals(s.int8Linears(), int8Weights, "one quantised weight initializer per int8 linear");
            int[] argmax = {0, 0};
            double[] rel = {0, 0}; // worst L2 relative error, worst max |diff| / max |output|
            double worst = worstDifference(ckpt, built.model().toByteArray(), (output, batch, ref, got) -> {
                rel[0] = Math.max(rel[0], l2Relative(ref, got));
                rel[1] = Math.max(rel[1], maxAbs(ref, got) / maxAbs(ref, new float[ref.length]));
                argmaxAgreement(output, batch, ckpt, ref, got, argmax);
            });
            System.out.printf("OnnxExporterTest int8 %-34s max |diff| %.3g, L2 relative %.2f%%, worst value %.2f%% of "
                    + "max |output|, argmax %d/%d%n", m.getKey(), worst, 100 * rel[0], 100 * rel[1], argmax[0], argmax[1]);
            assertTrue(rel[0] <= 0.03, m.getKey() + ": L2 relative error " + rel[0]);
            assertTrue(rel[1] <= 0.05, m.getKey() + ": worst value " + rel[1] + " of max |output|");
            assertEquals(argmax[1], argmax[0], m.getKey() + ": argmax agreement");
        }
    }

    /**
     * A static int8 model (ranges calibrated with min/max on random inputs) exports its inputs' calibrated scales and
     * zero points as {@code QuantizeLinear} constants, no {@code DynamicQuantizeLinear}, and agrees with its float view
     * within the dynamic export's bounds.
     */
    @Test
    void staticInt8ExportsQuantizeLinearWithTheCalibratedRanges() throws Exception {
        Checkpoint fp32 = TinyModels.model(TinyModels.bert(), TinyModels.classifier("pooler"), 36);
        java.util.Random r = new java.util.Random(5);
        List<io.shrink.core.task.Features.Feature> calibration = new java.util.ArrayList<>();
        for (int i = 0; i < 32; i++) {
            int len = 4 + r.nextInt(9);
            int[] ids = new int[len];
            for (int j = 0; j < len; j++) {
                ids[j] = 5 + r.nextInt(fp32.config().vocabSize() - 5);
            }
            calibration.add(new io.shrink.core.task.Features.Feature(ids, new int[len], i));
        }
        var method = new io.shrink.core.compress.quant.StaticQuantCompressor();
        Checkpoint ckpt = method.compress(fp32, io.shrink.core.compress.CompressService.settings(method,
                        Map.of("observer", "minmax")), new io.shrink.core.compress.CompressionContext(1,
                        new io.shrink.core.compress.Calibration("t", "m", calibration, List.of(), o -> 0), l -> { }))
                .model();
        OnnxExporter.Built built = OnnxExporter.build(ckpt);
        OnnxExporter.Summary s = built.summary();
        assertEquals(6 * ckpt.config().storedLayers(), s.int8Linears(), s.describe()); // the head stays fp32
        List<String> ops = built.model().getGraph().getNodeList().stream().map(OnnxMl.NodeProto::getOpType).toList();
        assertTrue(ops.contains("QuantizeLinear") && ops.contains("MatMulInteger"), ops.toString());
        assertFalse(ops.contains("DynamicQuantizeLinear"), "static int8 quantises no input at run time");
        assertEquals(4 * ckpt.config().storedLayers(), ops.stream().filter(o -> o.equals("QuantizeLinear")).count(),
                "one QuantizeLinear per distinct linear input");
        double[] rel = {0};
        worstDifference(ckpt, built.model().toByteArray(),
                (output, batch, ref, got) -> rel[0] = Math.max(rel[0], l2Relative(ref, got)));
        System.out.printf("OnnxExporterTest static int8: L2 relative %.2f%% against the float view%n", 100 * rel[0]);
        assertTrue(rel[0] <= 0.03, "L2 relative error " + rel[0]);

        // ranges at the 90th percentile clip many inputs: ONNX Runtime and shrink's static linears clip alike
        Checkpoint clipped = method.compress(fp32, io.shrink.core.compress.CompressService.settings(method,
                        Map.of("observer", "percentile", "percentile", 90.0)), new io.shrink.core.compress.CompressionContext(1,
                        new io.shrink.core.compress.Calibration("t", "m", calibration, List.of(), o -> 0), l -> { }))
                .model();
        double worst = 0;
        double fromFloat = 0;
        try (OrtSession session = ENV.createSession(OnnxExporter.build(clipped).model().toByteArray(),
                new OrtSession.SessionOptions());
             NDManager step = manager.newSubManager();
             Encoder encoder = Encoder.load(clipped, step);
             io.shrink.core.infer.FastEncoder fast = io.shrink.core.infer.FastEncoder.load(clipped, step)) {
            for (Batch batch : batches(clipped.config())) {
                Shape shape = new Shape(batch.b(), batch.s());
                NDArray hidden = fast.forward(step.create(batch.ids(), shape), step.create(batch.types(), shape),
                        step.create(batch.mask(), shape)); // (batch, seq, hidden)
                float[] shrink = encoder.classify(hidden, false).toFloatArray();
                worst = Math.max(worst, l2Relative(shrink, run(session, batch, true).get("logits")));
                fromFloat = Math.max(fromFloat, l2Relative(reference(encoder, step, batch).get("logits"), shrink));
            }
        }
        System.out.printf("OnnxExporterTest static int8 clipped at p90: ONNX Runtime vs shrink %.2f%%, shrink vs float "
                + "view %.2f%%%n", 100 * worst, 100 * fromFloat);
        assertTrue(worst <= 0.02, "ONNX Runtime and shrink's static int8 differ by " + worst);
        assertTrue(fromFloat > 2 * worst, "clipping at p90 should move the outputs more than the two runtimes differ");
    }

    /**
     * One int8 linear with weights over the whole int8 range against the same integer arithmetic done here:
     * exact up to float rounding. (Signed int8 weights into ONNX Runtime's uint8 × int8 kernel were off by 0.83 on
     * this AVX2 machine: it saturates 16-bit pair sums.)
     */
    @Test
    void int8LinearIsExactIntegerArithmeticOnFullRangeWeights() throws Exception {
        int in = 32;
        int out = 8;
        Random r = new Random(3);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        TypedTensor q = TypedTensor.int8PerChannel(new FloatTensor("w", new long[] {out, in}, w));
        float[] x = new float[2 * 20 * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 1.5 + 0.3);
        }
        OnnxGraph g = new OnnxGraph("int8_linear");
        g.input("x", OnnxMl.TensorProto.DataType.FLOAT, "batch", "sequence", (long) in);
        String y = OnnxExporter.int8Product(g, OnnxExporter.quantiseInput(g, "x", "linear"), q, "linear");
        g.output(y, OnnxMl.TensorProto.DataType.FLOAT, "batch", "sequence", (long) out);
        float[] got;
        try (OrtSession session = ENV.createSession(g.model("test", "", Map.of()).toByteArray(),
                new OrtSession.SessionOptions());
             OnnxTensor t = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(x), new long[] {2, 20, in});
             OrtSession.Result res = session.run(Map.of("x", t))) {
            FloatBuffer fb = ((OnnxTensor) res.get(0)).getFloatBuffer();
            got = new float[fb.remaining()];
            fb.get(got);
        }
        // DynamicQuantizeLinear: range including 0, scale = range / 255, zero point and values rounded half to even
        float lo = 0;
        float hi = 0;
        for (float v : x) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        float scale = (hi - lo) / 255f;
        int zp = (int) Math.max(0, Math.min(255, Math.rint(-lo / scale)));
        double worst = 0;
        for (int row = 0; row < x.length / in; row++) {
            for (int o = 0; o < out; o++) {
                long acc = 0;
                for (int k = 0; k < in; k++) {
                    long xq = (long) Math.max(0, Math.min(255, Math.rint(x[row * in + k] / scale) + zp));
                    acc += (xq - zp) * q.data()[o * in + k];
                }
                double expected = acc * (double) (scale * q.scales()[o]);
                worst = Math.max(worst, Math.abs(expected - got[row * out + o]) / Math.max(1e-3, Math.abs(expected)));
            }
        }
        System.out.printf("OnnxExporterTest int8 linear vs integer arithmetic: max relative diff %.3g%n", worst);
        assertTrue(worst <= 1e-5, "max relative difference " + worst);
    }

    @Test
    void tensorsStoredAsBf16OrInt4AreWrittenAsTheirFloatView() throws Exception {
        Checkpoint base = TinyModels.model(TinyModels.bert(), TinyModels.classifier("pooler"), 41);
        Map<String, TypedTensor> stored = new LinkedHashMap<>();
        Map<String, FloatTensor> floats = new LinkedHashMap<>(base.tensors());
        for (FloatTensor t : base.tensors().values()) {
            TypedTensor typed = t.name().equals(WORD_EMB) ? TypedTensor.bf16(t)
                    : t.name().endsWith("intermediate.dense.weight") ? TypedTensor.int4Grouped(t, 8)
                    : t.name().endsWith("query.weight") ? TypedTensor.int8PerChannel(t) : null;
            if (typed != null) {
                stored.put(t.name(), typed);
                floats.put(t.name(), typed.toFloat());
            }
        }
        Checkpoint ckpt = new Checkpoint(base.config(), base.head(), floats, base.tokenizer(), stored);
        OnnxExporter.Built built = OnnxExporter.build(ckpt);
        assertEquals(Map.of(DType.BF16, 1, DType.I4, 2), built.summary().widened());
        assertEquals(2, built.summary().int8Linears());
        String line = built.summary().describe();
        assertTrue(line.contains("2 of ") && line.contains("1 BF16 tensor") && line.contains("2 I4 tensors")
                && line.contains("float32"), line);
        Checkpoint floatOnly = new Checkpoint(ckpt.config(), ckpt.head(), floats, ckpt.tokenizer(),
                Map.of(WORD_EMB, stored.get(WORD_EMB)));
        double worst = worstDifference(floatOnly, OnnxExporter.build(floatOnly).model().toByteArray(), null);
        System.out.printf("OnnxExporterTest bf16 word embeddings as float32: max |diff| %.3g%n", worst);
        assertTrue(worst <= FP32_TOLERANCE, "widened tensors are exactly their float view: " + worst);
    }

    @Test
    void writesModelAndTokenizerFiles() throws Exception {
        Checkpoint ckpt = TinyModels.model(TinyModels.distilbert(), HeadConfig.mlm(), 51);
        Path dir = tmp.resolve("out");
        OnnxExporter.Summary s = OnnxExporter.write(ckpt, dir);
        assertEquals("float32", s.describe());
        assertEquals(ckpt.tokenizer(), WordPieceTokenizer.readTokenizerJson(dir.resolve("tokenizer.json")));
        assertEquals(ckpt.tokenizer().vocab(),
                WordPieceTokenizer.readVocabTxt(dir.resolve("vocab.txt"), ckpt.tokenizer().lowercase()).vocab());
        double worst = worstDifference(ckpt, Files.readAllBytes(dir.resolve(OnnxExporter.FILE)), null);
        assertTrue(worst <= FP32_TOLERANCE, "the written file runs: " + worst);
    }

    /** Compares reference and ONNX Runtime values of one output in one test batch. */
    interface Check {
        void compare(String output, Batch batch, float[] reference, float[] onnx);
    }

    /**
     * Runs the graph on every test batch and shrink's {@link Encoder} plus head on the same inputs; returns the
     * largest absolute difference over every output value, padded positions included.
     */
    double worstDifference(Checkpoint ckpt, byte[] onnx, Check check) throws OrtException {
        double worst = 0;
        boolean types = ckpt.config().typeVocabSize() > 0;
        try (OrtSession session = ENV.createSession(onnx, new OrtSession.SessionOptions());
             NDManager step = manager.newSubManager();
             Encoder encoder = Encoder.load(ckpt, step)) {
            for (Batch batch : batches(ckpt.config())) {
                Map<String, float[]> got = run(session, batch, types);
                Map<String, float[]> expected = reference(encoder, step, batch);
                assertEquals(expected.keySet(), got.keySet());
                for (String name : expected.keySet()) {
                    assertEquals(expected.get(name).length, got.get(name).length, name);
                    worst = Math.max(worst, maxAbs(expected.get(name), got.get(name)));
                    if (check != null) {
                        check.compare(name, batch, expected.get(name), got.get(name));
                    }
                }
            }
        }
        return worst;
    }

    /** |ref - got| / |ref| in the L2 norm. */
    private static double l2Relative(float[] ref, float[] got) {
        double d2 = 0;
        double r2 = 0;
        for (int i = 0; i < ref.length; i++) {
            d2 += (ref[i] - got[i]) * (ref[i] - got[i]);
            r2 += ref[i] * ref[i];
        }
        return Math.sqrt(d2 / r2);
    }

    static Map<String, float[]> run(OrtSession session, Batch batch, boolean types) throws OrtException {
        long[] shape = {batch.b(), batch.s()};
        Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(ENV, LongBuffer.wrap(batch.ids()), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(ENV, LongBuffer.wrap(batch.mask()), shape));
            if (types) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(ENV, LongBuffer.wrap(batch.types()), shape));
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            try (OrtSession.Result r = session.run(inputs)) {
                for (Map.Entry<String, OnnxValue> e : r) {
                    FloatBuffer fb = ((OnnxTensor) e.getValue()).getFloatBuffer();
                    float[] a = new float[fb.remaining()];
                    fb.get(a);
                    out.put(e.getKey(), a);
                }
            }
            return out;
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /** shrink's outputs under the exported graph's output names. */
    static Map<String, float[]> reference(Encoder encoder, NDManager m, Batch batch) {
        Shape shape = new Shape(batch.b(), batch.s());
        NDArray hidden = encoder.forward(m.create(batch.ids(), shape), m.create(batch.types(), shape),
                m.create(batch.mask(), shape), false, false).lastHidden(); // (batch, seq, hidden)
        Map<String, float[]> out = new LinkedHashMap<>();
        switch (encoder.head().type()) {
            case "mlm" -> out.put("logits", encoder.mlmLogits(hidden).toFloatArray()); // (batch, seq, vocab)
            case "classification", "regression" -> out.put("logits", encoder.classify(hidden, false).toFloatArray());
            case "qa" -> {
                NDList qa = encoder.qaLogits(hidden); // 2 x (batch, seq)
                out.put("start_logits", qa.get(0).toFloatArray());
                out.put("end_logits", qa.get(1).toFloatArray());
            }
            default -> out.put("last_hidden_state", hidden.toFloatArray());
        }
        return out;
    }

    /**
     * Counts, in {@code counts[0]} of {@code counts[1]}, the predictions whose argmax agrees: each example's class,
     * each token's MLM word, each example's QA start and end position (a bare encoder has none).
     */
    static void argmaxAgreement(String output, Batch batch, Checkpoint ckpt, float[] ref, float[] got, int[] counts) {
        int width = switch (output) {
            case "start_logits", "end_logits" -> batch.s();
            case "logits" -> ckpt.head().type().equals("mlm") ? ckpt.config().vocabSize() : ckpt.head().numOutputs();
            default -> 0;
        };
        if (width == 0) {
            return;
        }
        for (int row = 0; row + width <= ref.length; row += width) {
            counts[0] += argmax(ref, row, width) == argmax(got, row, width) ? 1 : 0;
            counts[1]++;
        }
    }

    static int argmax(float[] a, int from, int len) {
        int best = from;
        for (int i = from; i < from + len; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best - from;
    }

    static double maxAbs(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    static Map<String, String> metadata(OnnxMl.ModelProto model) {
        Map<String, String> m = new LinkedHashMap<>();
        model.getMetadataPropsList().forEach(p -> m.put(p.getKey(), p.getValue()));
        return m;
    }

}
