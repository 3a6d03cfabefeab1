package io.shrink.core.compress;

/**
 * What a compression method may use besides the model and its settings.
 *
 * @param seed seed for anything random (new weights, sampled calibration data)
 */
public record CompressionContext(long seed) {
}
