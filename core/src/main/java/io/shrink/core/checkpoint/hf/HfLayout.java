package io.shrink.core.checkpoint.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.checkpoint.Safetensors;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.ModelShapes;
import io.shrink.core.tokenize.TokenizerSpec;
import io.shrink.core.tokenize.WordPieceTokenizer;
import io.shrink.core.util.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes Hugging Face checkpoint directories: {@code config.json}, {@code model.safetensors}
 * (or a sharded {@code model.safetensors.index.json}), {@code vocab.txt} and/or {@code tokenizer.json},
 * {@code tokenizer_config.json}. What it writes, {@code transformers} loads unchanged.
 */
public final class HfLayout {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HfLayout() {
    }

    /** Whether {@code dir} looks like a Hugging Face checkpoint directory. */
    public static boolean isHfDir(Path dir) {
        return Files.isDirectory(dir) && Files.isRegularFile(dir.resolve("config.json"));
    }

    /** Reads a checkpoint directory into canonical form, validating names and shapes against the config. */
    public static Checkpoint read(Path dir) {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw ShrinkException.corrupt(dir + ": no config.json (not a Hugging Face checkpoint directory)");
        }
        JsonNode config = readJson(configFile);
        String modelType = config.path("model_type").asText("");
        HfFamily family = HfFamilies.get(modelType, configFile.toString());
        EncoderConfig encoder = family.readConfig(config, configFile.toString()).validate();

        Map<String, FloatTensor> canonical = new LinkedHashMap<>();
        for (FloatTensor t : readWeights(dir).values()) {
            String name = family.canonicalName(t.name());
            if (name != null) {
                canonical.put(name, t.rename(name));
            }
        }
        HeadConfig head = HfFamily.readHead(config, modelType.equals("distilbert") ? "pre_classifier" : "pooler",
                configFile.toString());
        if (head == null) {
            head = inferHead(canonical, config, modelType);
        }
        Map<String, FloatTensor> valid = ModelShapes.validate(encoder, head, canonical, dir.toString());
        return new Checkpoint(encoder, head, valid, readTokenizer(dir));
    }

    private static HeadConfig inferHead(Map<String, FloatTensor> t, JsonNode config, String modelType) {
        if (t.containsKey("qa_outputs.weight")) {
            return new HeadConfig("qa", null, List.of());
        }
        if (t.containsKey("classifier.weight")) {
            String pooling = t.containsKey("pre_classifier.weight") ? "pre_classifier" : "pooler";
            List<String> labels = HfFamily.labels(config);
            return labels.size() == 1 ? new HeadConfig("regression", pooling, labels)
                    : new HeadConfig("classification", pooling, labels);
        }
        if (t.containsKey("cls.predictions.bias")) {
            return HeadConfig.mlm();
        }
        return HeadConfig.none();
    }

    private static Map<String, FloatTensor> readWeights(Path dir) {
        Path single = dir.resolve("model.safetensors");
        if (Files.isRegularFile(single)) {
            return Safetensors.read(single);
        }
        Path index = dir.resolve("model.safetensors.index.json");
        if (!Files.isRegularFile(index)) {
            if (Files.isRegularFile(dir.resolve("pytorch_model.bin"))) {
                throw ShrinkException.corrupt(dir + ": only pytorch_model.bin found; shrink reads safetensors "
                        + "(convert with transformers' save_pretrained(safe_serialization=True))");
            }
            throw ShrinkException.corrupt(dir + ": no model.safetensors or model.safetensors.index.json");
        }
        JsonNode map = readJson(index).get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw ShrinkException.corrupt(index + ": no weight_map object (corrupt index)");
        }
        Set<String> files = new LinkedHashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String f = e.getValue().asText("");
            if (f.isEmpty() || f.contains("/") || f.contains("\\") || f.startsWith(".")) {
                throw ShrinkException.corrupt(index + ": weight_map entry for '" + e.getKey() + "' names an invalid file '" + f + "'");
            }
            files.add(f);
        }
        Map<String, Map<String, FloatTensor>> byFile = new LinkedHashMap<>();
        for (String f : files) {
            byFile.put(f, Safetensors.read(dir.resolve(f)));
        }
        Map<String, FloatTensor> all = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            FloatTensor t = byFile.get(e.getValue().asText()).get(e.getKey());
            if (t == null && !e.getKey().endsWith("position_ids")) {
                throw ShrinkException.corrupt(index + ": '" + e.getKey() + "' is listed but not in " + e.getValue().asText());
            }
            if (t != null) {
                all.put(e.getKey(), t);
            }
        }
        return all;
    }

    /** Reads the WordPiece tokenizer: {@code tokenizer.json} when present, else {@code vocab.txt}. */
    static TokenizerSpec readTokenizer(Path dir) {
        Path json = dir.resolve("tokenizer.json");
        if (Files.isRegularFile(json)) {
            return WordPieceTokenizer.readTokenizerJson(json);
        }
        Path vocab = dir.resolve("vocab.txt");
        if (Files.isRegularFile(vocab)) {
            boolean lower = true;
            Path tc = dir.resolve("tokenizer_config.json");
            if (Files.isRegularFile(tc)) {
                lower = readJson(tc).path("do_lower_case").asBoolean(true);
            }
            return WordPieceTokenizer.readVocabTxt(vocab, lower);
        }
        if (Files.isRegularFile(dir.resolve("spiece.model"))) {
            throw ShrinkException.corrupt(dir + ": SentencePiece tokenizers are not supported; add a WordPiece "
                    + "vocab.txt or tokenizer.json");
        }
        throw ShrinkException.corrupt(dir + ": no tokenizer (tokenizer.json or vocab.txt)");
    }

    private static JsonNode readJson(Path file) {
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null || !n.isObject()) {
                throw ShrinkException.corrupt(file + ": not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw ShrinkException.corrupt(file + ": invalid JSON (" + firstLine(e.getMessage()) + ")");
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * Writes a checkpoint as a Hugging Face directory for its family: config.json, model.safetensors with
     * the family's parameter names, vocab.txt, tokenizer.json and tokenizer_config.json. Each file is written
     * atomically; the directory is created if needed.
     */
    public static void write(Checkpoint ckpt, Path dir) throws IOException {
        EncoderConfig c = ckpt.config();
        HfFamily family = HfFamilies.get(c.family(), "model");
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add(family.architecture(ckpt.head()));
        config.put("model_type", family.modelType());
        family.writeConfig(c, ckpt.head(), config);
        config.put("torch_dtype", "float32");
        List<FloatTensor> renamed = new ArrayList<>();
        for (FloatTensor t : ckpt.tensors().values()) {
            renamed.add(t.rename(family.hfName(t.name(), ckpt.head())));
        }
        Files.createDirectories(dir);
        Safetensors.write(dir.resolve("model.safetensors"), renamed, Map.of());
        AtomicFiles.writeString(dir.resolve("config.json"), JSON.writeValueAsString(config) + "\n");
        WordPieceTokenizer.writeVocabTxt(ckpt.tokenizer(), dir.resolve("vocab.txt"));
        WordPieceTokenizer.writeTokenizerJson(ckpt.tokenizer(), dir.resolve("tokenizer.json"));
        ObjectNode tc = JSON.createObjectNode();
        tc.put("tokenizer_class", family.modelType().equals("distilbert") ? "DistilBertTokenizer" : "BertTokenizer");
        tc.put("do_lower_case", ckpt.tokenizer().lowercase());
        tc.put("model_max_length", c.maxPositions());
        tc.put("unk_token", "[UNK]");
        tc.put("sep_token", "[SEP]");
        tc.put("pad_token", "[PAD]");
        tc.put("cls_token", "[CLS]");
        tc.put("mask_token", "[MASK]");
        AtomicFiles.writeString(dir.resolve("tokenizer_config.json"), JSON.writeValueAsString(tc) + "\n");
    }
}
