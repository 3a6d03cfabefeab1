package io.shrink.core.checkpoint.onnx;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.shrink.core.tensor.HalfFloats;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.CanonicalNames;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.tokenize.TokenizerSpec;
import io.shrink.core.tokenize.WordPieceTokenizer;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Imports a BERT-family encoder exported to ONNX (plain fp32 graphs and ONNX Runtime's dynamically
 * quantised int8 graphs, e.g. the LangChain4j embedding jars) into a {@link Checkpoint} under shrink's
 * canonical names.
 *
 * <p>Embedding, LayerNorm and bias initializers carry Hugging Face names; the anonymous Linear weight
 * matrices ({@code onnx::MatMul_787}, stored {@code [in, out]}) are named after the bias that the
 * following {@code Add} adds to their product. The head count, activation and LayerNorm epsilon are read
 * from the graph's operators, since they are not in the weights.
 */
public final class OnnxBertImporter {

    private static final int FLOAT = 1;
    private static final int UINT8 = 2;
    private static final int INT8 = 3;
    private static final int UINT16 = 4;
    private static final int INT16 = 5;
    private static final int INT32 = 6;
    private static final int INT64 = 7;
    private static final int BOOL = 9;
    private static final int FLOAT16 = 10;
    private static final int DOUBLE = 11;
    private static final int UINT32 = 12;
    private static final int UINT64 = 13;
    private static final int BFLOAT16 = 16;

    private static final String WORD_SUFFIX = "embeddings.word_embeddings.weight";
    private static final String QUANTIZED = "_quantized";
    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");
    private static final long UNKNOWN_DIM = Long.MIN_VALUE;

    /** Operators of ONNX Runtime's graph optimiser that fuse a whole sub-block; their weights are laid out differently. */
    private static final Set<String> FUSED_OPS = Set.of("Attention", "MultiHeadAttention", "QAttention",
            "EmbedLayerNormalization", "QEmbedLayerNormalization", "SkipLayerNormalization",
            "SkipSimplifiedLayerNormalization", "GroupQueryAttention", "PackedAttention", "QOrderedAttention");

    /** Operators the search for the FFN activation does not look past: the next matmul and its input quantisation. */
    private static final Set<String> STOP_OPS = Set.of("MatMul", "MatMulInteger", "Gemm", "DynamicQuantizeLinear",
            "QuantizeLinear", "Softmax");

    private OnnxBertImporter() {
    }

    /**
     * Imports the single {@code .onnx} model inside a jar (or zip) together with the {@code tokenizer.json}
     * (or {@code vocab.txt}) stored next to it.
     */
    public static Checkpoint importJar(Path jar) {
        String label = jar.toString();
        if (!Files.isRegularFile(jar)) {
            throw ShrinkException.corrupt(label + ": no such file");
        }
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            List<String> onnx = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (Iterator<? extends ZipEntry> it = zip.entries().asIterator(); it.hasNext(); ) {
                ZipEntry e = it.next();
                if (!e.isDirectory()) {
                    names.add(e.getName());
                    if (e.getName().endsWith(".onnx")) {
                        onnx.add(e.getName());
                    }
                }
            }
            if (onnx.size() != 1) {
                throw ShrinkException.corrupt(label + ": expected exactly one .onnx entry, found "
                        + (onnx.isEmpty() ? "none" : String.join(", ", onnx)));
            }
            String model = onnx.get(0);
            String tokEntry = findTokenizerEntry(names, model);
            if (tokEntry == null) {
                throw ShrinkException.corrupt(label + ": no tokenizer.json or vocab.txt next to " + model);
            }
            String tokLabel = label + "!/" + tokEntry;
            TokenizerSpec tok;
            try (InputStream in = zip.getInputStream(zip.getEntry(tokEntry))) {
                tok = tokEntry.endsWith(".json") ? readTokenizerJson(in, tokLabel) : readVocabTxt(in, tokLabel, true);
            }
            try (InputStream in = new BufferedInputStream(zip.getInputStream(zip.getEntry(model)), 1 << 16)) {
                return convert(parse(in, label + "!/" + model), label + "!/" + model, tok);
            }
        } catch (ZipException e) {
            throw ShrinkException.corrupt(label + ": not a readable jar/zip file (" + oneLine(e) + ")", e);
        } catch (IOException e) {
            throw ShrinkException.corrupt(label + ": cannot read (" + oneLine(e) + ")", e);
        }
    }

    /**
     * Imports a bare {@code .onnx} file; the tokenizer is read from {@code tokenizer.json},
     * {@code <name>-tokenizer.json} or {@code vocab.txt} in the same directory.
     */
    public static Checkpoint importOnnx(Path onnxFile) {
        String label = onnxFile.toString();
        if (!Files.isRegularFile(onnxFile)) {
            throw ShrinkException.corrupt(label + ": no such file");
        }
        TokenizerSpec tok = readSiblingTokenizer(onnxFile);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(onnxFile), 1 << 16)) {
            return convert(parse(in, label), label, tok);
        } catch (IOException e) {
            throw ShrinkException.corrupt(label + ": cannot read (" + oneLine(e) + ")", e);
        }
    }

    /** Imports an ONNX model read from a stream, with a tokenizer the caller already has. */
    public static Checkpoint importOnnx(InputStream onnx, TokenizerSpec tokenizer) {
        String label = "ONNX input";
        return convert(parse(onnx, label), label, tokenizer);
    }

    /** Reads the vocabulary and casing of a Hugging Face {@code tokenizer.json} with a WordPiece model. */
    public static TokenizerSpec readTokenizerJson(InputStream in, String label) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw ShrinkException.corrupt(label + ": not valid JSON (" + oneLine(e) + ")", e);
        }
        JsonNode model = root == null ? null : root.get("model");
        JsonNode vocab = model == null ? null : model.get("vocab");
        if (vocab == null || !vocab.isObject() || vocab.isEmpty()) {
            throw ShrinkException.corrupt(label + ": no model.vocab map (not a Hugging Face tokenizer.json)");
        }
        String type = model.path("type").asText("WordPiece");
        if (!type.equals("WordPiece")) {
            throw ShrinkException.corrupt(label + ": tokenizer model is " + type + ", only WordPiece is supported");
        }
        TreeMap<Integer, String> byId = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
            if (!e.getValue().canConvertToInt()) {
                throw ShrinkException.corrupt(label + ": vocabulary id of '" + e.getKey() + "' is not an integer");
            }
            String prev = byId.put(e.getValue().asInt(), e.getKey());
            if (prev != null) {
                throw ShrinkException.corrupt(label + ": tokens '" + prev + "' and '" + e.getKey() + "' share id "
                        + e.getValue().asInt());
            }
        }
        for (JsonNode added : root.path("added_tokens")) {
            if (added.has("id") && added.has("content")) {
                byId.putIfAbsent(added.get("id").asInt(), added.get("content").asText());
            }
        }
        List<String> tokens = new ArrayList<>(byId.size());
        for (Map.Entry<Integer, String> e : byId.entrySet()) {
            if (e.getKey() != tokens.size()) {
                throw ShrinkException.corrupt(label + ": vocabulary ids are not contiguous (no token has id "
                        + tokens.size() + ")");
            }
            tokens.add(e.getValue());
        }
        return tokenizerSpec(tokens, lowercases(root.get("normalizer")), label);
    }

    private static boolean lowercases(JsonNode normalizer) {
        if (normalizer == null || normalizer.isNull()) {
            return false;
        }
        String type = normalizer.path("type").asText("");
        return switch (type) {
            case "BertNormalizer" -> normalizer.path("lowercase").asBoolean(true);
            case "Lowercase" -> true;
            case "Sequence" -> {
                boolean any = false;
                for (JsonNode n : normalizer.path("normalizers")) {
                    any |= lowercases(n);
                }
                yield any;
            }
            default -> false;
        };
    }

    private static TokenizerSpec readVocabTxt(InputStream in, String label, boolean lowercase) throws IOException {
        List<String> tokens = new ArrayList<>();
        WordPieceTokenizer.decodeVocabulary(in.readAllBytes(), label).lines().forEach(line -> tokens.add(line.strip()));
        while (!tokens.isEmpty() && tokens.get(tokens.size() - 1).isEmpty()) {
            tokens.remove(tokens.size() - 1);
        }
        return tokenizerSpec(tokens, lowercase, label);
    }

    private static TokenizerSpec tokenizerSpec(List<String> tokens, boolean lowercase, String label) {
        try {
            return new TokenizerSpec(tokens, lowercase);
        } catch (ShrinkException e) {
            throw ShrinkException.corrupt(label + ": " + e.getMessage(), e);
        }
    }

    private static String findTokenizerEntry(List<String> names, String model) {
        int slash = model.lastIndexOf('/');
        String dir = model.substring(0, slash + 1);
        String base = model.substring(slash + 1, model.length() - ".onnx".length());
        for (String candidate : List.of(dir + base + "-tokenizer.json", dir + base + "_tokenizer.json",
                dir + "tokenizer.json")) {
            if (names.contains(candidate)) {
                return candidate;
            }
        }
        for (String suffix : List.of("tokenizer.json", "vocab.txt")) {
            List<String> found = names.stream().filter(n -> n.endsWith(suffix)).toList();
            if (found.size() == 1) {
                return found.get(0);
            }
        }
        return null;
    }

    private static TokenizerSpec readSiblingTokenizer(Path onnxFile) {
        Path dir = onnxFile.toAbsolutePath().getParent();
        String file = onnxFile.getFileName().toString();
        String base = file.endsWith(".onnx") ? file.substring(0, file.length() - 5) : file;
        try {
            for (String name : List.of(base + "-tokenizer.json", base + "_tokenizer.json", "tokenizer.json")) {
                Path p = dir.resolve(name);
                if (Files.isRegularFile(p)) {
                    try (InputStream in = Files.newInputStream(p)) {
                        return readTokenizerJson(in, p.toString());
                    }
                }
            }
            Path vocab = dir.resolve("vocab.txt");
            if (Files.isRegularFile(vocab)) {
                boolean lowercase = true;
                Path config = dir.resolve("tokenizer_config.json");
                if (Files.isRegularFile(config)) {
                    JsonNode c = new ObjectMapper().readTree(config.toFile());
                    lowercase = c == null || c.path("do_lower_case").asBoolean(true);
                }
                try (InputStream in = Files.newInputStream(vocab)) {
                    return readVocabTxt(in, vocab.toString(), lowercase);
                }
            }
        } catch (IOException e) {
            throw ShrinkException.corrupt(onnxFile + ": cannot read its tokenizer (" + oneLine(e) + ")", e);
        }
        throw ShrinkException.corrupt(onnxFile + ": no tokenizer.json, " + base + "-tokenizer.json or vocab.txt in "
                + dir);
    }

    private static OnnxMl.ModelProto parse(InputStream in, String label) {
        OnnxMl.ModelProto model;
        try {
            CodedInputStream coded = CodedInputStream.newInstance(in);
            coded.setSizeLimit(Integer.MAX_VALUE);
            model = OnnxMl.ModelProto.parseFrom(coded);
        } catch (InvalidProtocolBufferException e) {
            throw ShrinkException.corrupt(label + ": not a valid ONNX model, truncated or corrupt protobuf ("
                    + oneLine(e) + ")", e);
        } catch (IOException e) {
            throw ShrinkException.corrupt(label + ": cannot read (" + oneLine(e) + ")", e);
        } catch (RuntimeException e) {
            throw ShrinkException.corrupt(label + ": not a valid ONNX model (" + oneLine(e) + ")", e);
        }
        if (!model.hasGraph() || model.getGraph().getNodeCount() == 0 || model.getGraph().getInitializerCount() == 0) {
            throw ShrinkException.corrupt(label + ": not an ONNX model with weights (no graph nodes or initializers)");
        }
        return model;
    }

    private static Checkpoint convert(OnnxMl.ModelProto model, String label, TokenizerSpec tok) {
        try {
            return new Importer(model.getGraph(), label).run(tok);
        } catch (ShrinkException e) {
            throw e;
        } catch (RuntimeException e) {
            throw ShrinkException.corrupt(label + ": inconsistent ONNX graph (" + oneLine(e) + ")", e);
        }
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replaceAll("\\s+", " ").strip();
    }

    /** Where a Linear layer's weight comes from in the graph. */
    private record Linear(String weight, boolean outIn, String node, String output) {
    }

    /** The conversion of one parsed graph. */
    private static final class Importer {
        private final String label;
        private final List<OnnxMl.NodeProto> nodes;
        private final Map<String, OnnxMl.TensorProto> inits = new HashMap<>();
        private final Map<String, OnnxMl.NodeProto> producer = new HashMap<>();
        private final Map<String, List<OnnxMl.NodeProto>> consumers = new HashMap<>();
        private String prefix = "";

        Importer(OnnxMl.GraphProto graph, String label) {
            this.label = label;
            this.nodes = graph.getNodeList();
            for (OnnxMl.TensorProto t : graph.getInitializerList()) {
                inits.put(t.getName(), t);
            }
            for (OnnxMl.NodeProto n : nodes) {
                for (String out : n.getOutputList()) {
                    producer.put(out, n);
                }
                for (String in : n.getInputList()) {
                    if (!in.isEmpty()) {
                        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                    }
                }
            }
        }

        private ShrinkException corrupt(String what) {
            return ShrinkException.corrupt(label + ": " + what);
        }

        Checkpoint run(TokenizerSpec tok) {
            for (OnnxMl.NodeProto n : nodes) {
                if (FUSED_OPS.contains(n.getOpType())) {
                    throw corrupt("the graph uses the fused ONNX Runtime operator " + n.getOpType()
                            + "; import an unoptimised export (plain MatMul/Add operators)");
                }
            }
            findPrefix();
            Map<String, Linear> linears = mapLinears();

            Map<String, OnnxMl.TensorProto> named = new HashMap<>();
            for (OnnxMl.TensorProto t : inits.values()) {
                String name = t.getName();
                if (name.endsWith(QUANTIZED)) {
                    name = name.substring(0, name.length() - QUANTIZED.length());
                } else if (!isFloat(t)) {
                    continue;
                }
                named.putIfAbsent(canonical(name), t);
            }

            int layers = 0;
            for (String n : named.keySet()) {
                Matcher m = LAYER.matcher(n);
                if (m.find()) {
                    layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
                }
            }
            if (layers == 0) {
                throw corrupt("no encoder.layer.N.* weights found");
            }
            boolean pooler = named.containsKey(CanonicalNames.POOLER + ".bias")
                    || linears.containsKey(CanonicalNames.POOLER + ".weight");
            List<String> wanted = wantedNames(layers, named.containsKey(CanonicalNames.TYPE_EMB), pooler);

            Set<String> linearNames = new HashSet<>();
            linearNames.add(CanonicalNames.POOLER + ".weight");
            for (int i = 0; i < layers; i++) {
                for (String p : List.of(CanonicalNames.query(i), CanonicalNames.key(i), CanonicalNames.value(i),
                        CanonicalNames.attnOut(i), CanonicalNames.ffnIn(i), CanonicalNames.ffnOut(i))) {
                    linearNames.add(p + ".weight");
                }
            }
            Map<String, FloatTensor> tensors = new LinkedHashMap<>();
            List<String> missing = new ArrayList<>();
            for (String name : wanted) {
                Linear lin = linears.get(name);
                if (lin == null && linearNames.contains(name)) {
                    missing.add(name + " (no MatMul uses it)");
                } else if (lin != null) {
                    FloatTensor w = floatTensor(inits.get(lin.weight()), lin.weight());
                    tensors.put(name, lin.outIn() ? w.rename(name) : w.transpose2d(name));
                } else if (named.containsKey(name)) {
                    OnnxMl.TensorProto t = named.get(name);
                    tensors.put(name, floatTensor(t, t.getName()).rename(name));
                } else {
                    missing.add(name);
                }
            }
            if (!missing.isEmpty()) {
                throw corrupt("missing weights: " + String.join(", ", missing.subList(0, Math.min(6, missing.size())))
                        + (missing.size() > 6 ? " and " + (missing.size() - 6) + " more" : ""));
            }

            EncoderConfig config = config(tensors, layers, linears, tok);
            return new Checkpoint(config, HeadConfig.none(), tensors, tok);
        }

        private void findPrefix() {
            for (String name : inits.keySet()) {
                String n = name.endsWith(QUANTIZED) ? name.substring(0, name.length() - QUANTIZED.length()) : name;
                if (n.endsWith(WORD_SUFFIX)) {
                    prefix = n.substring(0, n.length() - WORD_SUFFIX.length());
                    return;
                }
            }
            throw corrupt("no " + WORD_SUFFIX + " initializer; not a BERT-family export");
        }

        private String canonical(String name) {
            return !prefix.isEmpty() && name.startsWith(prefix) ? name.substring(prefix.length()) : name;
        }

        private static List<String> wantedNames(int layers, boolean types, boolean pooler) {
            List<String> names = new ArrayList<>();
            names.add(CanonicalNames.WORD_EMB);
            names.add(CanonicalNames.POS_EMB);
            if (types) {
                names.add(CanonicalNames.TYPE_EMB);
            }
            addWeightAndBias(names, CanonicalNames.EMB_LN);
            for (int i = 0; i < layers; i++) {
                for (String p : CanonicalNames.layerModules(i)) {
                    addWeightAndBias(names, p);
                }
            }
            if (pooler) {
                addWeightAndBias(names, CanonicalNames.POOLER);
            }
            return names;
        }

        private static void addWeightAndBias(List<String> names, String prefix) {
            names.add(prefix + ".weight");
            names.add(prefix + ".bias");
        }

        /** Names every constant weight matrix of a MatMul, MatMulInteger or Gemm after the bias added to its product. */
        private Map<String, Linear> mapLinears() {
            Map<String, Linear> out = new HashMap<>();
            for (OnnxMl.NodeProto n : nodes) {
                String op = n.getOpType();
                if (!(op.equals("MatMul") || op.equals("MatMulInteger") || op.equals("Gemm")) || n.getInputCount() < 2) {
                    continue;
                }
                String b = n.getInput(1);
                boolean outIn = false;
                OnnxMl.NodeProto bp = producer.get(b);
                if (!inits.containsKey(b) && bp != null && bp.getOpType().equals("Transpose")
                        && inits.containsKey(bp.getInput(0))) {
                    b = bp.getInput(0);
                    outIn = true;
                } else if (!inits.containsKey(b) && bp != null && bp.getOpType().equals("DequantizeLinear")
                        && inits.containsKey(bp.getInput(0))) {
                    b = bp.getInput(0);
                }
                if (op.equals("Gemm")) {
                    if (intAttr(n, "transA", 0) != 0) {
                        continue;
                    }
                    outIn ^= intAttr(n, "transB", 0) != 0;
                }
                if (!inits.containsKey(b)) {
                    continue;
                }
                String weight = b;
                if (op.equals("MatMulInteger")) {
                    if (!b.endsWith(QUANTIZED)) {
                        throw corrupt("MatMulInteger " + n.getName() + " has weight " + b
                                + " without the _quantized suffix; cannot find its scale");
                    }
                } else if (!isFloat(inits.get(b)) && !b.endsWith(QUANTIZED)) {
                    continue;
                }
                OnnxMl.NodeProto add = null;
                String bias = null;
                if (op.equals("Gemm") && n.getInputCount() > 2 && inits.containsKey(n.getInput(2))
                        && n.getInput(2).endsWith(".bias")) {
                    bias = n.getInput(2);
                } else {
                    add = findBiasAdd(n.getOutput(0));
                    if (add != null) {
                        bias = inits.containsKey(add.getInput(0)) ? add.getInput(0) : add.getInput(1);
                    }
                }
                String base = weight.endsWith(QUANTIZED) ? weight.substring(0, weight.length() - QUANTIZED.length())
                        : weight;
                String name;
                if (bias != null) {
                    name = canonical(bias.substring(0, bias.length() - ".bias".length())) + ".weight";
                } else if (base.endsWith(".weight") && !base.startsWith("onnx::")) {
                    name = canonical(base);
                } else {
                    throw corrupt("cannot map " + op + " weight '" + weight + "' (node " + n.getName()
                            + ") to a parameter name: no Add with a named .bias initializer follows it");
                }
                String output = add != null ? add.getOutput(0) : n.getOutput(0);
                Linear prev = out.put(name, new Linear(weight, outIn, n.getName(), output));
                if (prev != null) {
                    throw corrupt("weights '" + prev.weight() + "' and '" + weight + "' both map to " + name);
                }
            }
            return out;
        }

        /** The Add that adds a named bias to {@code output}, looking through the Cast/Mul of quantised matmuls. */
        private OnnxMl.NodeProto findBiasAdd(String output) {
            String cur = output;
            for (int hop = 0; hop < 4; hop++) {
                List<OnnxMl.NodeProto> cs = consumers.getOrDefault(cur, List.of());
                if (cs.size() != 1) {
                    return null;
                }
                OnnxMl.NodeProto c = cs.get(0);
                switch (c.getOpType()) {
                    case "Add" -> {
                        for (String in : c.getInputList()) {
                            if (!in.equals(cur) && inits.containsKey(in) && in.endsWith(".bias")) {
                                return c;
                            }
                        }
                        return null;
                    }
                    case "Cast", "Mul" -> cur = c.getOutput(0);
                    default -> {
                        return null;
                    }
                }
            }
            return null;
        }

        private EncoderConfig config(Map<String, FloatTensor> t, int layers, Map<String, Linear> linears,
                                     TokenizerSpec tok) {
            FloatTensor word = t.get(CanonicalNames.WORD_EMB);
            expectRank(word, 2);
            int vocab = (int) word.shape()[0];
            int hidden = (int) word.shape()[1];
            FloatTensor pos = t.get(CanonicalNames.POS_EMB);
            expect(pos, -1, hidden);
            int maxPos = (int) pos.shape()[0];
            int types = 0;
            if (t.containsKey(CanonicalNames.TYPE_EMB)) {
                expect(t.get(CanonicalNames.TYPE_EMB), -1, hidden);
                types = (int) t.get(CanonicalNames.TYPE_EMB).shape()[0];
            }
            expect(t.get(CanonicalNames.EMB_LN + ".weight"), hidden);
            expect(t.get(CanonicalNames.EMB_LN + ".bias"), hidden);

            List<Integer> heads = new ArrayList<>();
            List<Integer> ffns = new ArrayList<>();
            int headSize = -1;
            for (int i = 0; i < layers; i++) {
                FloatTensor q = t.get(CanonicalNames.query(i) + ".weight");
                expect(q, -1, hidden);
                int all = (int) q.shape()[0];
                for (String p : List.of(CanonicalNames.query(i), CanonicalNames.key(i), CanonicalNames.value(i))) {
                    expect(t.get(p + ".weight"), all, hidden);
                    expect(t.get(p + ".bias"), all);
                }
                expect(t.get(CanonicalNames.attnOut(i) + ".weight"), hidden, all);
                expect(t.get(CanonicalNames.attnOut(i) + ".bias"), hidden);
                FloatTensor ffnIn = t.get(CanonicalNames.ffnIn(i) + ".weight");
                expect(ffnIn, -1, hidden);
                int ffn = (int) ffnIn.shape()[0];
                expect(t.get(CanonicalNames.ffnIn(i) + ".bias"), ffn);
                expect(t.get(CanonicalNames.ffnOut(i) + ".weight"), hidden, ffn);
                expect(t.get(CanonicalNames.ffnOut(i) + ".bias"), hidden);
                for (String ln : List.of(CanonicalNames.attnLn(i), CanonicalNames.ffnLn(i))) {
                    expect(t.get(ln + ".weight"), hidden);
                    expect(t.get(ln + ".bias"), hidden);
                }
                int h = headCount(i, all, linears);
                int size = all / h;
                if (headSize >= 0 && size != headSize) {
                    throw corrupt("layer " + i + " has head size " + size + " but layer 0 has " + headSize);
                }
                headSize = size;
                heads.add(h);
                ffns.add(ffn);
            }
            if (t.containsKey(CanonicalNames.POOLER + ".weight")) {
                expect(t.get(CanonicalNames.POOLER + ".weight"), hidden, hidden);
                expect(t.get(CanonicalNames.POOLER + ".bias"), hidden);
            }
            int pad = tok.vocab().indexOf("[PAD]");
            if (tok.vocab().size() > vocab) {
                throw corrupt("the tokenizer has " + tok.vocab().size() + " tokens but the model only " + vocab
                        + " word embeddings");
            }
            int numHeads = heads.stream().mapToInt(Integer::intValue).max().orElseThrow();
            int ffnMax = ffns.stream().mapToInt(Integer::intValue).max().orElseThrow();
            EncoderConfig config = new EncoderConfig("bert", vocab, hidden, layers, numHeads, headSize, ffnMax, maxPos,
                    types, hidden, false, List.of(), List.of(), activation(linears), layerNormEps(), 0.1, 0.1, pad);
            boolean uniform = heads.stream().allMatch(h -> h == numHeads) && ffns.stream().allMatch(f -> f == ffnMax);
            if (!uniform) {
                config = config.withLayers(heads, ffns);
            }
            try {
                return config.validate();
            } catch (ShrinkException e) {
                throw corrupt(e.getMessage());
            }
        }

        private void expectRank(FloatTensor t, int rank) {
            if (t.shape().length != rank) {
                throw corrupt("tensor " + t.name() + " has shape " + t.shapeString() + ", expected rank " + rank);
            }
        }

        private void expect(FloatTensor t, long... dims) {
            boolean ok = t.shape().length == dims.length;
            for (int i = 0; ok && i < dims.length; i++) {
                ok = dims[i] < 0 || dims[i] == t.shape()[i];
            }
            if (!ok) {
                String want = Arrays.toString(dims).replace("-1", "*");
                throw corrupt("tensor " + t.name() + " has shape " + t.shapeString() + ", expected " + want);
            }
        }

        /**
         * Heads of layer {@code layer}: from the 4-D shape the query projection is reshaped to, else from
         * the {@code 1/sqrt(headSize)} scaling of the attention scores.
         */
        private int headCount(int layer, int all, Map<String, Linear> linears) {
            Linear q = linears.get(CanonicalNames.query(layer) + ".weight");
            Linear k = linears.get(CanonicalNames.key(layer) + ".weight");
            int fromShape = headsFromReshape(q.output(), all);
            if (fromShape > 0) {
                return fromShape;
            }
            int fromScale = headsFromScale(q.output(), k.output(), all);
            if (fromScale > 0) {
                return fromScale;
            }
            throw corrupt("cannot determine the number of attention heads of layer " + layer
                    + " (no constant 4-D Reshape of the query projection and no 1/sqrt(head size) score scaling)");
        }

        private int headsFromReshape(String queryOutput, int all) {
            Deque<String> frontier = new ArrayDeque<>(List.of(queryOutput));
            Set<String> seen = new HashSet<>();
            for (int depth = 0; depth < 4 && !frontier.isEmpty(); depth++) {
                Deque<String> next = new ArrayDeque<>();
                for (String v : frontier) {
                    for (OnnxMl.NodeProto c : consumers.getOrDefault(v, List.of())) {
                        if (!seen.add(c.getName() + "/" + c.getOutput(0))) {
                            continue;
                        }
                        if (c.getOpType().equals("Reshape") && c.getInput(0).equals(v)) {
                            long[] shape = resolveShape(c.getInput(1), 0);
                            if (shape != null && shape.length == 4) {
                                long h = shape[2];
                                long d = shape[3];
                                if (d > 0 && all % d == 0 && (h <= 0 || h * d == all)) {
                                    return (int) (all / d);
                                }
                                if (h > 0 && all % h == 0) {
                                    return (int) h;
                                }
                            }
                        }
                        if (!c.getOpType().startsWith("MatMul") && !c.getOpType().equals("Softmax")) {
                            next.addAll(c.getOutputList());
                        }
                    }
                }
                frontier = next;
            }
            return -1;
        }

        private int headsFromScale(String queryOutput, String keyOutput, int all) {
            OnnxMl.NodeProto scores = null;
            Deque<String> frontier = new ArrayDeque<>(List.of(queryOutput));
            for (int depth = 0; depth < 6 && scores == null && !frontier.isEmpty(); depth++) {
                Deque<String> next = new ArrayDeque<>();
                for (String v : frontier) {
                    for (OnnxMl.NodeProto c : consumers.getOrDefault(v, List.of())) {
                        if (c.getOpType().equals("MatMul")) {
                            scores = c;
                        } else {
                            next.addAll(c.getOutputList());
                        }
                    }
                }
                frontier = next;
            }
            if (scores == null) {
                return -1;
            }
            double factor = 1;
            for (String in : scores.getInputList()) {
                Double f = factorBack(in, Set.of(queryOutput, keyOutput));
                if (f == null) {
                    return -1;
                }
                factor *= f;
            }
            String cur = scores.getOutput(0);
            boolean softmax = false;
            for (int hop = 0; hop < 6 && !softmax; hop++) {
                List<OnnxMl.NodeProto> cs = consumers.getOrDefault(cur, List.of());
                if (cs.size() != 1) {
                    return -1;
                }
                OnnxMl.NodeProto c = cs.get(0);
                String op = c.getOpType();
                if (op.equals("Softmax")) {
                    softmax = true;
                } else if (op.equals("Mul") || op.equals("Div")) {
                    Double s = scalarOperand(c, cur);
                    if (s == null) {
                        return -1;
                    }
                    factor *= op.equals("Mul") ? s : 1 / s;
                } else if (!op.equals("Add") && !op.equals("Where") && !op.equals("Cast")) {
                    return -1;
                }
                cur = c.getOutput(0);
            }
            if (!softmax || factor <= 0 || factor >= 1) {
                return -1;
            }
            double d = 1 / (factor * factor);
            long size = Math.round(d);
            if (size <= 0 || Math.abs(d - size) > 1e-3 * size || all % size != 0) {
                return -1;
            }
            return (int) (all / size);
        }

        /** The product of constant scalings between {@code stops} and {@code name}, or null on an unknown path. */
        private Double factorBack(String name, Set<String> stops) {
            double factor = 1;
            String cur = name;
            for (int hop = 0; hop < 8; hop++) {
                if (stops.contains(cur)) {
                    return factor;
                }
                OnnxMl.NodeProto p = producer.get(cur);
                if (p == null) {
                    return null;
                }
                switch (p.getOpType()) {
                    case "Transpose", "Reshape", "Cast", "Identity", "Squeeze", "Unsqueeze" -> cur = p.getInput(0);
                    case "Mul", "Div" -> {
                        String other = null;
                        Double s = null;
                        for (int i = 0; i < 2; i++) {
                            Double c = scalar(p.getInput(i));
                            if (c != null && (i == 1 || p.getOpType().equals("Mul"))) {
                                s = c;
                                other = p.getInput(1 - i);
                            }
                        }
                        if (s == null) {
                            return null;
                        }
                        factor *= p.getOpType().equals("Mul") ? s : 1 / s;
                        cur = other;
                    }
                    default -> {
                        return null;
                    }
                }
            }
            return null;
        }

        private Double scalarOperand(OnnxMl.NodeProto n, String data) {
            if (n.getInputCount() != 2) {
                return null;
            }
            if (n.getOpType().equals("Div")) {
                return n.getInput(0).equals(data) ? scalar(n.getInput(1)) : null;
            }
            return scalar(n.getInput(0).equals(data) ? n.getInput(1) : n.getInput(0));
        }

        private String activation(Map<String, Linear> linears) {
            Linear in = linears.get(CanonicalNames.ffnIn(0) + ".weight");
            Linear out = linears.get(CanonicalNames.ffnOut(0) + ".weight");
            Set<String> ops = new HashSet<>();
            Map<String, OnnxMl.NodeProto> seen = new HashMap<>();
            Deque<String> frontier = new ArrayDeque<>(List.of(in.output()));
            while (!frontier.isEmpty() && seen.size() < 64) {
                String v = frontier.poll();
                for (OnnxMl.NodeProto c : consumers.getOrDefault(v, List.of())) {
                    String key = c.getName() + "/" + c.getOutput(0);
                    if (c.getName().equals(out.node()) || seen.containsKey(key)) {
                        continue;
                    }
                    seen.put(key, c);
                    ops.add(c.getOpType());
                    if (!STOP_OPS.contains(c.getOpType())) {
                        frontier.addAll(c.getOutputList());
                    }
                }
            }
            if (ops.contains("Erf") || ops.contains("BiasGelu")) {
                return "gelu";
            }
            if (ops.contains("Tanh") || ops.contains("FastGelu")) {
                return "gelu_new";
            }
            for (OnnxMl.NodeProto n : seen.values()) {
                if (n.getOpType().equals("Gelu")) {
                    return stringAttr(n, "approximate", "none").equals("tanh") ? "gelu_new" : "gelu";
                }
            }
            if (ops.contains("Relu")) {
                return "relu";
            }
            if (ops.contains("Sigmoid")) {
                throw corrupt("the FFN activation uses Sigmoid (quick_gelu or silu), which shrink does not implement");
            }
            throw corrupt("cannot determine the FFN activation between " + in.node() + " and " + out.node());
        }

        private double layerNormEps() {
            for (OnnxMl.NodeProto n : nodes) {
                if (n.getOpType().equals("LayerNormalization")) {
                    for (OnnxMl.AttributeProto a : n.getAttributeList()) {
                        if (a.getName().equals("epsilon")) {
                            return Double.parseDouble(Float.toString(a.getF()));
                        }
                    }
                    return 1e-5;
                }
            }
            for (OnnxMl.NodeProto n : nodes) {
                if (!n.getOpType().equals("Sqrt")) {
                    continue;
                }
                OnnxMl.NodeProto add = producer.get(n.getInput(0));
                if (add == null || !add.getOpType().equals("Add") || add.getInputCount() != 2) {
                    continue;
                }
                for (int i = 0; i < 2; i++) {
                    OnnxMl.NodeProto mean = producer.get(add.getInput(i));
                    Double eps = scalar(add.getInput(1 - i));
                    if (mean != null && mean.getOpType().equals("ReduceMean") && eps != null && eps > 0 && eps < 1e-2) {
                        return Double.parseDouble(Float.toString(eps.floatValue()));
                    }
                }
            }
            return 1e-12;
        }

        private OnnxMl.TensorProto constant(String name) {
            OnnxMl.TensorProto t = inits.get(name);
            if (t != null) {
                return t;
            }
            OnnxMl.NodeProto p = producer.get(name);
            if (p == null || !p.getOpType().equals("Constant")) {
                return null;
            }
            for (OnnxMl.AttributeProto a : p.getAttributeList()) {
                switch (a.getName()) {
                    case "value" -> {
                        return a.getT();
                    }
                    case "value_float" -> {
                        return OnnxMl.TensorProto.newBuilder().setDataType(FLOAT).addFloatData(a.getF()).build();
                    }
                    case "value_floats" -> {
                        return OnnxMl.TensorProto.newBuilder().setDataType(FLOAT).addDims(a.getFloatsCount())
                                .addAllFloatData(a.getFloatsList()).build();
                    }
                    case "value_int" -> {
                        return OnnxMl.TensorProto.newBuilder().setDataType(INT64).addInt64Data(a.getI()).build();
                    }
                    case "value_ints" -> {
                        return OnnxMl.TensorProto.newBuilder().setDataType(INT64).addDims(a.getIntsCount())
                                .addAllInt64Data(a.getIntsList()).build();
                    }
                    default -> {
                    }
                }
            }
            return null;
        }

        private Double scalar(String name) {
            OnnxMl.TensorProto t = constant(name);
            if (t == null || FloatTensor.numel(dims(t)) != 1) {
                return null;
            }
            if (isFloat(t)) {
                return (double) floats(t, name)[0];
            }
            return (double) longs(t, name)[0];
        }

        /** The values of a shape tensor, with {@link #UNKNOWN_DIM} for runtime-computed entries; null if unknown. */
        private long[] resolveShape(String name, int depth) {
            if (depth > 6) {
                return null;
            }
            OnnxMl.TensorProto c = constant(name);
            if (c != null) {
                return isFloat(c) ? null : longs(c, name);
            }
            OnnxMl.NodeProto p = producer.get(name);
            if (p == null) {
                return null;
            }
            switch (p.getOpType()) {
                case "Cast", "Identity" -> {
                    return resolveShape(p.getInput(0), depth + 1);
                }
                case "Unsqueeze" -> {
                    OnnxMl.TensorProto axes = p.getInputCount() > 1 ? constant(p.getInput(1)) : null;
                    long n = axes != null ? FloatTensor.numel(dims(axes)) : listAttrSize(p, "axes");
                    long[] inner = resolveShape(p.getInput(0), depth + 1);
                    if (inner != null && inner.length == 1 && n == 1) {
                        return inner;
                    }
                    return n == 1 ? new long[] {UNKNOWN_DIM} : null;
                }
                case "Concat" -> {
                    List<Long> all = new ArrayList<>();
                    for (String in : p.getInputList()) {
                        long[] part = resolveShape(in, depth + 1);
                        if (part == null) {
                            return null;
                        }
                        for (long v : part) {
                            all.add(v);
                        }
                    }
                    return all.stream().mapToLong(Long::longValue).toArray();
                }
                default -> {
                    return null;
                }
            }
        }

        private static long listAttrSize(OnnxMl.NodeProto n, String name) {
            for (OnnxMl.AttributeProto a : n.getAttributeList()) {
                if (a.getName().equals(name)) {
                    return a.getIntsCount();
                }
            }
            return -1;
        }

        private static long intAttr(OnnxMl.NodeProto n, String name, long dflt) {
            for (OnnxMl.AttributeProto a : n.getAttributeList()) {
                if (a.getName().equals(name)) {
                    return a.getI();
                }
            }
            return dflt;
        }

        private static String stringAttr(OnnxMl.NodeProto n, String name, String dflt) {
            for (OnnxMl.AttributeProto a : n.getAttributeList()) {
                if (a.getName().equals(name)) {
                    return a.getS().toStringUtf8();
                }
            }
            return dflt;
        }

        private static boolean isFloat(OnnxMl.TensorProto t) {
            int dt = t.getDataType();
            return dt == FLOAT || dt == DOUBLE || dt == FLOAT16 || dt == BFLOAT16;
        }

        private static long[] dims(OnnxMl.TensorProto t) {
            return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        }

        /** A float tensor from a float initializer or, for {@code X_quantized}, dequantised with {@code X_scale}, {@code X_zero_point}. */
        private FloatTensor floatTensor(OnnxMl.TensorProto t, String name) {
            long[] shape = dims(t);
            if (isFloat(t)) {
                return new FloatTensor(name, shape, floats(t, name));
            }
            if (!name.endsWith(QUANTIZED)) {
                throw corrupt("tensor " + name + " has data type " + t.getDataType() + ", expected float");
            }
            String base = name.substring(0, name.length() - QUANTIZED.length());
            OnnxMl.TensorProto scaleT = inits.get(base + "_scale");
            if (scaleT == null || !isFloat(scaleT)) {
                throw corrupt("quantised tensor " + name + " has no float " + base + "_scale");
            }
            float[] scale = floats(scaleT, scaleT.getName());
            OnnxMl.TensorProto zpT = inits.get(base + "_zero_point");
            long[] zp = zpT == null ? new long[] {0} : longs(zpT, zpT.getName());
            long[] q = longs(t, name);
            int cols = shape.length == 0 ? 1 : (int) shape[shape.length - 1];
            int rows = shape.length == 0 ? 1 : (int) shape[0];
            int inner = q.length / Math.max(1, rows);
            boolean perCol = scale.length != 1 && scale.length == cols;
            boolean perRow = !perCol && scale.length != 1 && scale.length == rows;
            if (scale.length != 1 && !perCol && !perRow || zp.length != 1 && zp.length != scale.length) {
                throw corrupt("quantised tensor " + name + " " + Arrays.toString(shape) + " has " + scale.length
                        + " scales and " + zp.length + " zero points");
            }
            float[] out = new float[q.length];
            for (int i = 0; i < q.length; i++) {
                int c = perCol ? i % cols : perRow ? i / inner : 0;
                long z = zp.length == 1 ? zp[0] : zp[c];
                out[i] = (q[i] - z) * scale[c];
            }
            return new FloatTensor(base, shape, out);
        }

        private void checkStorage(OnnxMl.TensorProto t, String name) {
            if (t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL) {
                throw corrupt("tensor " + name + " keeps its data in an external file, which is not supported");
            }
        }

        private float[] floats(OnnxMl.TensorProto t, String name) {
            checkStorage(t, name);
            int n = count(t, name);
            float[] out = new float[n];
            int dt = t.getDataType();
            ByteString raw = t.getRawData();
            if (!raw.isEmpty()) {
                ByteBuffer bb = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                int width = dt == FLOAT ? 4 : dt == DOUBLE ? 8 : 2;
                checkRaw(raw, (long) n * width, name);
                for (int i = 0; i < n; i++) {
                    out[i] = switch (dt) {
                        case FLOAT -> bb.getFloat();
                        case DOUBLE -> (float) bb.getDouble();
                        case FLOAT16 -> HalfFloats.halfToFloat(bb.getShort());
                        default -> Float.intBitsToFloat((bb.getShort() & 0xffff) << 16);
                    };
                }
                return out;
            }
            int stored = dt == FLOAT ? t.getFloatDataCount() : dt == DOUBLE ? t.getDoubleDataCount()
                    : t.getInt32DataCount();
            checkCount(stored, n, name);
            for (int i = 0; i < n; i++) {
                out[i] = switch (dt) {
                    case FLOAT -> t.getFloatData(i);
                    case DOUBLE -> (float) t.getDoubleData(i);
                    case FLOAT16 -> HalfFloats.halfToFloat((short) t.getInt32Data(i));
                    default -> Float.intBitsToFloat((t.getInt32Data(i) & 0xffff) << 16);
                };
            }
            return out;
        }

        private long[] longs(OnnxMl.TensorProto t, String name) {
            checkStorage(t, name);
            int n = count(t, name);
            long[] out = new long[n];
            int dt = t.getDataType();
            ByteString raw = t.getRawData();
            if (!raw.isEmpty()) {
                int width = switch (dt) {
                    case UINT8, INT8, BOOL -> 1;
                    case UINT16, INT16 -> 2;
                    case INT32, UINT32 -> 4;
                    case INT64, UINT64 -> 8;
                    default -> throw corrupt("tensor " + name + " has unsupported integer data type " + dt);
                };
                checkRaw(raw, (long) n * width, name);
                ByteBuffer bb = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) {
                    out[i] = switch (dt) {
                        case INT8 -> bb.get();
                        case UINT8, BOOL -> bb.get() & 0xff;
                        case INT16 -> bb.getShort();
                        case UINT16 -> bb.getShort() & 0xffff;
                        case INT32 -> bb.getInt();
                        case UINT32 -> bb.getInt() & 0xffffffffL;
                        default -> bb.getLong();
                    };
                }
                return out;
            }
            switch (dt) {
                case INT64 -> {
                    checkCount(t.getInt64DataCount(), n, name);
                    for (int i = 0; i < n; i++) {
                        out[i] = t.getInt64Data(i);
                    }
                }
                case UINT32, UINT64 -> {
                    checkCount(t.getUint64DataCount(), n, name);
                    for (int i = 0; i < n; i++) {
                        out[i] = t.getUint64Data(i);
                    }
                }
                case UINT8, INT8, BOOL, UINT16, INT16, INT32 -> {
                    checkCount(t.getInt32DataCount(), n, name);
                    for (int i = 0; i < n; i++) {
                        out[i] = t.getInt32Data(i);
                    }
                }
                default -> throw corrupt("tensor " + name + " has unsupported integer data type " + dt);
            }
            return out;
        }

        private int count(OnnxMl.TensorProto t, String name) {
            long n;
            try {
                n = FloatTensor.numel(dims(t));
            } catch (ShrinkException | ArithmeticException e) {
                throw corrupt("tensor " + name + " has invalid shape " + t.getDimsList());
            }
            if (n > Integer.MAX_VALUE - 8) {
                throw corrupt("tensor " + name + " " + t.getDimsList() + " is too large");
            }
            return (int) n;
        }

        private void checkRaw(ByteString raw, long want, String name) {
            if (raw.size() != want) {
                throw corrupt("tensor " + name + " holds " + raw.size() + " bytes of data, its shape needs " + want);
            }
        }

        private void checkCount(int have, int want, String name) {
            if (have != want) {
                throw corrupt("tensor " + name + " holds " + have + " values, its shape needs " + want);
            }
        }
    }
}
