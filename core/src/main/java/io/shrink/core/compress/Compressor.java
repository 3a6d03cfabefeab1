package io.shrink.core.compress;

import io.shrink.core.model.Checkpoint;

/**
 * A compression method: turns a model into a smaller or faster one and reports what it did. Methods are found by
 * name in {@link Compressors}; each reads its settings as a record of type {@code S} (from the command line's
 * {@code --set key=value} pairs or a recipe), so a new method is one class plus one registry line.
 *
 * @param <S> the settings record
 */
public interface Compressor<S> {
    /** The method's name, summary and settings type. */
    CompressorInfo<S> info();

    /** The name users type, e.g. {@code layers}. */
    default String name() {
        return info().name();
    }

    /** One line saying what the method does, for {@code --help}. */
    default String summary() {
        return info().summary();
    }

    /** The settings record type; its components are the method's settings, read with Jackson. */
    default Class<S> settingsType() {
        return info().settingsType();
    }

    /**
     * Compresses {@code model}. Bad settings (for this model) are usage errors that name the setting.
     *
     * @param context what the method may need besides the model: the seed
     */
    Compressed compress(Checkpoint model, S settings, CompressionContext context);
}
