package io.shrink.core.checkpoint.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shrink.core.ShrinkException;
import io.shrink.core.TinyModels;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.checkpoint.Safetensors;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HfLayoutTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void bertWithEveryHeadRoundTripsBitExactly() throws IOException {
        for (HeadConfig head : List.of(HeadConfig.none(), HeadConfig.mlm(), TinyModels.classifier("pooler"),
                new HeadConfig("regression", "pooler", List.of("score")), new HeadConfig("qa", null, List.of()))) {
            Checkpoint original = TinyModels.model(TinyModels.bert(), head, 7);
            Checkpoint back = roundTrip(original, head.type());
            assertSame(original, back);
        }
    }

    @Test
    void distilbertConfigRoundTripsThroughHuggingFaceNames() throws IOException {
        Checkpoint original = TinyModels.model(TinyModels.distilbert(), TinyModels.classifier("pre_classifier"), 3);
        Path out = written(original, "distil");
        JsonNode config = config(out);
        assertEquals("distilbert", config.get("model_type").asText());
        assertEquals("DistilBertForSequenceClassification", config.get("architectures").get(0).asText());
        assertEquals(32, config.get("dim").asInt());
        assertEquals(2, config.get("n_layers").asInt());
        assertEquals(64, config.get("hidden_dim").asInt());
        assertEquals("positive", config.get("id2label").get("1").asText());
        var names = tensorNames(out);
        assertTrue(names.contains("distilbert.transformer.layer.1.attention.q_lin.weight"), names.toString());
        assertTrue(names.contains("distilbert.transformer.layer.0.sa_layer_norm.bias"));
        assertTrue(names.contains("distilbert.transformer.layer.0.ffn.lin2.weight"));
        assertTrue(names.contains("distilbert.transformer.layer.0.output_layer_norm.weight"));
        assertTrue(names.contains("pre_classifier.weight"));
        assertFalse(names.stream().anyMatch(n -> n.contains("token_type")), "DistilBERT has no token types");
        assertSame(original, HfLayout.read(out));
    }

    @Test
    void distilbertMlmUsesVocabProjectorNames() throws IOException {
        Checkpoint original = TinyModels.model(TinyModels.distilbert(), HeadConfig.mlm(), 4);
        Path out = written(original, "distil-mlm");
        var names = tensorNames(out);
        assertTrue(names.containsAll(List.of("vocab_transform.weight", "vocab_layer_norm.weight", "vocab_projector.bias")));
        assertSame(original, HfLayout.read(out));
    }

    @Test
    void albertSharedFactorisedRoundTrips() throws IOException {
        Checkpoint original = TinyModels.model(TinyModels.albert(), HeadConfig.mlm(), 5);
        Path out = written(original, "albert");
        JsonNode config = config(out);
        assertEquals("albert", config.get("model_type").asText());
        assertEquals(16, config.get("embedding_size").asInt());
        var names = tensorNames(out);
        assertTrue(names.contains("albert.encoder.embedding_hidden_mapping_in.weight"), names.toString());
        assertTrue(names.contains("albert.encoder.albert_layer_groups.0.albert_layers.0.ffn_output.weight"));
        assertTrue(names.contains("predictions.dense.weight"));
        assertSame(original, HfLayout.read(out));
    }

    @Test
    void bertMlmUsesPrefixedNamesAndTiedDecoder() throws IOException {
        Path out = written(TinyModels.model(TinyModels.bert(), HeadConfig.mlm(), 1), "bert");
        var names = tensorNames(out);
        assertTrue(names.contains("bert.encoder.layer.0.attention.self.query.weight"));
        assertTrue(names.contains("cls.predictions.bias"));
        assertFalse(names.contains("cls.predictions.decoder.weight"), "decoder is tied to the word embeddings");
        assertTrue(Files.isRegularFile(out.resolve("vocab.txt")));
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        assertTrue(Files.isRegularFile(out.resolve("tokenizer_config.json")));
    }

    @Test
    void readsShardedCheckpointsAndRejectsCorruptIndexes() throws IOException {
        Checkpoint original = TinyModels.model(TinyModels.bert(), HeadConfig.mlm(), 2);
        Path out = written(original, "sharded");
        Map<String, FloatTensor> all = Safetensors.read(out.resolve("model.safetensors"));
        List<FloatTensor> list = new ArrayList<>(all.values());
        Safetensors.write(out.resolve("model-00001-of-00002.safetensors"), list.subList(0, 10), Map.of());
        Safetensors.write(out.resolve("model-00002-of-00002.safetensors"), list.subList(10, list.size()), Map.of());
        Files.delete(out.resolve("model.safetensors"));
        ObjectNode index = JSON.createObjectNode();
        ObjectNode map = index.putObject("weight_map");
        for (int i = 0; i < list.size(); i++) {
            map.put(list.get(i).name(), i < 10 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        }
        Path indexFile = out.resolve("model.safetensors.index.json");
        JSON.writeValue(indexFile.toFile(), index);
        assertSame(original, HfLayout.read(out));

        map.put(list.get(0).name(), "model-00002-of-00002.safetensors");
        JSON.writeValue(indexFile.toFile(), index);
        assertCorrupt(out, "is listed but not in");
        map.put(list.get(0).name(), "../../etc/passwd");
        JSON.writeValue(indexFile.toFile(), index);
        assertCorrupt(out, "invalid file");
        Files.writeString(indexFile, "{\"metadata\": {}}");
        assertCorrupt(out, "no weight_map");
        Files.writeString(indexFile, "{\"weight_map\": ");
        assertCorrupt(out, "invalid JSON");
    }

    @Test
    void rejectsBadCheckpointsWithOneLineErrors() throws IOException {
        assertCorrupt(dir.resolve("nowhere"), "no config.json");
        assertCorrupt(edited("type", c -> c.put("model_type", "gpt2")), "unknown model_type 'gpt2'");
        assertCorrupt(edited("nofield", c -> c.remove("hidden_size")), "'hidden_size' is missing");
        assertCorrupt(edited("shape", c -> c.put("intermediate_size", 48)), "has shape [64, 32] but the config needs [48, 32]");
        assertCorrupt(edited("heads", c -> c.put("num_attention_heads", 5)), "not a multiple");
        assertCorrupt(edited("rel", c -> c.put("position_embedding_type", "relative_key")), "not supported");
        assertCorrupt(edited("ner", c -> c.putArray("architectures").add("BertForTokenClassification")),
                "architecture BertForTokenClassification is not supported");
        assertCorrupt(edited("untied", c -> c.put("tie_word_embeddings", false)), "not tied");
        assertCorrupt(edited("multilabel", c -> c.put("problem_type", "multi_label_classification")), "multi-label");
        Path noWeights = edited("noweights", c -> { });
        Files.delete(noWeights.resolve("model.safetensors"));
        assertCorrupt(noWeights, "no model.safetensors");
        Path missing = edited("missing", c -> { });
        Map<String, FloatTensor> t = Safetensors.read(missing.resolve("model.safetensors"));
        t.remove("bert.encoder.layer.1.output.dense.weight");
        Safetensors.write(missing.resolve("model.safetensors"), t.values(), Map.of());
        assertCorrupt(missing, "missing parameter 'encoder.layer.1.output.dense.weight'");
        Path noTok = edited("notok", c -> { });
        Files.delete(noTok.resolve("vocab.txt"));
        Files.delete(noTok.resolve("tokenizer.json"));
        assertCorrupt(noTok, "no tokenizer");
    }

    private Path edited(String name, Consumer<ObjectNode> edit) throws IOException {
        Path out = dir.resolve(name);
        HfLayout.write(TinyModels.model(TinyModels.bert(), HeadConfig.mlm(), 9), out);
        ObjectNode config = (ObjectNode) JSON.readTree(out.resolve("config.json").toFile());
        edit.accept(config);
        JSON.writeValue(out.resolve("config.json").toFile(), config);
        return out;
    }

    private static void assertCorrupt(Path hfDir, String fragment) {
        ShrinkException e = assertThrows(ShrinkException.class, () -> HfLayout.read(hfDir));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage() + " should mention " + fragment);
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void refusesShapesAFamilyCannotExpress() {
        EncoderConfig pruned = TinyModels.bert().withLayers(List.of(4, 2), List.of(64, 32));
        Checkpoint ckpt = TinyModels.model(pruned, HeadConfig.mlm(), 1);
        ShrinkException e = assertThrows(ShrinkException.class, () -> HfLayout.write(ckpt, dir.resolve("p")));
        assertEquals(ShrinkException.Kind.USAGE, e.kind());
        Checkpoint distilWithPooler = TinyModels.model(TinyModels.distilbert(), TinyModels.classifier("pooler"), 1);
        assertThrows(ShrinkException.class, () -> HfLayout.write(distilWithPooler, dir.resolve("q")));
    }

    private Checkpoint roundTrip(Checkpoint ckpt, String name) throws IOException {
        return HfLayout.read(written(ckpt, name));
    }

    /** Writes {@code ckpt} as a Hugging Face directory {@code name} under the temp dir and returns it. */
    private Path written(Checkpoint ckpt, String name) throws IOException {
        Path out = dir.resolve(name);
        HfLayout.write(ckpt, out);
        return out;
    }

    private static Set<String> tensorNames(Path out) {
        return Safetensors.read(out.resolve("model.safetensors")).keySet();
    }

    private static JsonNode config(Path out) throws IOException {
        return JSON.readTree(out.resolve("config.json").toFile());
    }

    static void assertSame(Checkpoint a, Checkpoint b) {
        assertEquals(a.config(), b.config());
        assertEquals(a.head(), b.head());
        assertEquals(a.tokenizer(), b.tokenizer());
        assertEquals(a.tensors().keySet(), b.tensors().keySet());
        assertEquals(a.tensors(), b.tensors(), "bit-exact weights");
        assertEquals(a.contentHash(), b.contentHash());
    }
}
