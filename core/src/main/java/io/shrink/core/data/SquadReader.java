package io.shrink.core.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shrink.core.ShrinkException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Reads SQuAD v1.1 JSON ({@code data[].paragraphs[].context}, {@code qas[].id/question/answers[].text/answer_start})
 * and checks that every answer's {@code answer_start} points at its text in the context. Errors name the file and
 * the JSON path of the bad element, e.g. {@code dev-v1.1.json: data[3].paragraphs[0].qas[2].answers[1]: ...}.
 */
public final class SquadReader {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private SquadReader() {
    }

    /** Reads every article of {@code file}. */
    public static SquadDataset read(Path file) {
        return read(file, 0, Integer.MAX_VALUE);
    }

    /**
     * Reads articles {@code from} (inclusive) to {@code to} (exclusive) of {@code file}, e.g. {@code read(f, 0, 40)}
     * for articles 0-39 and {@code read(f, 40, 48)} for 40-47; {@code to} may exceed the number of articles.
     */
    public static SquadDataset read(Path file, int from, int to) {
        if (from < 0 || to <= from) {
            throw ShrinkException.usage("bad SQuAD article range [" + from + ", " + to + "): need 0 <= from < to");
        }
        JsonNode root = parse(file);
        String version = root.path("version").isTextual() ? root.get("version").asText() : null;
        if (version != null && !version.equals("1.1")) {
            throw ShrinkException.corrupt(file + ": version " + version + "; shrink reads SQuAD v1.1");
        }
        JsonNode data = root.get("data");
        if (data == null || !data.isArray() || data.isEmpty()) {
            throw ShrinkException.corrupt(file + ": no 'data' array of articles; is this a SQuAD v1.1 file?");
        }
        if (from >= data.size()) {
            throw ShrinkException.usage("SQuAD article range starts at " + from + " but " + file + " has "
                    + data.size() + " articles");
        }
        List<SquadDataset.Article> articles = new ArrayList<>();
        for (int a = from; a < Math.min(to, data.size()); a++) {
            articles.add(article(file, data.get(a), a));
        }
        return new SquadDataset(file, version, List.copyOf(articles));
    }

    private static JsonNode parse(Path file) {
        if (!Files.isRegularFile(file)) {
            throw ShrinkException.corrupt(file + ": no such file; expected SQuAD v1.1 JSON such as dev-v1.1.json");
        }
        try (InputStream in = Files.newInputStream(file)) {
            JsonNode root = MAPPER.readTree(in);
            if (root == null || !root.isObject()) {
                throw ShrinkException.corrupt(file + ":1: empty file or not a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String where = loc == null ? "" : loc.getLineNr() + ":" + loc.getColumnNr() + ":";
            throw ShrinkException.corrupt(file + ":" + where + " malformed JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw ShrinkException.corrupt(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static SquadDataset.Article article(Path file, JsonNode node, int index) {
        String path = "data[" + index + "]";
        String title = node.path("title").asText("");
        List<SquadDataset.Paragraph> paragraphs = each(file, node, "paragraphs", path, (para, pPath) -> {
            String context = text(file, para, "context", pPath);
            List<SquadDataset.Question> questions = each(file, para, "qas", pPath, (qa, qPath) -> {
                List<SquadDataset.Answer> golds =
                        each(file, qa, "answers", qPath, (answer, aPath) -> answer(file, answer, context, aPath));
                if (golds.isEmpty()) {
                    throw ShrinkException.corrupt(file + ": " + qPath + ": no answers (SQuAD v1.1 questions all have one)");
                }
                return new SquadDataset.Question(text(file, qa, "id", qPath), text(file, qa, "question", qPath),
                        context, golds, index);
            });
            return new SquadDataset.Paragraph(context, questions);
        });
        return new SquadDataset.Article(index, title, paragraphs);
    }

    /**
     * Reads each element of {@code node}'s array {@code field} with {@code element}, which gets the element and its
     * JSON path {@code path.field[i]}; an immutable list, in order.
     */
    private static <T> List<T> each(Path file, JsonNode node, String field, String path,
                                    BiFunction<JsonNode, String, T> element) {
        JsonNode items = array(file, node, field, path);
        List<T> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            out.add(element.apply(items.get(i), path + "." + field + "[" + i + "]"));
        }
        return List.copyOf(out);
    }

    private static SquadDataset.Answer answer(Path file, JsonNode node, String context, String path) {
        String text = text(file, node, "text", path);
        JsonNode startNode = node.get("answer_start");
        if (startNode == null || !startNode.canConvertToInt()) {
            throw ShrinkException.corrupt(file + ": " + path + ": missing or non-integer answer_start");
        }
        int codePoints = startNode.asInt();
        int length = text.codePointCount(0, text.length());
        if (codePoints < 0 || codePoints + length > context.codePointCount(0, context.length())) {
            throw ShrinkException.corrupt(file + ": " + path + ": answer_start " + codePoints
                    + " puts the answer outside its context");
        }
        int start = context.offsetByCodePoints(0, codePoints);
        int end = context.offsetByCodePoints(start, length);
        if (!context.substring(start, end).equals(text)) {
            throw ShrinkException.corrupt(file + ": " + path + ": answer_start " + codePoints + " does not match the text '"
                    + text + "' (context there: '" + context.substring(start, end) + "')");
        }
        return new SquadDataset.Answer(text, start, end);
    }

    private static JsonNode array(Path file, JsonNode node, String field, String path) {
        JsonNode v = node.get(field);
        if (v == null || !v.isArray()) {
            throw ShrinkException.corrupt(file + ": " + path + ": missing '" + field + "' array");
        }
        return v;
    }

    private static String text(Path file, JsonNode node, String field, String path) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw ShrinkException.corrupt(file + ": " + path + ": missing '" + field + "' string");
        }
        String control = ControlCharacters.problem(v.asText(), "the string");
        if (control != null) {
            throw ShrinkException.corrupt(file + ": " + path + "." + field + ": " + control);
        }
        return v.asText();
    }
}
