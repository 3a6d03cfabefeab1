package io.shrink.core.data;

import io.shrink.core.ShrinkException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What shrink knows about one GLUE task (Wang et al. 2018, "GLUE: A Multi-Task Benchmark and Analysis Platform
 * for Natural Language Understanding"): its directory, splits and file layout, its labels or regression target,
 * and the metrics the GLUE leaderboard reports for it. The tasks themselves are listed in {@link #ALL};
 * {@link #of(String)} finds one by name.
 *
 * @param name      the short lower-case name, e.g. {@code sst2}
 * @param dirName   the directory under the GLUE root, e.g. {@code SST-2}
 * @param splits    the splits and their files, training first
 * @param layout    where the texts, label and id are in each row
 * @param labels    the label strings as they appear in the files, in class-index order; empty for regression
 * @param metrics   the names of the metrics the leaderboard reports (keys of {@code io.shrink.core.eval.Metrics})
 */
public record GlueTask(String name, String dirName, List<Split> splits, Layout layout, List<String> labels,
                       List<String> metrics) {

    /**
     * One split of a task.
     *
     * @param name     the split name, e.g. {@code dev_matched}
     * @param fileName the file name in the task directory
     * @param header   whether the file starts with a header row (false only for CoLA train/dev)
     * @param eval     whether this is an evaluation split (the labelled dev files)
     */
    public record Split(String name, String fileName, boolean header, boolean eval) {
    }

    /**
     * Where a row's fields are. Files with a header are read by column name; headerless files (CoLA train/dev)
     * by position, with {@link #headerlessColumns} columns.
     *
     * @param textA             column name of the first text
     * @param textB             column name of the second text, or null for single-text tasks
     * @param label             column name of the label or score (absent from unlabelled test files)
     * @param id                column name of the id, or null where rows have none
     * @param headerlessColumns number of columns of a headerless file, or 0 when the task has none
     * @param headerlessTextA   position of the text in a headerless file
     * @param headerlessLabel   position of the label in a headerless file
     */
    public record Layout(String textA, String textB, String label, String id, int headerlessColumns,
                         int headerlessTextA, int headerlessLabel) {
        static Layout single(String text, String label, String id) {
            return new Layout(text, null, label, id, 0, -1, -1);
        }

        static Layout pair(String textA, String textB, String label, String id) {
            return new Layout(textA, textB, label, id, 0, -1, -1);
        }
    }

    private static List<Split> standardSplits() {
        return List.of(new Split("train", "train.tsv", true, false), new Split("dev", "dev.tsv", true, true),
                new Split("test", "test.tsv", true, false));
    }

    /** CoLA: single sentences, acceptable or not; Matthews correlation. Train/dev have no header. */
    public static final GlueTask COLA = new GlueTask("cola", "CoLA",
            List.of(new Split("train", "train.tsv", false, false), new Split("dev", "dev.tsv", false, true),
                    new Split("test", "test.tsv", true, false)),
            new Layout("sentence", null, "label", "index", 4, 3, 1), List.of("0", "1"), List.of("mcc"));
    /** SST-2: single sentences, sentiment; accuracy. */
    public static final GlueTask SST2 = new GlueTask("sst2", "SST-2", standardSplits(),
            Layout.single("sentence", "label", "index"), List.of("0", "1"), List.of("accuracy"));
    /** MRPC: sentence pairs, paraphrase or not; F1 of class 1 and accuracy. The header starts with a BOM. */
    public static final GlueTask MRPC = new GlueTask("mrpc", "MRPC", standardSplits(),
            Layout.pair("#1 String", "#2 String", "Quality", "index"), List.of("0", "1"), List.of("f1", "accuracy"));
    /** STS-B: sentence pairs, similarity score in [0, 5]; Pearson and Spearman correlation. */
    public static final GlueTask STSB = new GlueTask("stsb", "STS-B", standardSplits(),
            Layout.pair("sentence1", "sentence2", "score", "index"), List.of(), List.of("pearson", "spearman"));
    /** QQP: question pairs, duplicate or not; F1 of class 1 and accuracy. */
    public static final GlueTask QQP = new GlueTask("qqp", "QQP", standardSplits(),
            Layout.pair("question1", "question2", "is_duplicate", "id"), List.of("0", "1"), List.of("f1", "accuracy"));
    /** MNLI: premise/hypothesis, three classes; accuracy on the matched and on the mismatched dev set. */
    public static final GlueTask MNLI = new GlueTask("mnli", "MNLI",
            List.of(new Split("train", "train.tsv", true, false),
                    new Split("dev_matched", "dev_matched.tsv", true, true),
                    new Split("dev_mismatched", "dev_mismatched.tsv", true, true),
                    new Split("test_matched", "test_matched.tsv", true, false),
                    new Split("test_mismatched", "test_mismatched.tsv", true, false)),
            Layout.pair("sentence1", "sentence2", "gold_label", "index"),
            List.of("entailment", "neutral", "contradiction"), List.of("accuracy"));
    /** QNLI: question/sentence, does the sentence answer it; accuracy. */
    public static final GlueTask QNLI = new GlueTask("qnli", "QNLI", standardSplits(),
            Layout.pair("question", "sentence", "label", "index"), List.of("entailment", "not_entailment"),
            List.of("accuracy"));
    /** RTE: sentence pairs, entailment or not; accuracy. */
    public static final GlueTask RTE = new GlueTask("rte", "RTE", standardSplits(),
            Layout.pair("sentence1", "sentence2", "label", "index"), List.of("entailment", "not_entailment"),
            List.of("accuracy"));
    /** WNLI: sentence pairs, labels 0/1 (1 = entailment); accuracy. */
    public static final GlueTask WNLI = new GlueTask("wnli", "WNLI", standardSplits(),
            Layout.pair("sentence1", "sentence2", "label", "index"), List.of("0", "1"), List.of("accuracy"));

    /** Every task, in the order of the GLUE paper's table. */
    public static final List<GlueTask> ALL = List.of(COLA, SST2, MRPC, STSB, QQP, MNLI, QNLI, RTE, WNLI);

    private static final Map<String, GlueTask> BY_NAME = index();

    private static Map<String, GlueTask> index() {
        Map<String, GlueTask> map = new LinkedHashMap<>();
        for (GlueTask task : ALL) {
            map.put(key(task.name), task);
            map.put(key(task.dirName), task);
        }
        return Map.copyOf(map);
    }

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT).replace("-", "");
    }

    /** The task called {@code name} (e.g. {@code sst2}) or by its directory name (e.g. {@code SST-2}), any case. */
    public static Optional<GlueTask> find(String name) {
        return Optional.ofNullable(BY_NAME.get(key(name)));
    }

    /** Like {@link #find(String)}, but a usage error listing the known tasks when there is none. */
    public static GlueTask of(String name) {
        return find(name).orElseThrow(() -> ShrinkException.usage("unknown GLUE task '" + name + "'; known: "
                + String.join(", ", ALL.stream().map(GlueTask::name).toList())));
    }

    /** Whether the task is a regression (STS-B) rather than a classification. */
    public boolean regression() {
        return labels.isEmpty();
    }

    /** Whether each example is a pair of texts. */
    public boolean pair() {
        return layout.textB() != null;
    }

    /** The number of classes, or 1 for regression (the size of the output layer). */
    public int numOutputs() {
        return regression() ? 1 : labels.size();
    }

    /** The split called {@code name}, or a usage error listing the task's splits. */
    public Split split(String name) {
        return splits.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> ShrinkException.usage("GLUE task " + this.name + " has no split '" + name
                        + "'; its splits: " + String.join(", ", splits.stream().map(Split::name).toList())));
    }

    /** The labelled splits evaluated by default: {@code dev}, or MNLI's {@code dev_matched} and {@code dev_mismatched}. */
    public List<Split> evalSplits() {
        return splits.stream().filter(Split::eval).toList();
    }

    /**
     * The key a metric is reported under for an evaluation split: the metric name, suffixed by what follows
     * {@code dev_} when the task has several evaluation splits (MNLI: {@code accuracy_matched},
     * {@code accuracy_mismatched}).
     */
    public String resultKey(String metric, Split split) {
        return evalSplits().size() > 1 ? metric + "_" + split.name().replaceFirst("^dev_", "") : metric;
    }

    /** Every result key the leaderboard reports for this task ({@link #resultKey} over metrics and eval splits). */
    public List<String> resultKeys() {
        return evalSplits().stream().flatMap(s -> metrics.stream().map(m -> resultKey(m, s))).toList();
    }
}
