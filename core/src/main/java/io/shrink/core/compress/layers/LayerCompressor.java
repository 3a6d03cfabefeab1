package io.shrink.core.compress.layers;

import io.shrink.core.compress.Compressed;
import io.shrink.core.compress.CompressionContext;
import io.shrink.core.compress.CompressionReport;
import io.shrink.core.compress.Compressor;
import io.shrink.core.compress.CompressorInfo;
import io.shrink.core.model.Checkpoint;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Layer dropping: a shallower model made by copying some of a model's layers, DistilBERT's student initialisation
 * (Sanh et al. 2019; {@link StudentInit#fromTeacher}). {@code models derive} runs it.
 */
public final class LayerCompressor implements Compressor<LayerCompressor.Settings> {
    /** The method's name. */
    public static final String NAME = "layers";

    /**
     * The method's settings.
     *
     * @param layers         the layers to keep ({@link LayerSelection}: a list, {@code every-other}, {@code first:K};
     *                       null: DistilBERT's 0,2,4,7,9,11 for 12 layers, else every other layer)
     * @param dropTokenTypes remove the token-type embeddings (DistilBERT style)
     */
    public record Settings(String layers, boolean dropTokenTypes) {
    }

    private static final CompressorInfo<Settings> INFO = new CompressorInfo<>(NAME,
            "keep some layers (layers=0,2,4,7,9,11|every-other|first:K, dropTokenTypes=true|false)", Settings.class);

    @Override
    public CompressorInfo<Settings> info() {
        return INFO;
    }

    @Override
    public Compressed compress(Checkpoint model, Settings s, CompressionContext context) {
        int depth = model.config().numLayers();
        String spec = s.layers() != null ? s.layers() : depth == 12 ? "0,2,4,7,9,11" : "every-other";
        List<Integer> layers = LayerSelection.parse(spec, depth);
        Checkpoint out = StudentInit.fromTeacher(model, layers, s.dropTokenTypes());
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("layers", layers);
        options.put("dropTokenTypes", s.dropTokenTypes());
        return new Compressed(out, new CompressionReport(NAME, options, model.parameterCount(), out.parameterCount(),
                List.of()));
    }
}
