package io.shrink.core.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shrink.core.ShrinkException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A raw text corpus for general (masked-LM) distillation: a text file with one document per line, a
 * JSON Lines file (gzipped or not) whose objects carry a {@code text} field (as {@code imdb/train.jsonl.gz}),
 * or a folder whose {@code .txt} files (searched recursively, in path order) are one document each. A folder in
 * the aclImdb layout ({@code [aclImdb/]train/{neg,pos}/}) contributes only its training reviews,
 * {@code train/{neg,pos,unsup}}: the test reviews, URL lists and vocabulary files stay out of the corpus.
 * Blank lines, blank texts and blank files are skipped; invalid UTF-8 or malformed JSON is an error naming file and line.
 *
 * @param documents the documents, in corpus order
 * @param files     the file read, or the folders read (for provenance, which hashes a folder as a whole)
 */
public record Corpus(List<String> documents, List<Path> files) {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Reads a corpus; at most {@code maxDocuments} documents (0 = all). */
    public static Corpus read(Path source, int maxDocuments) {
        if (source == null) {
            throw ShrinkException.usage("general distillation needs a corpus: --corpus FILE|DIR");
        }
        List<String> docs = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(source)) {
            List<Path> roots = folders(source);
            List<Path> txt = new ArrayList<>();
            for (Path root : roots) {
                try (Stream<Path> s = Files.walk(root)) {
                    s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".txt")).sorted()
                            .forEach(txt::add);
                } catch (IOException e) {
                    throw ShrinkException.corrupt(root + ": cannot list: " + e.getMessage(), e);
                }
            }
            files.addAll(roots);
            for (Path f : txt) {
                if (maxDocuments > 0 && docs.size() >= maxDocuments) {
                    break;
                }
                StringBuilder sb = new StringBuilder();
                try (TextLines lines = TextLines.open(f)) {
                    String line;
                    while ((line = lines.next()) != null) {
                        sb.append(line).append('\n');
                    }
                }
                if (!sb.toString().isBlank()) {
                    docs.add(sb.toString().strip());
                }
            }
        } else {
            boolean json = source.getFileName().toString().matches(".*\\.jsonl(\\.gz)?$");
            files.add(source);
            try (TextLines lines = TextLines.open(source)) {
                String line;
                while ((maxDocuments <= 0 || docs.size() < maxDocuments) && (line = lines.next()) != null) {
                    String doc = line.isBlank() ? "" : json ? text(line, lines) : line.strip();
                    if (!doc.isBlank()) {
                        docs.add(doc.strip());
                    }
                }
            }
        }
        if (docs.isEmpty()) {
            throw ShrinkException.corrupt(source + ": the corpus holds no text");
        }
        return new Corpus(List.copyOf(docs), List.copyOf(files));
    }

    /** The folders a corpus folder stands for: its aclImdb training reviews, or itself. */
    static List<Path> folders(Path source) {
        for (Path root : List.of(source, source.resolve("aclImdb"))) {
            Path train = root.resolve("train");
            if (Files.isDirectory(train.resolve("pos")) && Files.isDirectory(train.resolve("neg"))) {
                return Stream.of("neg", "pos", "unsup").map(train::resolve).filter(Files::isDirectory).toList();
            }
        }
        return List.of(source);
    }

    private static String text(String line, TextLines lines) {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw lines.error("malformed JSON: " + e.getOriginalMessage());
        }
        JsonNode text = node == null ? null : node.get("text");
        if (text == null || !text.isTextual()) {
            throw lines.error("expected a JSON object with a 'text' string");
        }
        String control = ControlCharacters.problem(text.asText(), "its 'text'");
        if (control != null) {
            throw lines.error(control);
        }
        return text.asText();
    }
}
