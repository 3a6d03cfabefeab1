package io.shrink.core.compress;

import io.shrink.core.ShrinkException;
import io.shrink.core.compress.layers.LayerCompressor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompressorsTest {
    @Test
    void findsTheLayersMethodInAnyCaseAndRefusesUnknownOnes() {
        assertEquals(LayerCompressor.NAME, Compressors.of("LAYERS").name());
        ShrinkException e = assertThrows(ShrinkException.class, () -> Compressors.of("zip"));
        assertTrue(e.getMessage().contains("unknown compression method 'zip'") && e.getMessage().contains("layers"),
                e.getMessage());
    }

    @Test
    void settingsAreReadFromStringsIntoTheMethodsRecord() {
        LayerCompressor m = new LayerCompressor();
        LayerCompressor.Settings s = CompressService.settings(m, Map.of("layers", "first:2", "dropTokenTypes", "true"));
        assertEquals(new LayerCompressor.Settings("first:2", true), s);
        assertEquals(new LayerCompressor.Settings(null, false), CompressService.settings(m, Map.of()));
        ShrinkException e = assertThrows(ShrinkException.class, () -> CompressService.settings(m, Map.of("layer", "1")));
        assertTrue(e.getMessage().contains("its settings: layers, dropTokenTypes"), e.getMessage());
        assertThrows(ShrinkException.class, () -> CompressService.settings(m, Map.of("dropTokenTypes", "perhaps")));
    }
}
