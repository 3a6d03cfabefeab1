package io.shrink.core.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shrink.core.ShrinkException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads the IMDb Large Movie Review Dataset (Maas et al. 2011, "Learning Word Vectors for Sentiment Analysis") in
 * either of two layouts under a directory: JSON Lines {@code <split>.jsonl.gz} or {@code <split>.jsonl} with one
 * {@code {"id", "label", "rating", "text"}} object per review, or the original tree
 * {@code [aclImdb/]<split>/{neg,pos}/<id>_<rating>.txt}. Examples come out neg before pos, then by numeric id;
 * label 1 is positive. The example id is {@code <split>/<pos|neg>/<id>_<rating>}.
 */
public final class ImdbReader {
    /** The class names in label order. */
    public static final List<String> LABELS = List.of("neg", "pos");

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern FILE_NAME = Pattern.compile("(\\d+)_(\\d+)\\.txt");

    private ImdbReader() {
    }

    /** Reads split {@code train} or {@code test} from {@code dir}, in whichever layout it holds. */
    public static List<Example> read(Path dir, String split) {
        List<Path> sources = sources(dir, split);
        if (sources.size() == 1) {
            return readJsonLines(sources.get(0));
        }
        return readTree(sources.get(0).getParent().getParent(), split);
    }

    /**
     * What {@link #read} reads for a split: the one JSON Lines file, or the {@code neg} and {@code pos}
     * directories of the tree layout (for provenance checksums).
     */
    public static List<Path> sources(Path dir, String split) {
        if (!split.equals("train") && !split.equals("test")) {
            throw ShrinkException.usage("IMDb has splits train and test, not '" + split + "'");
        }
        for (String name : List.of(split + ".jsonl.gz", split + ".jsonl")) {
            if (Files.isRegularFile(dir.resolve(name))) {
                return List.of(dir.resolve(name));
            }
        }
        for (Path root : List.of(dir, dir.resolve("aclImdb"))) {
            if (Files.isDirectory(root.resolve(split).resolve("pos"))) {
                return LABELS.stream().map(l -> root.resolve(split).resolve(l)).toList();
            }
        }
        throw ShrinkException.corrupt(dir + ": no IMDb " + split + " data; expected " + split + ".jsonl.gz, "
                + split + ".jsonl or [aclImdb/]" + split + "/{neg,pos}/ (see glue-data/README.md)");
    }

    /** Reads one JSON Lines file (gzipped or not), one review object per line. */
    public static List<Example> readJsonLines(Path file) {
        List<Example> out = new ArrayList<>();
        try (TextLines lines = TextLines.open(file)) {
            String line;
            while ((line = lines.next()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = MAPPER.readTree(line);
                } catch (JsonProcessingException e) {
                    throw lines.error("malformed JSON: " + e.getOriginalMessage());
                }
                if (node == null || !node.isObject()) {
                    throw lines.error("expected a JSON object");
                }
                JsonNode id = node.get("id");
                JsonNode label = node.get("label");
                JsonNode text = node.get("text");
                if (id == null || !id.isTextual() || text == null || !text.isTextual()) {
                    throw lines.error("missing 'id' or 'text' string");
                }
                if (label == null || !label.isInt() || (label.asInt() != 0 && label.asInt() != 1)) {
                    throw lines.error("bad label " + label + "; expected 0 (neg) or 1 (pos)");
                }
                for (String field : List.of("id", "text")) {
                    String control = ControlCharacters.problem(node.get(field).asText(), "its '" + field + "'");
                    if (control != null) {
                        throw lines.error(control);
                    }
                }
                out.add(new Example(id.asText(), out.size(), text.asText(), null, label.asInt(), Double.NaN,
                        file, lines.lineNumber()));
            }
            if (out.isEmpty()) {
                throw ShrinkException.corrupt(file + ":1: empty file");
            }
        }
        return out;
    }

    /** Reads {@code root/<split>/{neg,pos}/<id>_<rating>.txt}. */
    public static List<Example> readTree(Path root, String split) {
        List<Example> out = new ArrayList<>();
        for (int label = 0; label < LABELS.size(); label++) {
            Path dir = root.resolve(split).resolve(LABELS.get(label));
            if (!Files.isDirectory(dir)) {
                throw ShrinkException.corrupt(dir + ": missing IMDb directory");
            }
            for (Review r : list(dir)) {
                String text = readStrict(r.file);
                int bad = ControlCharacters.firstForbidden(text);
                if (bad >= 0) {
                    int line = (int) text.substring(0, bad).chars().filter(c -> c == '\n').count() + 1;
                    int column = bad - text.lastIndexOf('\n', bad - 1);
                    throw ShrinkException.corrupt(r.file + ":" + line + ": "
                            + ControlCharacters.describe(text.charAt(bad), column, "the line"));
                }
                String id = split + "/" + LABELS.get(label) + "/" + r.id + "_" + r.rating;
                out.add(new Example(id, out.size(), text, null, label, Double.NaN, r.file, 1));
            }
        }
        if (out.isEmpty()) {
            throw ShrinkException.corrupt(root.resolve(split) + ": no reviews");
        }
        return out;
    }

    private record Review(Path file, long id, int rating) {
    }

    private static List<Review> list(Path dir) {
        List<Review> reviews = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Matcher m = FILE_NAME.matcher(f.getFileName().toString());
                if (!m.matches()) {
                    throw ShrinkException.corrupt(f + ": not an IMDb review file name (<id>_<rating>.txt)");
                }
                int rating = Integer.parseInt(m.group(2));
                if (rating < 1 || rating > 10) {
                    throw ShrinkException.corrupt(f + ": rating " + rating + " outside 1-10");
                }
                reviews.add(new Review(f, Long.parseLong(m.group(1)), rating));
            }
        } catch (IOException e) {
            throw ShrinkException.corrupt(dir + ": cannot list: " + e.getMessage(), e);
        }
        reviews.sort(Comparator.comparingLong(Review::id));
        return reviews;
    }

    private static String readStrict(Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw ShrinkException.corrupt(file + ":1: invalid UTF-8; re-fetch the file", e);
        } catch (IOException e) {
            throw ShrinkException.corrupt(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
