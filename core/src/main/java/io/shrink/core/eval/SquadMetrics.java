package io.shrink.core.eval;

import io.shrink.core.data.SquadDataset;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * SQuAD v1.1 exact match and F1 as the official {@code evaluate-v1.1.py} defines them (Rajpurkar et al. 2016):
 * both strings are normalised (lower-case, ASCII punctuation removed, the whole words a/an/the removed, whitespace
 * collapsed); EM is 1 when they are equal; F1 compares the multisets of whitespace tokens; each question takes the
 * maximum over its gold answers; the data-set score is the mean over all questions ×100, an unanswered
 * ({@code null}) prediction scoring 0.
 */
public final class SquadMetrics {
    /** Python's {@code string.punctuation}. */
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    /** Python's {@code re.sub(r'\b(a|an|the)\b', ' ', s)} on a str: word boundaries are Unicode-aware. */
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);

    private SquadMetrics() {
    }

    /** Exact match ×100 per question: 100 when the normalised prediction equals a normalised gold answer. */
    public static final PerExampleMetric<String, List<String>> EXACT_MATCH = new Squad("squad_em", false);
    /** Token F1 ×100 per question, the maximum over the gold answers. */
    public static final PerExampleMetric<String, List<String>> F1 = new Squad("squad_f1", true);

    private record Squad(String name, boolean tokenF1) implements PerExampleMetric<String, List<String>> {
        @Override
        public boolean higherIsBetter() {
            return true;
        }

        @Override
        public double[] perExample(List<? extends String> predictions, List<? extends List<String>> references) {
            Metric.checkSameSize(predictions, references);
            double[] out = new double[predictions.size()];
            for (int i = 0; i < out.length; i++) {
                String p = predictions.get(i);
                List<String> golds = references.get(i);
                out[i] = p == null ? 0 : 100 * (tokenF1 ? SquadMetrics.f1(p, golds) : exactMatch(p, golds));
            }
            return out;
        }
    }

    /**
     * The scores of a predictions file against a data set.
     *
     * @param exactMatch  mean exact match ×100 over all questions
     * @param f1          mean F1 ×100 over all questions
     * @param questionIds the question ids, in data-set order
     * @param emPerQuestion exact match ×100 of each question, in the same order
     * @param f1PerQuestion F1 ×100 of each question, in the same order
     * @param unanswered  questions with no prediction (each scored 0)
     */
    public record Scores(double exactMatch, double f1, List<String> questionIds, double[] emPerQuestion,
                         double[] f1PerQuestion, int unanswered) {
    }

    /** Scores {@code predictions} (question id to answer text, as in the official predictions JSON) on {@code questions}. */
    public static Scores evaluate(Map<String, String> predictions, List<SquadDataset.Question> questions) {
        List<String> ids = new ArrayList<>(questions.size());
        List<String> answers = new ArrayList<>(questions.size());
        List<List<String>> golds = new ArrayList<>(questions.size());
        int unanswered = 0;
        for (SquadDataset.Question q : questions) {
            ids.add(q.id());
            String p = predictions.get(q.id());
            unanswered += p == null ? 1 : 0;
            answers.add(p);
            golds.add(q.answerTexts());
        }
        double[] em = EXACT_MATCH.perExample(answers, golds);
        double[] f1 = F1.perExample(answers, golds);
        return new Scores(mean(em), mean(f1), List.copyOf(ids), em, f1, unanswered);
    }

    private static double mean(double[] xs) {
        return xs.length == 0 ? Double.NaN : Arrays.stream(xs).sum() / xs.length;
    }

    /** The official answer normalisation: lower-case, drop ASCII punctuation, drop a/an/the, collapse whitespace. */
    public static String normalize(String s) {
        String lower = s.toLowerCase(Locale.ROOT);
        StringBuilder noPunct = new StringBuilder(lower.length());
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            if (PUNCTUATION.indexOf(c) < 0) {
                noPunct.append(c);
            }
        }
        String noArticles = ARTICLES.matcher(noPunct).replaceAll(" ");
        return String.join(" ", tokens(noArticles));
    }

    /** 1 when the normalised prediction equals one of the normalised gold answers, else 0. */
    public static double exactMatch(String prediction, List<String> golds) {
        String p = normalize(prediction);
        for (String g : golds) {
            if (p.equals(normalize(g))) {
                return 1;
            }
        }
        return 0;
    }

    /** The best token F1 (in [0, 1]) of the prediction against any gold answer. */
    public static double f1(String prediction, List<String> golds) {
        List<String> p = tokens(normalize(prediction));
        double best = 0;
        for (String g : golds) {
            best = Math.max(best, f1(p, tokens(normalize(g))));
        }
        return best;
    }

    private static double f1(List<String> prediction, List<String> gold) {
        Map<String, Integer> counts = new HashMap<>();
        for (String t : gold) {
            counts.merge(t, 1, Integer::sum);
        }
        int same = 0;
        for (String t : prediction) {
            Integer c = counts.get(t);
            if (c != null && c > 0) {
                same++;
                counts.put(t, c - 1);
            }
        }
        if (same == 0) {
            return 0;
        }
        double precision = (double) same / prediction.size();
        double recall = (double) same / gold.size();
        return 2 * precision * recall / (precision + recall);
    }

    /** Splits on runs of whitespace as Python's {@code str.split()} does (Unicode spaces included). */
    static List<String> tokens(String s) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); i++) {
            if (isPythonSpace(s.charAt(i))) {
                if (start >= 0) {
                    out.add(s.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
        }
        if (start >= 0) {
            out.add(s.substring(start));
        }
        return out;
    }

    private static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }
}
