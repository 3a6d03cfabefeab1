package io.shrink.core;

import io.shrink.core.model.EncoderConfig;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Shared assertions on an imported or built encoder's shape. */
public final class EncoderAssertions {
    private EncoderAssertions() {
    }

    /** Asserts layers, hidden size, heads, head size, FFN width, vocabulary and max positions, in that order. */
    public static void assertShape(EncoderConfig c, int layers, int hidden, int heads, int headSize, int ffn,
                                   int vocab, int maxPositions) {
        assertEquals(layers, c.numLayers());
        assertEquals(hidden, c.hiddenSize());
        assertEquals(heads, c.numHeads());
        assertEquals(headSize, c.headSize());
        assertEquals(ffn, c.intermediateSize());
        assertEquals(vocab, c.vocabSize());
        assertEquals(maxPositions, c.maxPositions());
    }
}
