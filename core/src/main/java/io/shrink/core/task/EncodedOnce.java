package io.shrink.core.task;

import io.shrink.core.tokenize.WordPieceTokenizer;

import java.util.function.Supplier;

/**
 * Model inputs made from a task's examples once per tokenizer and feature options, so that the training loop's
 * evaluations and the final scoring share them.
 *
 * @param <T> what the examples become: features by set, SQuAD windows
 */
final class EncodedOnce<T> {
    private WordPieceTokenizer tokenizer;
    private FeatureOptions options;
    private T value;

    /** The inputs for {@code tok} and {@code features}, made by {@code encode} unless already made for them. */
    T get(WordPieceTokenizer tok, FeatureOptions features, Supplier<T> encode) {
        if (value == null || tokenizer != tok || !features.equals(options)) {
            value = encode.get();
            tokenizer = tok;
            options = features;
        }
        return value;
    }
}
