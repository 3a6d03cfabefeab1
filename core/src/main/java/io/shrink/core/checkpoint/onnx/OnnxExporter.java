package io.shrink.core.checkpoint.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Quantization;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.tensor.DType;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.tensor.TypedTensor;
import io.shrink.core.tokenize.WordPieceTokenizer;
import io.shrink.core.util.AtomicFiles;
import io.shrink.core.util.Versions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static io.shrink.core.checkpoint.onnx.OnnxGraph.attr;
import static io.shrink.core.model.CanonicalNames.*;

/**
 * Writes a {@link Checkpoint} as an ONNX model that ONNX Runtime runs: the encoder exactly as
 * {@link io.shrink.core.model.Encoder} computes it (post-LayerNorm BERT layers, optional token types, factorised
 * embeddings, cross-layer sharing, per-layer head counts and FFN widths including 0, gelu / gelu_new / relu) and
 * its head. Inputs are {@code input_ids} and {@code attention_mask} and, where the model has token types,
 * {@code token_type_ids}, all int64 {@code (batch, sequence)} with both axes dynamic. Outputs: a bare encoder
 * gives {@code last_hidden_state} (batch, sequence, hidden); the MLM head {@code logits} (batch, sequence, vocab);
 * classification and regression {@code logits} (batch, labels); QA {@code start_logits} and {@code end_logits}
 * (batch, sequence). Operator set {@value OnnxGraph#OPSET} (LayerNormalization).
 *
 * <p>A Linear whose weight is stored as int8 ({@link DType#I8}: symmetric, one scale per output row) is written as
 * ONNX Runtime's dynamic quantisation writes it: {@code DynamicQuantizeLinear} turns the activation into uint8
 * with a per-tensor scale and zero point, {@code MatMulInteger} multiplies it by the quantised weight stored
 * {@code [in, out]}, and the int32 products are scaled by activation scale × the output channel's weight scale
 * before the bias is added. The weight goes in as uint8 {@code q + 128} with zero point 128 (ONNX Runtime's
 * {@code QUInt8} weight type), which is the same integer {@code q} exactly: ONNX Runtime's uint8 × int8 kernel on
 * x86 CPUs without VNNI adds pairs of products in 16 bits and saturates when the weights use the whole int8
 * range, as symmetric per-row int8 does (measured here on an AVX2 machine: a 32-wide product off by 0.83 where
 * uint8 × uint8 was exact to 3e-7), while the uint8 × uint8 kernels widen first. Under static int8
 * ({@link io.shrink.core.model.Quantization.Scheme#STATIC_INT8}) the input is quantised instead by
 * {@code QuantizeLinear} with the calibrated scale and zero point as constants, as ONNX Runtime's static
 * quantisation in QOperator-free (MatMulInteger) form does. Every other weight, including
 * ones stored as BF16, F16 or I4, is written as its float32 view; {@link Summary#widened()} counts those.
 */
public final class OnnxExporter {
    /** The file name of the model inside an export directory. */
    public static final String FILE = "model.onnx";
    /** Protobuf cannot serialise one message of 2 GiB or more; leave room for everything but the weights. */
    private static final long MAX_INITIALIZER_BYTES = (1L << 31) - (64L << 20);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The int8 weights are stored as uint8 q + 128 with this zero point (see the class comment). */
    private static final int WEIGHT_ZERO_POINT = 128;

    private OnnxExporter() {
    }

    /**
     * What an export wrote.
     *
     * @param linears     Linear layers in the graph (shared layers counted once)
     * @param int8Linears of those, the ones written as int8 {@code MatMulInteger}
     * @param widened     tensors stored in another type than F32 that were written as float32, by stored type
     * @param bytes       initializer bytes in the graph
     */
    public record Summary(int linears, int int8Linears, Map<DType, Integer> widened, long bytes) {
        /** Copies the map. */
        public Summary {
            widened = Map.copyOf(widened);
        }

        /** One line for the user, e.g. {@code 36 of 36 linears int8 (MatMulInteger); 2 BF16 tensors as float32}. */
        public String describe() {
            StringBuilder s = new StringBuilder();
            s.append(int8Linears == 0 ? "float32" : int8Linears + " of " + linears + " linears int8 (MatMulInteger)");
            if (!widened.isEmpty()) {
                s.append("; ").append(widened.entrySet().stream().sorted(Map.Entry.comparingByKey())
                        .map(e -> e.getValue() + " " + e.getKey() + (e.getValue() == 1 ? " tensor" : " tensors"))
                        .collect(Collectors.joining(", ")));
                s.append(" written as float32 (ONNX export keeps int8 linears only)");
            }
            return s.toString();
        }
    }

    /** The ONNX model and what went into it. */
    public record Built(OnnxMl.ModelProto model, Summary summary) {
    }

    /** {@code DynamicQuantizeLinear} of {@code x}: uint8 (..., in), its scale () and its zero point (). */
    static List<String> quantiseInput(OnnxGraph g, String x, String hint) {
        return g.node(OnnxOp.DYNAMIC_QUANTIZE_LINEAR, hint + "/quantize_input", List.of(x), 3);
    }

    /**
     * {@code QuantizeLinear} of {@code x} with a calibrated range ({@link Quantization#activationParams}), clipped
     * first to the values of levels 0 and {@link Quantization#ACTIVATION_QMAX} as shrink's own static linears are:
     * uint8 (..., in), its scale () and its zero point (), the last two constants.
     */
    static List<String> quantiseInput(OnnxGraph g, String x, List<Double> range, String hint) {
        double[] sz = Quantization.activationParams(range);
        String scale = g.floats(hint + "/input_scale", new long[0], new float[] {(float) sz[0]});
        String zero = g.bytes(hint + "/input_zero_point", TensorProto.DataType.UINT8, new long[0], new byte[] {(byte) sz[1]});
        String lo = g.floats(hint + "/input_min", new long[0], new float[] {(float) (-sz[1] * sz[0])});
        String hi = g.floats(hint + "/input_max", new long[0],
                new float[] {(float) ((Quantization.ACTIVATION_QMAX - sz[1]) * sz[0])});
        String clipped = g.node(OnnxOp.CLIP, hint + "/clip_input", List.of(x, lo, hi));
        String q = g.node(OnnxOp.QUANTIZE_LINEAR, hint + "/quantize_input", List.of(clipped, scale, zero));
        return List.of(q, scale, zero);
    }

    /**
     * {@code x W^T} for an int8 weight {@code (out, in)} with per-row scales, from the quantised input {@code xq}
     * of {@link #quantiseInput}: {@code (..., in) -> (..., out)}, float32.
     */
    static String int8Product(OnnxGraph g, List<String> xq, TypedTensor weight, String hint) {
        int out = (int) weight.shape()[0];
        int in = (int) weight.shape()[1];
        String wq = g.bytes(weight.name() + "_quantized", TensorProto.DataType.UINT8, new long[] {in, out},
                offsetTranspose(weight.data(), out, in)); // (in, out), q + 128
        String ws = g.floats(weight.name() + "_scale", new long[] {out}, weight.scales()); // (out,)
        String wzp = g.bytes("const/uint8_" + WEIGHT_ZERO_POINT, TensorProto.DataType.UINT8, new long[0],
                new byte[] {(byte) WEIGHT_ZERO_POINT});
        String acc = g.node(OnnxOp.MAT_MUL_INTEGER, hint + "/MatMulInteger",
                List.of(xq.get(0), wq, xq.get(2), wzp)); // int32 (..., out): sum (x_q - zp)(w_u8 - 128)
        String f = g.node(OnnxOp.CAST, hint + "/to_float", List.of(acc),
                attr("to", (long) TensorProto.DataType.FLOAT.getNumber()));
        String scale = g.node(OnnxOp.MUL, hint + "/scale", List.of(xq.get(1), ws)); // (out,)
        return g.node(OnnxOp.MUL, hint + "/dequantized", List.of(f, scale)); // (..., out)
    }

    /** {@code (rows, cols)} row-major int8 to {@code (cols, rows)} uint8 {@code q + 128} (exact: q is in -128..127). */
    private static byte[] offsetTranspose(byte[] data, int rows, int cols) {
        byte[] out = new byte[data.length];
        for (int r = 0; r < rows; r++) {
            for (int col = 0; col < cols; col++) {
                out[col * rows + r] = (byte) (data[r * cols + col] + WEIGHT_ZERO_POINT);
            }
        }
        return out;
    }

    /**
     * Writes {@value #FILE}, {@code vocab.txt} and {@code tokenizer.json} into {@code dir} (created if needed), each
     * file atomically. Callers that need the whole directory to appear at once write into a staging directory.
     */
    public static Summary write(Checkpoint ckpt, Path dir) throws IOException {
        Built built = build(ckpt);
        Files.createDirectories(dir);
        AtomicFiles.write(dir.resolve(FILE), built.model()::writeTo);
        WordPieceTokenizer.writeVocabTxt(ckpt.tokenizer(), dir.resolve("vocab.txt"));
        WordPieceTokenizer.writeTokenizerJson(ckpt.tokenizer(), dir.resolve("tokenizer.json"));
        return built.summary();
    }

    /** Builds the ONNX model of a checkpoint in memory. */
    public static Built build(Checkpoint ckpt) {
        ckpt.config().validate();
        if (ckpt.quantization() != null && Quantization.PER_TOKEN.equals(ckpt.quantization().activations())) {
            throw ShrinkException.usage("ONNX export of per-token int8 activations is not supported (ONNX's "
                    + "DynamicQuantizeLinear is per tensor): export a dynamic-int8 model with activations=per-tensor");
        }
        return new GraphWriter(ckpt).write();
    }

    /** The graph of one checkpoint, written node by node in the order {@code Encoder.forward} computes. */
    private static final class GraphWriter {
        private final Checkpoint ckpt;
        private final EncoderConfig c;
        private final HeadConfig head;
        private final OnnxGraph g;
        /** Activation name to its {@code DynamicQuantizeLinear} outputs (quantised, scale, zero point). */
        private final Map<String, List<String>> quantised = new HashMap<>();
        private final Map<String, Boolean> linears = new LinkedHashMap<>();
        private final Map<DType, Integer> widened = new EnumMap<>(DType.class);
        private final Set<String> widenedNames = new HashSet<>();

        GraphWriter(Checkpoint ckpt) {
            this.ckpt = ckpt;
            this.c = ckpt.config();
            this.head = ckpt.head();
            this.g = new OnnxGraph("shrink_" + c.family() + "_" + head.type());
        }

        Built write() {
            g.input("input_ids", TensorProto.DataType.INT64, "batch", "sequence");
            g.input("attention_mask", TensorProto.DataType.INT64, "batch", "sequence");
            if (c.typeVocabSize() > 0) {
                g.input("token_type_ids", TensorProto.DataType.INT64, "batch", "sequence");
            }
            String x = embeddings();
            String maskBias = maskBias();
            for (int l = 0; l < c.numLayers(); l++) {
                int i = c.storedIndex(l);
                x = attention(x, maskBias, l, i);
                x = feedForward(x, l, i);
            }
            heads(x);
            if (g.initializerBytes() > MAX_INITIALIZER_BYTES) {
                throw ShrinkException.usage("the model's weights take " + g.initializerBytes() + " bytes, more than one "
                        + "ONNX file holds without external data (2 GiB), which this exporter does not write; "
                        + "export --format hf instead");
            }
            int int8 = (int) linears.values().stream().filter(b -> b).count();
            Summary summary = new Summary(linears.size(), int8, widened, g.initializerBytes());
            OnnxMl.ModelProto model = g.model(Versions.shrink(), "shrink " + c.family() + " encoder with head '"
                    + head.type() + "' (" + summary.describe() + ")", metadata());
            return new Built(model, summary);
        }

        private Map<String, String> metadata() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("shrink.family", c.family());
            m.put("shrink.head", head.type());
            try {
                if (!head.labels().isEmpty()) {
                    m.put("shrink.labels", JSON.writeValueAsString(head.labels()));
                }
                m.put("shrink.config", JSON.writeValueAsString(c));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write the config as JSON", e);
            }
            return m;
        }

        /** (batch, seq, hidden): word + position (+ token type) embeddings, LayerNorm, projection when factorised. */
        private String embeddings() {
            String x = g.node(OnnxOp.GATHER, "embeddings/word", List.of(param(WORD_EMB), "input_ids")); // (batch, seq, emb)
            String seq = g.node(OnnxOp.SHAPE, "embeddings/sequence_length", List.of("input_ids"), attr("start", 1L),
                    attr("end", 2L)); // (1,) = [seq]
            String positions = g.node(OnnxOp.SLICE, "embeddings/position", List.of(param(POS_EMB), g.vector(0), seq,
                    g.vector(0))); // (seq, emb)
            x = add(x, positions, "embeddings/add_position");
            if (c.typeVocabSize() > 0) {
                String types = g.node(OnnxOp.GATHER, "embeddings/token_type",
                        List.of(param(TYPE_EMB), "token_type_ids")); // (batch, seq, emb)
                x = add(x, types, "embeddings/add_token_type");
            }
            x = layerNorm(x, EMB_LN, "embeddings/LayerNorm");
            return c.factorisedEmbeddings() ? linear(x, EMB_PROJ, "embeddings/projection") : x; // (batch, seq, hidden)
        }

        /** (batch, 1, 1, seq): 0 where attended, -Float.MAX_VALUE at padding, as the encoder's mask. */
        private String maskBias() {
            String keep = g.node(OnnxOp.CAST, "mask/float", List.of("attention_mask"),
                    attr("to", (long) TensorProto.DataType.FLOAT.getNumber())); // (batch, seq)
            String minus = g.node(OnnxOp.SUB, "mask/minus_one", List.of(keep, g.scalar(1f)));
            String bias = g.node(OnnxOp.MUL, "mask/bias", List.of(minus, g.scalar(Float.MAX_VALUE)));
            return g.node(OnnxOp.UNSQUEEZE, "mask/broadcast", List.of(bias, g.vector(1, 2))); // (batch, 1, 1, seq)
        }

        private String attention(String x, String maskBias, int l, int i) {
            String p = "layer" + l + "/attention";
            int heads = c.headsOf(i);
            if (heads == 0) {
                // a layer without heads adds only its output bias
                return layerNorm(add(x, param(attnOut(i) + ".bias"), p + "/residual"), attnLn(i), p + "/LayerNorm");
            }
            int d = c.headSize();
            String q = splitHeads(linear(x, query(i), p + "/query"), heads, d, new long[] {0, 2, 1, 3}, p + "/q"); // (batch, heads, seq, d)
            String kT = splitHeads(linear(x, key(i), p + "/key"), heads, d, new long[] {0, 2, 3, 1}, p + "/k_t"); // (batch, heads, d, seq)
            String v = splitHeads(linear(x, value(i), p + "/value"), heads, d, new long[] {0, 2, 1, 3}, p + "/v"); // (batch, heads, seq, d)
            String scores = g.node(OnnxOp.MAT_MUL, p + "/scores", List.of(q, kT)); // (batch, heads, seq, seq)
            scores = g.node(OnnxOp.MUL, p + "/scaled", List.of(scores, g.scalar((float) (1.0 / Math.sqrt(d)))));
            scores = g.node(OnnxOp.ADD, p + "/masked", List.of(scores, maskBias));
            String probs = g.node(OnnxOp.SOFTMAX, p + "/probs", List.of(scores), attr("axis", -1L));
            String ctx = g.node(OnnxOp.MAT_MUL, p + "/context", List.of(probs, v)); // (batch, heads, seq, d)
            ctx = g.node(OnnxOp.TRANSPOSE, p + "/context_t", List.of(ctx), attr("perm", new long[] {0, 2, 1, 3})); // (batch, seq, heads, d)
            ctx = g.node(OnnxOp.RESHAPE, p + "/merged", List.of(ctx, g.vector(0, 0, (long) heads * d))); // (batch, seq, heads*d)
            String out = linear(ctx, attnOut(i), p + "/output"); // (batch, seq, hidden)
            return layerNorm(add(out, x, p + "/residual"), attnLn(i), p + "/LayerNorm");
        }

        /** (batch, seq, heads*d) to (batch, seq, heads, d), then transposed by {@code perm}. */
        private String splitHeads(String t, int heads, int d, long[] perm, String hint) {
            String r = g.node(OnnxOp.RESHAPE, hint + "_heads", List.of(t, g.vector(0, 0, heads, d)));
            return g.node(OnnxOp.TRANSPOSE, hint, List.of(r), attr("perm", perm));
        }

        private String feedForward(String x, int l, int i) {
            String p = "layer" + l + "/ffn";
            if (c.ffnOf(i) == 0) {
                return layerNorm(add(x, param(ffnOut(i) + ".bias"), p + "/residual"), ffnLn(i), p + "/LayerNorm");
            }
            String inner = activation(linear(x, ffnIn(i), p + "/intermediate"), p + "/act"); // (batch, seq, ffn)
            String out = linear(inner, ffnOut(i), p + "/output"); // (batch, seq, hidden)
            return layerNorm(add(out, x, p + "/residual"), ffnLn(i), p + "/LayerNorm");
        }

        private void heads(String x) {
            switch (head.type()) {
                case "mlm" -> {
                    String t = activation(linear(x, MLM_DENSE, "mlm/transform"), "mlm/act"); // (batch, seq, emb)
                    t = layerNorm(t, MLM_LN, "mlm/LayerNorm");
                    // decoder tied to the word embeddings: transposed once at session start, not stored twice
                    String decoder = g.node(OnnxOp.TRANSPOSE, "mlm/decoder", List.of(param(WORD_EMB)),
                            attr("perm", new long[] {1, 0})); // (emb, vocab)
                    String scores = g.node(OnnxOp.MAT_MUL, "mlm/scores", List.of(t, decoder));
                    named(g.node(OnnxOp.ADD, "logits", List.of(scores, param(MLM_BIAS))), "logits"); // (batch, seq, vocab)
                    g.output("logits", TensorProto.DataType.FLOAT, "batch", "sequence", (long) c.vocabSize());
                }
                case "classification", "regression" -> {
                    String cls = g.node(OnnxOp.GATHER, "pool/first_token", List.of(x, g.index(0)),
                            attr("axis", 1L)); // (batch, hidden)
                    String pooled = head.pooling().equals("pooler")
                            ? g.node(OnnxOp.TANH, "pool/tanh", List.of(linear(cls, POOLER, "pool/dense")))
                            : g.node(OnnxOp.RELU, "pool/relu", List.of(linear(cls, PRE_CLASSIFIER, "pool/dense")));
                    named(linear(pooled, CLASSIFIER, "logits"), "logits"); // (batch, labels)
                    g.output("logits", TensorProto.DataType.FLOAT, "batch", (long) head.numOutputs());
                }
                case "qa" -> {
                    String logits = linear(x, QA, "qa"); // (batch, seq, 2)
                    named(g.node(OnnxOp.GATHER, "start_logits", List.of(logits, g.index(0)), attr("axis", 2L)),
                            "start_logits"); // (batch, seq)
                    named(g.node(OnnxOp.GATHER, "end_logits", List.of(logits, g.index(1)), attr("axis", 2L)),
                            "end_logits");
                    g.output("start_logits", TensorProto.DataType.FLOAT, "batch", "sequence");
                    g.output("end_logits", TensorProto.DataType.FLOAT, "batch", "sequence");
                }
                default -> {
                    named(g.node(OnnxOp.IDENTITY, "last_hidden_state", List.of(x)), "last_hidden_state");
                    g.output("last_hidden_state", TensorProto.DataType.FLOAT, "batch", "sequence",
                            (long) c.hiddenSize());
                }
            }
        }

        /** Checks that a graph output got the name asked for (no intermediate value took it first). */
        private static void named(String value, String name) {
            if (!value.equals(name)) {
                throw new IllegalStateException("graph output name " + name + " already taken: got " + value);
            }
        }

        /**
         * {@code x W^T + b} for the Linear {@code prefix}: {@code (..., in) -> (..., out)}; int8 through
         * {@code MatMulInteger} when its weight is stored as I8.
         */
        private String linear(String x, String prefix, String hint) {
            String weight = prefix + ".weight";
            TypedTensor stored = ckpt.stored().get(weight);
            boolean int8 = stored != null && stored.dtype() == DType.I8 && stored.shape().length == 2;
            linears.put(prefix, int8);
            String product;
            if (int8) {
                Quantization q = ckpt.quantization();
                List<String> xq = quantised.computeIfAbsent(x, a -> q != null && q.scheme() == Quantization.Scheme.STATIC_INT8
                        ? quantiseInput(g, a, staticRange(q, prefix), hint) : quantiseInput(g, a, hint));
                product = int8Product(g, xq, stored, hint);
            } else {
                FloatTensor w = tensor(weight);
                String wT = g.floats(weight + "_t", new long[] {w.shape()[1], w.shape()[0]},
                        w.transpose2d(weight + "_t").data()); // (in, out)
                countWidened(weight);
                product = g.node(OnnxOp.MAT_MUL, hint + "/MatMul", List.of(x, wT)); // (..., out)
            }
            return add(product, param(prefix + ".bias"), hint);
        }

        /** The calibrated input range of a static int8 linear (the key and value share the query's). */
        private static List<Double> staticRange(Quantization q, String prefix) {
            String module = prefix.replaceAll("\\.attention\\.self\\.(key|value)$", ".attention.self.query");
            List<Double> r = q.inputRanges().get(module);
            if (r == null) {
                throw ShrinkException.corrupt("static int8 linear " + prefix + " has no calibrated input range");
            }
            return r;
        }

        private String layerNorm(String x, String prefix, String hint) {
            return g.node(OnnxOp.LAYER_NORMALIZATION, hint, List.of(x, param(prefix + ".weight"),
                    param(prefix + ".bias")), attr("axis", -1L), attr("epsilon", (float) c.layerNormEps()));
        }

        private String activation(String x, String hint) {
            return switch (c.hiddenAct()) {
                case "relu" -> g.node(OnnxOp.RELU, hint, List.of(x));
                case "gelu_new" -> {
                    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                    String cube = g.node(OnnxOp.MUL, hint + "/cube", List.of(g.node(OnnxOp.MUL, hint + "/square",
                            List.of(x, x)), x));
                    String inner = add(x, g.node(OnnxOp.MUL, hint + "/cubic_term", List.of(cube, g.scalar(0.044715f))),
                            hint + "/inner");
                    inner = g.node(OnnxOp.MUL, hint + "/inner_scaled",
                            List.of(inner, g.scalar((float) Math.sqrt(2.0 / Math.PI))));
                    String t = add(g.node(OnnxOp.TANH, hint + "/tanh", List.of(inner)), g.scalar(1f), hint + "/one_plus");
                    yield g.node(OnnxOp.MUL, hint, List.of(g.node(OnnxOp.MUL, hint + "/times_x", List.of(x, t)),
                            g.scalar(0.5f)));
                }
                default -> {
                    // gelu: 0.5 x (1 + erf(x / sqrt 2))
                    String erf = g.node(OnnxOp.ERF, hint + "/erf", List.of(g.node(OnnxOp.DIV, hint + "/scaled",
                            List.of(x, g.scalar((float) Math.sqrt(2.0))))));
                    String t = add(erf, g.scalar(1f), hint + "/one_plus");
                    yield g.node(OnnxOp.MUL, hint, List.of(g.node(OnnxOp.MUL, hint + "/times_x", List.of(x, t)),
                            g.scalar(0.5f)));
                }
            };
        }

        private String add(String a, String b, String hint) {
            return g.node(OnnxOp.ADD, hint, List.of(a, b));
        }

        /** A checkpoint tensor as a float32 initializer under its canonical name. */
        private String param(String name) {
            FloatTensor t = tensor(name);
            countWidened(name);
            return g.floats(name, t.shape(), t.data());
        }

        private void countWidened(String name) {
            TypedTensor s = ckpt.stored().get(name);
            if (s != null && !widenedNames.contains(name)) {
                widenedNames.add(name);
                widened.merge(s.dtype(), 1, Integer::sum);
            }
        }

        private FloatTensor tensor(String name) {
            FloatTensor t = ckpt.tensors().get(name);
            if (t == null) {
                throw ShrinkException.corrupt("cannot export to ONNX: the checkpoint has no tensor " + name
                        + " that a " + c.family() + " model with head '" + head.type() + "' needs");
            }
            return t;
        }
    }
}
