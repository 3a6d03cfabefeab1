package io.shrink.cli;

import io.shrink.core.ShrinkException;
import io.shrink.core.compress.Compressed;
import io.shrink.core.compress.CompressionContext;
import io.shrink.core.compress.CompressionReport;
import io.shrink.core.compress.Compressor;
import io.shrink.core.compress.CompressorInfo;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compression method added the way a user adds one: this class and one line in META-INF/services. It rounds every
 * weight to a grid of {@code 1 / 2^bits} (a toy "quantiser" that keeps float32 storage).
 */
public final class ToyCompressor implements Compressor<ToyCompressor.Settings> {
    static final String NAME = "toy-round";

    /**
     * The settings.
     *
     * @param bits fractional bits kept, 1 to 20
     */
    public record Settings(int bits) {
    }

    @Override
    public CompressorInfo<Settings> info() {
        return new CompressorInfo<>(NAME, "round every weight to a grid of 1/2^bits (bits=1..20)", Settings.class);
    }

    @Override
    public Compressed compress(Checkpoint model, Settings s, CompressionContext context) {
        if (s.bits() < 1 || s.bits() > 20) {
            throw ShrinkException.usage("toy-round: bits must be 1 to 20, not " + s.bits());
        }
        float scale = 1 << s.bits();
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        model.tensors().forEach((name, t) -> {
            float[] v = t.data().clone();
            for (int i = 0; i < v.length; i++) {
                v[i] = Math.round(v[i] * scale) / scale;
            }
            out.put(name, new FloatTensor(name, t.shape(), v));
        });
        Checkpoint rounded = new Checkpoint(model.config(), model.head(), out, model.tokenizer());
        return new Compressed(rounded, new CompressionReport(NAME, Map.of("bits", s.bits()), model.parameterCount(),
                rounded.parameterCount(), List.of("weights stay float32: no smaller file and no speed-up")));
    }
}
