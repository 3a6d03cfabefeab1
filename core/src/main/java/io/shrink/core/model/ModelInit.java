package io.shrink.core.model;

import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.tokenize.TokenizerSpec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random initialisation as BERT does it (Devlin et al. 2019): weights from a normal distribution with
 * standard deviation 0.02 truncated at two standard deviations, biases zero, LayerNorm gain one.
 * Deterministic for a seed.
 */
public final class ModelInit {
    /** BERT's initializer_range. */
    public static final double STD = 0.02;

    private ModelInit() {
    }

    /** A freshly initialised checkpoint of the given shape and head. */
    public static Checkpoint random(EncoderConfig config, HeadConfig head, TokenizerSpec tokenizer, long seed) {
        config.validate();
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : ModelShapes.expected(config, head).entrySet()) {
            tensors.put(e.getKey(), tensor(e.getKey(), e.getValue(), rnd));
        }
        return new Checkpoint(config, head, tensors, tokenizer);
    }

    /** One freshly initialised parameter: LayerNorm gains 1, biases 0, everything else truncated normal. */
    public static FloatTensor tensor(String name, long[] shape, SplittableRandom rnd) {
        float[] data = new float[(int) FloatTensor.numel(shape)];
        if (name.endsWith("LayerNorm.weight")) {
            java.util.Arrays.fill(data, 1f);
        } else if (!name.endsWith(".bias")) {
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) (truncatedGaussian(rnd) * STD);
            }
        }
        return new FloatTensor(name, shape, data);
    }

    private static double truncatedGaussian(SplittableRandom rnd) {
        while (true) {
            // Box-Muller; redraw outside two standard deviations
            double u = 1.0 - rnd.nextDouble();
            double v = rnd.nextDouble();
            double g = Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
            if (Math.abs(g) <= 2.0) {
                return g;
            }
        }
    }
}
