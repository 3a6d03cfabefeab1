package io.shrink.core.data;

import java.nio.file.Path;
import java.util.List;

/**
 * A SQuAD v1.1 data set (Rajpurkar et al. 2016, "SQuAD: 100,000+ Questions for Machine Comprehension of Text"),
 * or a contiguous range of its articles, as {@link SquadReader} reads it.
 *
 * @param file     the JSON file it was read from
 * @param version  the file's {@code version} field, or null
 * @param articles the articles, each knowing its index in the whole file
 */
public record SquadDataset(Path file, String version, List<Article> articles) {

    /**
     * One article (a Wikipedia page).
     *
     * @param index      0-based index of the article in the file
     * @param title      the page title
     * @param paragraphs its paragraphs
     */
    public record Article(int index, String title, List<Paragraph> paragraphs) {
    }

    /**
     * One paragraph and the questions about it.
     *
     * @param context   the paragraph text
     * @param questions the questions about it
     */
    public record Paragraph(String context, List<Question> questions) {
    }

    /**
     * One question with its gold answers.
     *
     * @param id           the question id (the key of the official predictions file)
     * @param question     the question text
     * @param context      the paragraph it is about
     * @param answers      the gold answers (usually three, possibly repeated)
     * @param articleIndex index of its article in the file
     */
    public record Question(String id, String question, String context, List<Answer> answers, int articleIndex) {
        /** The gold answer texts, in file order, for the metrics. */
        public List<String> answerTexts() {
            return answers.stream().map(Answer::text).toList();
        }
    }

    /**
     * A gold answer span. The file counts {@code answer_start} in Unicode code points (Python string indexes);
     * {@link #start} and {@link #end} are converted to UTF-16 indexes into the context, as Java strings and
     * {@code io.shrink.core.tokenize.Encoding}'s character offsets use them.
     *
     * @param text  the answer text, equal to {@code context.substring(start, end)}
     * @param start UTF-16 index of the first character in the context
     * @param end   UTF-16 index just past the last character
     */
    public record Answer(String text, int start, int end) {
    }

    /** Every question of the selected articles, in file order. */
    public List<Question> questions() {
        return articles.stream().flatMap(a -> a.paragraphs().stream()).flatMap(p -> p.questions().stream()).toList();
    }

    /** The number of questions. */
    public int questionCount() {
        return articles.stream().flatMap(a -> a.paragraphs().stream()).mapToInt(p -> p.questions().size()).sum();
    }
}
