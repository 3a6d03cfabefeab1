package io.shrink.core.task;

import io.shrink.core.data.DataDirs;
import io.shrink.core.eval.SquadMetrics;
import io.shrink.core.model.HeadConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * SQuAD v1.1 (Rajpurkar et al. 2016): extractive question answering, scored by exact match and F1 (x100) of the
 * best span against every gold answer. Contexts are split into overlapping windows of 384 tokens by default.
 */
public final class SquadV1Task implements Task {
    /** The task's name. */
    public static final String NAME = "squad";
    private static final TaskInfo INFO = new TaskInfo(NAME, 1, TaskKind.EXTRACTIVE_QA, DataDirs.Kind.SQUAD, 384);

    @Override
    public TaskInfo info() {
        return INFO;
    }

    @Override
    public HeadConfig head(String pooling) {
        return new HeadConfig("qa", null, List.of());
    }

    @Override
    public boolean accepts(HeadConfig head) {
        return head.type().equals("qa");
    }

    @Override
    public TaskData load(DataOptions data, long seed, boolean withTrain) {
        SquadSplit s = SquadSplit.load(data.dir(), data.trainArticles(), data.evalArticles(), withTrain);
        return new QaTaskData(this, new SquadSplit(Sampling.take(s.train(), data.maxTrainExamples(), seed),
                Sampling.take(s.eval(), data.maxEvalExamples(), seed), s.files()), data.evalArticles());
    }

    @Override
    public Map<String, Object> recordedOptions(DataOptions data, FeatureOptions features) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("docStride", features.docStride());
        o.put("maxQueryLength", features.maxQueryLength());
        o.put("trainArticles", data.trainArticles());
        o.put("evalArticles", data.evalArticles());
        return o;
    }

    @Override
    public List<PredictionMetric<?, ?>> predictionMetrics() {
        Function<com.fasterxml.jackson.databind.JsonNode, String> text = com.fasterxml.jackson.databind.JsonNode::asText;
        Function<com.fasterxml.jackson.databind.JsonNode, List<String>> answers = g -> {
            List<String> l = new ArrayList<>();
            g.forEach(x -> l.add(x.asText()));
            return l;
        };
        return List.of(new PredictionMetric<>("exact_match", SquadMetrics.EXACT_MATCH, text, answers),
                new PredictionMetric<>("f1", SquadMetrics.F1, text, answers));
    }
}
