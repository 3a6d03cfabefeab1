package io.shrink.core.tokenize;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.shrink.core.ShrinkException;

import java.util.List;

/**
 * What a BERT WordPiece tokenizer needs: the vocabulary (token per id, in id order) and whether
 * text is lower-cased and accent-stripped (uncased models) or left as is (cased models).
 *
 * @param vocab     token strings, index = id
 * @param lowercase uncased (lower-case and strip accents) when true
 */
@JsonPropertyOrder({"lowercase", "vocab"})
public record TokenizerSpec(List<String> vocab, boolean lowercase) {

    public TokenizerSpec {
        vocab = List.copyOf(vocab);
        for (String special : List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")) {
            if (!vocab.contains(special)) {
                throw ShrinkException.corrupt("vocabulary has no " + special + " token");
            }
        }
    }
}
