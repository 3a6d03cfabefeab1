package io.shrink.core.compress;

/**
 * What identifies a compression method: the part of {@link Compressor} every method spells out the same way.
 *
 * @param name         the name users type, e.g. {@code layers}
 * @param summary      one line saying what the method does
 * @param settingsType the settings record type, read with Jackson
 * @param <S>          the settings record
 */
public record CompressorInfo<S>(String name, String summary, Class<S> settingsType) {
}
