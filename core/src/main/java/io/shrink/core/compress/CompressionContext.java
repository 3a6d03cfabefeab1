package io.shrink.core.compress;

import java.util.function.Consumer;

/**
 * What a compression method may use besides the model and its settings.
 *
 * @param seed        seed for anything random (new weights, sampled calibration data)
 * @param calibration data to calibrate on and score against, or null when the command gave none
 * @param progress    where long methods report what they are doing, one line at a time
 */
public record CompressionContext(long seed, Calibration calibration, Consumer<String> progress) {
    /** A context with a seed only. */
    public CompressionContext(long seed) {
        this(seed, null, line -> { });
    }
}
