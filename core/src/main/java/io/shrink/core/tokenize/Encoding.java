package io.shrink.core.tokenize;

import java.util.Arrays;

/**
 * The result of encoding one text or one text pair: ids and the per-token metadata a BERT model and
 * its callers need, all arrays of the same length.
 *
 * <p>{@code starts[i]} and {@code ends[i]} give the half-open span {@code [start, end)} of token
 * {@code i} in the ORIGINAL (un-normalised) string of the segment it came from: the first text for
 * {@code sequenceIds[i] == 0}, the second text for {@code sequenceIds[i] == 1}. Offsets are Java
 * {@code String} indexes, i.e. UTF-16 code units (a character outside the Basic Multilingual Plane
 * counts as two). Special and padding tokens have the span {@code [0, 0)}.
 *
 * @param ids           vocabulary ids
 * @param typeIds       segment (token type) ids: 0 for [CLS], the first text and its [SEP]; 1 after
 * @param attentionMask 1 for real tokens, 0 for padding
 * @param tokens        token strings (word pieces, with "##" on continuation pieces)
 * @param starts        start offset (inclusive, UTF-16 units) in the original segment text
 * @param ends          end offset (exclusive, UTF-16 units) in the original segment text
 * @param sequenceIds   -1 for special or padding tokens, 0 for the first text, 1 for the second
 */
public record Encoding(int[] ids, int[] typeIds, int[] attentionMask, String[] tokens, int[] starts,
                       int[] ends, int[] sequenceIds) {

    /** Number of tokens, specials and padding included. */
    public int length() {
        return ids.length;
    }

    /**
     * This encoding padded on the right to {@code length} tokens with the given pad token (type 0,
     * mask 0, span [0, 0), sequence id -1); returned unchanged when already that long or longer.
     */
    public Encoding padTo(int length, int padId, String padToken) {
        int n = ids.length;
        if (length <= n) {
            return this;
        }
        int[] newIds = Arrays.copyOf(ids, length);
        int[] newTypes = Arrays.copyOf(typeIds, length);
        int[] newMask = Arrays.copyOf(attentionMask, length);
        String[] newTokens = Arrays.copyOf(tokens, length);
        int[] newStarts = Arrays.copyOf(starts, length);
        int[] newEnds = Arrays.copyOf(ends, length);
        int[] newSeq = Arrays.copyOf(sequenceIds, length);
        for (int i = n; i < length; i++) {
            newIds[i] = padId;
            newTokens[i] = padToken;
            newSeq[i] = -1;
        }
        return new Encoding(newIds, newTypes, newMask, newTokens, newStarts, newEnds, newSeq);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Encoding e && Arrays.equals(ids, e.ids) && Arrays.equals(typeIds, e.typeIds)
                && Arrays.equals(attentionMask, e.attentionMask) && Arrays.equals(tokens, e.tokens)
                && Arrays.equals(starts, e.starts) && Arrays.equals(ends, e.ends)
                && Arrays.equals(sequenceIds, e.sequenceIds);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(ids) + Arrays.hashCode(starts);
    }

    @Override
    public String toString() {
        return "Encoding" + Arrays.toString(tokens);
    }
}
