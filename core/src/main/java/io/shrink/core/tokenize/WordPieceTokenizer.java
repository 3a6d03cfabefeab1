package io.shrink.core.tokenize;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shrink.core.ShrinkException;
import io.shrink.core.util.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A pure-Java BERT WordPiece tokenizer that reproduces Hugging Face's fast BERT tokenizer
 * ({@code tokenizers}: BertNormalizer, BertPreTokenizer, WordPiece, BERT post-processing and
 * truncation) token for token, including character offsets into the original text.
 *
 * <p>Offsets are Java {@code String} indexes (UTF-16 code units); Hugging Face reports Unicode code
 * points or bytes instead, which differ only for characters outside the Basic Multilingual Plane.
 * Character classes come from the JDK's Unicode tables (Unicode 13 in Java 17), corrected where
 * Hugging Face's older tables differ (see {@link #LEGACY_PLAIN}). Characters assigned after Unicode
 * 13 are unassigned to Java; both sides then treat them as ordinary letters, but their lower-case
 * and NFD forms may differ from Hugging Face's newer case and normalisation tables.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class WordPieceTokenizer {

    /** How {@link #encode(String, String, int, Truncation)} shortens inputs that are too long. */
    public enum Truncation {
        /** Remove tokens from the longer input first (Hugging Face's {@code longest_first}). */
        LONGEST_FIRST,
        /** Remove tokens from the first input only. */
        ONLY_FIRST,
        /** Remove tokens from the second input only. */
        ONLY_SECOND,
        /** Never truncate. */
        NONE
    }

    /** Hugging Face's {@code max_input_chars_per_word}: longer words become [UNK]. */
    public static final int MAX_INPUT_CHARS_PER_WORD = 100;

    private static final String PREFIX = "##";
    private static final List<String> SPECIALS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TokenizerSpec spec;
    private final Map<String, Integer> ids;
    private final boolean[] special;
    private final int maxTokenChars;
    private final int padId;
    private final int unkId;
    private final int clsId;
    private final int sepId;
    private final int maskId;

    /** A tokenizer for the given vocabulary and casing. */
    public WordPieceTokenizer(TokenizerSpec spec) {
        this.spec = spec;
        List<String> vocab = spec.vocab();
        this.ids = new HashMap<>(vocab.size() * 2);
        int longest = 0;
        for (int i = 0; i < vocab.size(); i++) {
            String token = vocab.get(i);
            ids.put(token, i);
            longest = Math.max(longest, token.codePointCount(0, token.length()));
        }
        this.maxTokenChars = longest;
        this.special = new boolean[vocab.size()];
        for (String s : SPECIALS) {
            special[ids.get(s)] = true;
        }
        this.padId = ids.get("[PAD]");
        this.unkId = ids.get("[UNK]");
        this.clsId = ids.get("[CLS]");
        this.sepId = ids.get("[SEP]");
        this.maskId = ids.get("[MASK]");
    }

    /** A tokenizer for a BERT {@code vocab.txt} (one token per line, line number = id). */
    public static WordPieceTokenizer fromVocabFile(Path vocabTxt, boolean lowercase) {
        return new WordPieceTokenizer(readVocabTxt(vocabTxt, lowercase));
    }

    /** A tokenizer for a Hugging Face {@code tokenizer.json} with a BERT WordPiece model. */
    public static WordPieceTokenizer fromTokenizerJson(Path tokenizerJson) {
        return new WordPieceTokenizer(readTokenizerJson(tokenizerJson));
    }

    /** The vocabulary and casing this tokenizer was built from. */
    public TokenizerSpec spec() {
        return spec;
    }

    // ---------------------------------------------------------------- files

    /** Reads a BERT {@code vocab.txt}: UTF-8, one token per line (trailing whitespace dropped). */
    public static TokenizerSpec readVocabTxt(Path vocabTxt, boolean lowercase) {
        List<String> lines;
        try {
            lines = decodeVocabulary(Files.readAllBytes(vocabTxt), vocabTxt.toString()).lines().toList();
        } catch (IOException e) {
            throw ShrinkException.corrupt("cannot read vocabulary " + vocabTxt + ": " + e.getMessage(), e);
        }
        List<String> vocab = new ArrayList<>(lines.size());
        for (String line : lines) {
            vocab.add(line.stripTrailing());
        }
        if (vocab.isEmpty()) {
            throw ShrinkException.corrupt("vocabulary " + vocabTxt + " is empty");
        }
        return new TokenizerSpec(vocab, lowercase);
    }

    /**
     * The text of a vocabulary file, decoded as strict UTF-8: bytes that are not UTF-8 (a binary file, another
     * encoding) are a {@link ShrinkException#corrupt} naming {@code label}, the byte offset and the line.
     */
    public static String decodeVocabulary(byte[] bytes, String label) {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length);
        java.nio.charset.CoderResult r = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                .decode(in, out, true);
        if (r.isError()) {
            int offset = in.position();
            long line = 1;
            for (int i = 0; i < offset; i++) {
                line += bytes[i] == '\n' ? 1 : 0;
            }
            throw ShrinkException.corrupt(String.format(Locale.ROOT, "vocabulary %s is not UTF-8 text: invalid UTF-8 at "
                    + "byte offset %d (line %d, byte 0x%02X); a vocab.txt holds one UTF-8 token per line",
                    label, offset, line, bytes[offset] & 0xff));
        }
        return out.flip().toString();
    }

    /** Writes a BERT {@code vocab.txt} (UTF-8, one token per line), atomically. */
    public static void writeVocabTxt(TokenizerSpec spec, Path vocabTxt) {
        StringBuilder sb = new StringBuilder();
        for (String token : spec.vocab()) {
            sb.append(token).append('\n');
        }
        writeAtomically(vocabTxt, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads the vocabulary and casing of a Hugging Face {@code tokenizer.json}. Only the BERT
     * pipeline this class implements is accepted: a WordPiece model with [UNK], prefix "##" and at
     * most 100 characters per word, a BertNormalizer with cleaning and Chinese-character handling
     * on, and a BertPreTokenizer (or none). Anything else is a one-line corrupt-file error.
     */
    public static TokenizerSpec readTokenizerJson(Path tokenizerJson) {
        JsonNode root;
        try {
            root = JSON.readTree(tokenizerJson.toFile());
        } catch (JsonProcessingException e) {
            throw ShrinkException.corrupt(tokenizerJson + " is not valid JSON: "
                    + e.getOriginalMessage().lines().findFirst().orElse("parse error"), e);
        } catch (IOException e) {
            throw ShrinkException.corrupt("cannot read " + tokenizerJson + ": " + e.getMessage(), e);
        }
        String where = tokenizerJson.toString();
        if (root == null || !root.isObject()) {
            throw ShrinkException.corrupt(where + " is not a tokenizer.json object");
        }
        JsonNode model = root.path("model");
        String type = model.path("type").asText("");
        if (!"WordPiece".equals(type)) {
            throw ShrinkException.corrupt(where + ": model type is '" + (type.isEmpty() ? "missing" : type)
                    + "', only BERT WordPiece tokenizers are supported");
        }
        if (!"[UNK]".equals(model.path("unk_token").asText("[UNK]"))
                || !PREFIX.equals(model.path("continuing_subword_prefix").asText(PREFIX))
                || model.path("max_input_chars_per_word").asInt(MAX_INPUT_CHARS_PER_WORD)
                != MAX_INPUT_CHARS_PER_WORD) {
            throw ShrinkException.corrupt(where + ": WordPiece model must use unk_token [UNK], prefix ##"
                    + " and max_input_chars_per_word 100");
        }
        JsonNode normalizer = root.path("normalizer");
        if (!"BertNormalizer".equals(normalizer.path("type").asText(""))) {
            throw ShrinkException.corrupt(where + ": normalizer must be BertNormalizer, found "
                    + (normalizer.isMissingNode() || normalizer.isNull() ? "none" : normalizer.path("type").asText("?")));
        }
        boolean lowercase = normalizer.path("lowercase").asBoolean(true);
        JsonNode strip = normalizer.path("strip_accents");
        if (!normalizer.path("clean_text").asBoolean(true) || !normalizer.path("handle_chinese_chars").asBoolean(true)
                || (strip.isBoolean() && strip.asBoolean() != lowercase)) {
            throw ShrinkException.corrupt(where + ": BertNormalizer must have clean_text and handle_chinese_chars"
                    + " on and strip_accents null or equal to lowercase");
        }
        JsonNode pre = root.path("pre_tokenizer");
        if (!pre.isMissingNode() && !pre.isNull() && !"BertPreTokenizer".equals(pre.path("type").asText(""))) {
            throw ShrinkException.corrupt(where + ": pre_tokenizer must be BertPreTokenizer, found "
                    + pre.path("type").asText("?"));
        }
        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject() || vocabNode.isEmpty()) {
            throw ShrinkException.corrupt(where + ": WordPiece model has no vocab object");
        }
        TreeMap<Integer, String> byId = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : vocabNode.properties()) {
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                throw ShrinkException.corrupt(where + ": vocab id of '" + e.getKey() + "' is not a non-negative int");
            }
            String previous = byId.put(e.getValue().asInt(), e.getKey());
            if (previous != null) {
                throw ShrinkException.corrupt(where + ": tokens '" + previous + "' and '" + e.getKey()
                        + "' share id " + e.getValue().asInt());
            }
        }
        for (JsonNode added : root.path("added_tokens")) {
            int id = added.path("id").asInt(-1);
            if (id >= 0 && !byId.containsKey(id)) {
                byId.put(id, added.path("content").asText());
            }
        }
        if (byId.firstKey() != 0 || byId.lastKey() != byId.size() - 1) {
            throw ShrinkException.corrupt(where + ": vocab ids are not contiguous from 0 ("
                    + byId.size() + " tokens, ids " + byId.firstKey() + ".." + byId.lastKey() + ")");
        }
        return new TokenizerSpec(new ArrayList<>(byId.values()), lowercase);
    }

    /** Writes a Hugging Face {@code tokenizer.json} for this BERT WordPiece pipeline, atomically. */
    public static void writeTokenizerJson(TokenizerSpec spec, Path tokenizerJson) {
        Map<String, Integer> vocabIds = new HashMap<>();
        for (int i = 0; i < spec.vocab().size(); i++) {
            if (vocabIds.put(spec.vocab().get(i), i) != null) {
                throw ShrinkException.usage("cannot write " + tokenizerJson + ": token '" + spec.vocab().get(i)
                        + "' occurs twice in the vocabulary");
            }
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String s : SPECIALS) {
            ObjectNode t = added.addObject();
            t.put("id", vocabIds.get(s));
            t.put("content", s);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "BertNormalizer");
        normalizer.put("clean_text", true);
        normalizer.put("handle_chinese_chars", true);
        normalizer.putNull("strip_accents");
        normalizer.put("lowercase", spec.lowercase());
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        addSpecial(single, "[CLS]", 0);
        addSequence(single, "A", 0);
        addSpecial(single, "[SEP]", 0);
        ArrayNode pair = post.putArray("pair");
        addSpecial(pair, "[CLS]", 0);
        addSequence(pair, "A", 0);
        addSpecial(pair, "[SEP]", 0);
        addSequence(pair, "B", 1);
        addSpecial(pair, "[SEP]", 1);
        ObjectNode specials = post.putObject("special_tokens");
        for (String s : List.of("[CLS]", "[SEP]")) {
            ObjectNode t = specials.putObject(s);
            t.put("id", s);
            t.putArray("ids").add(vocabIds.get(s));
            t.putArray("tokens").add(s);
        }
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "WordPiece");
        decoder.put("prefix", PREFIX);
        decoder.put("cleanup", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "WordPiece");
        model.put("unk_token", "[UNK]");
        model.put("continuing_subword_prefix", PREFIX);
        model.put("max_input_chars_per_word", MAX_INPUT_CHARS_PER_WORD);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < spec.vocab().size(); i++) {
            vocab.put(spec.vocab().get(i), i);
        }
        byte[] bytes;
        try {
            bytes = JSON.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw ShrinkException.failed("cannot serialise " + tokenizerJson, e);
        }
        writeAtomically(tokenizerJson, bytes);
    }

    private static void addSpecial(ArrayNode template, String token, int typeId) {
        ObjectNode s = template.addObject().putObject("SpecialToken");
        s.put("id", token);
        s.put("type_id", typeId);
    }

    private static void addSequence(ArrayNode template, String id, int typeId) {
        ObjectNode s = template.addObject().putObject("Sequence");
        s.put("id", id);
        s.put("type_id", typeId);
    }

    private static void writeAtomically(Path target, byte[] bytes) {
        try {
            AtomicFiles.write(target, bytes);
        } catch (IOException e) {
            throw ShrinkException.failed("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- vocabulary

    /** Size of the vocabulary. */
    public int vocabSize() {
        return spec.vocab().size();
    }

    /** The id of {@code token}, or the [UNK] id when it is not in the vocabulary. */
    public int tokenId(String token) {
        Integer id = ids.get(token);
        return id == null ? unkId : id;
    }

    /** The token string of {@code id}; usage error when out of range. */
    public String token(int id) {
        if (id < 0 || id >= spec.vocab().size()) {
            throw ShrinkException.usage("token id " + id + " is outside the vocabulary (0.." + (vocabSize() - 1) + ")");
        }
        return spec.vocab().get(id);
    }

    /** Id of [CLS]. */
    public int clsId() {
        return clsId;
    }

    /** Id of [SEP]. */
    public int sepId() {
        return sepId;
    }

    /** Id of [PAD]. */
    public int padId() {
        return padId;
    }

    /** Id of [MASK]. */
    public int maskId() {
        return maskId;
    }

    /** Id of [UNK]. */
    public int unkId() {
        return unkId;
    }

    // ---------------------------------------------------------------- tokenizing

    /** The word pieces of {@code text}, without special tokens. */
    public List<String> tokenize(String text) {
        Pieces p = pieces(text);
        List<String> out = new ArrayList<>(p.size);
        for (int i = 0; i < p.size; i++) {
            out.add(spec.vocab().get(p.values[i]));
        }
        return out;
    }

    /** {@code [CLS] text [SEP]}, untruncated. */
    public Encoding encode(String text) {
        return encode(text, null, Integer.MAX_VALUE, Truncation.NONE);
    }

    /** {@code [CLS] text [SEP] pair [SEP]} (or the single form when {@code pair} is null), untruncated. */
    public Encoding encode(String text, String pair) {
        return encode(text, pair, Integer.MAX_VALUE, Truncation.NONE);
    }

    /**
     * Encodes {@code text} (and {@code pair}, which may be null) with special tokens, truncating
     * to at most {@code maxLength} tokens in total (specials included) the way Hugging Face
     * {@code tokenizers} does; the head of each input is kept.
     */
    public Encoding encode(String text, String pair, int maxLength, Truncation strategy) {
        if (text == null) {
            throw ShrinkException.usage("text to encode is null");
        }
        Pieces a = pieces(text);
        Pieces b = pair == null ? null : pieces(pair);
        int added = b == null ? 2 : 3;
        int na = a.size;
        int nb = b == null ? 0 : b.size;
        if (strategy != Truncation.NONE && na + nb + added > maxLength) {
            if (maxLength < added) {
                throw ShrinkException.usage("max length " + maxLength + " cannot hold the " + added
                        + " special tokens of a " + (b == null ? "single text" : "text pair"));
            }
            int m = maxLength - added;
            int toRemove = na + nb - m;
            switch (strategy) {
                case LONGEST_FIRST -> {
                    if (b == null) {
                        na = m;
                    } else {
                        boolean swap = na > nb;
                        int n1 = Math.min(na, nb);
                        int n2;
                        if (n1 > m) {
                            n2 = n1;
                        } else {
                            n2 = Math.max(n1, m - n1);
                        }
                        if (n1 + n2 > m) {
                            n1 = m / 2;
                            n2 = n1 + m % 2;
                        }
                        na = Math.min(na, swap ? n2 : n1);
                        nb = Math.min(nb, swap ? n1 : n2);
                    }
                }
                case ONLY_FIRST -> {
                    if (na <= toRemove) {
                        throw ShrinkException.usage("cannot truncate only the first text to fit max length "
                                + maxLength + ": it has " + na + " tokens and " + toRemove + " must go");
                    }
                    na -= toRemove;
                }
                case ONLY_SECOND -> {
                    if (b == null) {
                        throw ShrinkException.usage("truncation ONLY_SECOND needs a second text");
                    }
                    if (nb <= toRemove) {
                        throw ShrinkException.usage("cannot truncate only the second text to fit max length "
                                + maxLength + ": it has " + nb + " tokens and " + toRemove + " must go");
                    }
                    nb -= toRemove;
                }
                default -> throw new IllegalStateException();
            }
        }
        int n = na + nb + added;
        int[] outIds = new int[n];
        int[] types = new int[n];
        int[] mask = new int[n];
        String[] tokens = new String[n];
        int[] starts = new int[n];
        int[] ends = new int[n];
        int[] seq = new int[n];
        Arrays.fill(mask, 1);
        int k = 0;
        k = putSpecial(k, clsId, 0, outIds, types, tokens, seq);
        k = putPieces(k, a, na, 0, outIds, types, tokens, starts, ends, seq);
        k = putSpecial(k, sepId, 0, outIds, types, tokens, seq);
        if (b != null) {
            k = putPieces(k, b, nb, 1, outIds, types, tokens, starts, ends, seq);
            putSpecial(k, sepId, 1, outIds, types, tokens, seq);
        }
        return new Encoding(outIds, types, mask, tokens, starts, ends, seq);
    }

    private int putSpecial(int k, int id, int type, int[] outIds, int[] types, String[] tokens, int[] seq) {
        outIds[k] = id;
        types[k] = type;
        tokens[k] = spec.vocab().get(id);
        seq[k] = -1;
        return k + 1;
    }

    private int putPieces(int k, Pieces p, int count, int type, int[] outIds, int[] types, String[] tokens,
                          int[] starts, int[] ends, int[] seq) {
        for (int i = 0; i < count; i++, k++) {
            outIds[k] = p.values[i];
            types[k] = type;
            tokens[k] = spec.vocab().get(p.values[i]);
            starts[k] = p.starts[i];
            ends[k] = p.ends[i];
            seq[k] = type;
        }
        return k;
    }

    /**
     * Pads every encoding on the right with [PAD] (type 0, mask 0) to {@code toLength} tokens, or to
     * the longest in the batch when {@code toLength <= 0}; usage error if one is already longer.
     */
    public Encoding[] pad(List<Encoding> batch, int toLength) {
        int longest = 0;
        for (Encoding e : batch) {
            longest = Math.max(longest, e.length());
        }
        int target = toLength <= 0 ? longest : toLength;
        if (longest > target) {
            throw ShrinkException.usage("cannot pad to " + target + " tokens: an encoding has " + longest);
        }
        Encoding[] out = new Encoding[batch.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = batch.get(i).padTo(target, padId, spec.vocab().get(padId));
        }
        return out;
    }

    /**
     * Text for {@code ids} as Hugging Face's WordPiece decoder writes it: special tokens skipped,
     * pieces joined by spaces, "##" continuations glued to the previous piece, and the space before
     * {@code . , ! ?} removed.
     */
    public String decode(int[] tokenIds) {
        StringBuilder sb = new StringBuilder();
        boolean first = true;
        for (int id : tokenIds) {
            String t = token(id);
            if (special[id]) {
                continue;
            }
            if (!first) {
                if (t.startsWith(PREFIX)) {
                    t = t.substring(PREFIX.length());
                } else {
                    t = " " + t;
                }
            }
            first = false;
            sb.append(cleanup(t));
        }
        return sb.toString();
    }

    private static String cleanup(String t) {
        return t.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't")
                .replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re");
    }

    // ---------------------------------------------------------------- pipeline

    /** A growable list of int values, each with a UTF-16 span {@code [start, end)} of the original text. */
    private static class Spans {
        int[] values;
        int[] starts;
        int[] ends;
        int size;

        Spans(int capacity) {
            values = new int[capacity];
            starts = new int[capacity];
            ends = new int[capacity];
        }

        void add(int value, int start, int end) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
                starts = Arrays.copyOf(starts, size * 2);
                ends = Arrays.copyOf(ends, size * 2);
            }
            values[size] = value;
            starts[size] = start;
            ends[size] = end;
            size++;
        }
    }

    /** Word-piece ids ({@code values}) with original offsets for one text. */
    private static final class Pieces extends Spans {
        Pieces() {
            super(16);
        }
    }

    /** Normalised code points ({@code values}), each with the UTF-16 span of the original character it came from. */
    private static final class Normalized extends Spans {
        Normalized(int capacity) {
            super(Math.max(capacity, 4));
        }
    }

    private Pieces pieces(String text) {
        Normalized norm = normalize(text, spec.lowercase());
        Pieces out = new Pieces();
        int i = 0;
        while (i < norm.size) {
            int cp = norm.values[i];
            if (isWhitespace(cp)) {
                i++;
            } else if (isPunctuation(cp)) {
                wordPiece(norm, i, i + 1, out);
                i++;
            } else {
                int j = i + 1;
                while (j < norm.size && !isWhitespace(norm.values[j]) && !isPunctuation(norm.values[j])) {
                    j++;
                }
                wordPiece(norm, i, j, out);
                i = j;
            }
        }
        return out;
    }

    /** Greedy longest-match-first WordPiece over normalised code points {@code [from, to)}. */
    private void wordPiece(Normalized norm, int from, int to, Pieces out) {
        int wordStart = norm.starts[from];
        int wordEnd = norm.ends[to - 1];
        if (to - from > MAX_INPUT_CHARS_PER_WORD) {
            out.add(unkId, wordStart, wordEnd);
            return;
        }
        int mark = out.size;
        int start = from;
        StringBuilder sb = new StringBuilder();
        while (start < to) {
            int end = Math.min(to, start + maxTokenChars);
            int found = -1;
            while (end > start) {
                sb.setLength(0);
                if (start > from) {
                    sb.append(PREFIX);
                }
                for (int k = start; k < end; k++) {
                    sb.appendCodePoint(norm.values[k]);
                }
                Integer id = ids.get(sb.toString());
                if (id != null) {
                    found = id;
                    break;
                }
                end--;
            }
            if (found < 0) {
                out.size = mark;
                out.add(unkId, wordStart, wordEnd);
                return;
            }
            out.add(found, norm.starts[start], norm.ends[end - 1]);
            start = end;
        }
    }

    private static Normalized normalize(String text, boolean lowercase) {
        Normalized n = new Normalized(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int end = i + Character.charCount(cp);
            if (cp != 0 && cp != 0xFFFD && !isControl(cp)) {
                int mapped = isWhitespace(cp) ? ' ' : cp;
                if (isChinese(mapped)) {
                    n.add(' ', i, end);
                    n.add(mapped, i, end);
                    n.add(' ', i, end);
                } else {
                    n.add(mapped, i, end);
                }
            }
            i = end;
        }
        if (!lowercase) {
            return n;
        }
        Normalized d = decompose(n);
        Normalized out = new Normalized(d.size + 8);
        for (int i = 0; i < d.size; i++) {
            int cp = d.values[i];
            if (isNonSpacingMark(cp)) {
                continue;
            }
            if (cp < 0x80) {
                out.add(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp, d.starts[i], d.ends[i]);
                continue;
            }
            String lower = new String(Character.toChars(cp)).toLowerCase(Locale.ROOT);
            for (int k = 0; k < lower.length(); ) {
                int lc = lower.codePointAt(k);
                out.add(lc, d.starts[i], d.ends[i]);
                k += Character.charCount(lc);
            }
        }
        return out;
    }

    /**
     * Canonical decomposition (NFD) keeping, for every output code point, the original character it
     * came from. Each character is decomposed on its own; if canonical reordering of combining
     * marks then moves code points across characters, they keep their origin.
     */
    private static Normalized decompose(Normalized n) {
        StringBuilder all = new StringBuilder(n.size + 8);
        for (int i = 0; i < n.size; i++) {
            all.appendCodePoint(n.values[i]);
        }
        String whole = all.toString();
        if (Normalizer.isNormalized(whole, Normalizer.Form.NFD)) {
            return n;
        }
        Normalized pieces = new Normalized(n.size + 8);
        for (int i = 0; i < n.size; i++) {
            int cp = n.values[i];
            if (cp < 0xC0) {
                pieces.add(cp, n.starts[i], n.ends[i]);
                continue;
            }
            String dec = Normalizer.normalize(new String(Character.toChars(cp)), Normalizer.Form.NFD);
            for (int k = 0; k < dec.length(); ) {
                int c = dec.codePointAt(k);
                pieces.add(c, n.starts[i], n.ends[i]);
                k += Character.charCount(c);
            }
        }
        String target = Normalizer.normalize(whole, Normalizer.Form.NFD);
        int[] want = target.codePoints().toArray();
        if (want.length != pieces.size) {
            throw new IllegalStateException("NFD length mismatch");
        }
        boolean same = true;
        for (int i = 0; i < want.length && same; i++) {
            same = want[i] == pieces.values[i];
        }
        if (same) {
            return pieces;
        }
        Normalized out = new Normalized(pieces.size);
        boolean[] used = new boolean[pieces.size];
        int firstUnused = 0;
        for (int c : want) {
            while (used[firstUnused]) {
                firstUnused++;
            }
            int k = firstUnused;
            while (used[k] || pieces.values[k] != c) {
                k++;
            }
            used[k] = true;
            out.add(c, pieces.starts[k], pieces.ends[k]);
        }
        return out;
    }

    // ---------------------------------------------------------------- character classes

    /**
     * Code point ranges (inclusive pairs) that Java 17 (Unicode 13) puts in Mn, Cf or P* but that
     * Hugging Face's character tables (those of the {@code unicode_categories} crate, which predate
     * Unicode 9) do not know as such, so it treats them as ordinary letters. Found by running every
     * code point through both implementations.
     */
    private static final int[] LEGACY_PLAIN = {
            0x07FD, 0x07FD, 0x08D3, 0x08E2, 0x09FD, 0x09FE, 0x0A76, 0x0A76, 0x0AFA, 0x0AFF, 0x0B55, 0x0B55,
            0x0C04, 0x0C04, 0x0C77, 0x0C77, 0x0C84, 0x0C84, 0x0D00, 0x0D00, 0x0D3B, 0x0D3C, 0x0D81, 0x0D81,
            0x0EBA, 0x0EBA, 0x1885, 0x1886, 0x1ABF, 0x1AC0, 0x1DF6, 0x1DF9, 0x1DFB, 0x1DFB, 0x2E43, 0x2E4F,
            0x2E52, 0x2E52, 0xA82C, 0xA82C, 0xA8C5, 0xA8C5, 0xA8FF, 0xA8FF, 0xA9BD, 0xA9BD, 0x10D24, 0x10D27,
            0x10EAB, 0x10EAD, 0x10F46, 0x10F50, 0x10F55, 0x10F59, 0x110CD, 0x110CD, 0x111CF, 0x111CF,
            0x1123E, 0x1123E, 0x1133B, 0x1133B, 0x11438, 0x1143F, 0x11442, 0x11444, 0x11446, 0x11446,
            0x1144B, 0x1144F, 0x1145A, 0x1145B, 0x1145D, 0x1145E, 0x11660, 0x1166C, 0x1182F, 0x11837,
            0x11839, 0x1183B, 0x1193B, 0x1193C, 0x1193E, 0x1193E, 0x11943, 0x11946, 0x119D4, 0x119D7,
            0x119DA, 0x119DB, 0x119E0, 0x119E0, 0x119E2, 0x119E2, 0x11A01, 0x11A0A, 0x11A33, 0x11A38,
            0x11A3B, 0x11A47, 0x11A51, 0x11A56, 0x11A59, 0x11A5B, 0x11A8A, 0x11A96, 0x11A98, 0x11A9C,
            0x11A9E, 0x11AA2, 0x11C30, 0x11C36, 0x11C38, 0x11C3D, 0x11C3F, 0x11C3F, 0x11C41, 0x11C45,
            0x11C70, 0x11C71, 0x11C92, 0x11CA7, 0x11CAA, 0x11CB0, 0x11CB2, 0x11CB3, 0x11CB5, 0x11CB6,
            0x11D31, 0x11D36, 0x11D3A, 0x11D3A, 0x11D3C, 0x11D3D, 0x11D3F, 0x11D45, 0x11D47, 0x11D47,
            0x11D90, 0x11D91, 0x11D95, 0x11D95, 0x11D97, 0x11D97, 0x11EF3, 0x11EF4, 0x11EF7, 0x11EF8,
            0x11FFF, 0x11FFF, 0x13430, 0x13438, 0x16E97, 0x16E9A, 0x16F4F, 0x16F4F, 0x16FE2, 0x16FE2,
            0x16FE4, 0x16FE4, 0x1E000, 0x1E006, 0x1E008, 0x1E018, 0x1E01B, 0x1E021, 0x1E023, 0x1E024,
            0x1E026, 0x1E02A, 0x1E130, 0x1E136, 0x1E2EC, 0x1E2EF, 0x1E944, 0x1E94A, 0x1E95E, 0x1E95F
    };

    /** Characters Hugging Face's older tables still class as punctuation (Java 17 says So or Mn). */
    private static boolean isLegacyPunctuation(int cp) {
        return cp == 0x166D || cp == 0x111C9;
    }

    private static boolean isLegacyPlain(int cp) {
        if (cp < LEGACY_PLAIN[0]) {
            return false;
        }
        int lo = 0;
        int hi = LEGACY_PLAIN.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (cp < LEGACY_PLAIN[2 * mid]) {
                hi = mid - 1;
            } else if (cp > LEGACY_PLAIN[2 * mid + 1]) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    /** Unicode White_Space, plus tab, newline and carriage return. */
    static boolean isWhitespace(int cp) {
        return switch (cp) {
            case '\t', '\n', 0x0B, 0x0C, '\r', ' ', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    /**
     * Hugging Face's "control": categories Cc, Cf, Cs and Co except tab, newline and carriage
     * return. Unassigned code points (Cn) are kept, as Hugging Face keeps them.
     */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.SURROGATE, Character.PRIVATE_USE -> true;
            case Character.FORMAT -> !isLegacyPlain(cp);
            default -> false;
        };
    }

    /** A non-spacing combining mark (Mn), as stripped with the accents of uncased models. */
    static boolean isNonSpacingMark(int cp) {
        return Character.getType(cp) == Character.NON_SPACING_MARK && !isLegacyPlain(cp) && !isLegacyPunctuation(cp);
    }

    /** ASCII punctuation or Unicode general category P*. */
    static boolean isPunctuation(int cp) {
        if (cp < 0x80) {
            return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
        }
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                    Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> !isLegacyPlain(cp);
            default -> isLegacyPunctuation(cp);
        };
    }

    /** CJK ideographs, as Hugging Face's BertNormalizer defines them. */
    static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
