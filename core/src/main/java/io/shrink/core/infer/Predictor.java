package io.shrink.core.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.engine.Engine;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Encoder;
import io.shrink.core.tokenize.Encoding;
import io.shrink.core.tokenize.WordPieceTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a model on text and says what it computes, by head: fill-mask top-k for MLM models, label
 * probabilities for classifiers, the score for regression, the best span for QA (question and context
 * separated by {@code |||}), and a mean-pooled embedding for a bare encoder. Inference only: the encoder runs
 * on the {@link FastEncoder} path (no autograd); the heads are DJL ops on its hidden states.
 */
public final class Predictor implements AutoCloseable {
    /** Separates the two texts of a pair (or question and context) in one input string. */
    public static final String PAIR_SEPARATOR = "|||";
    private static final String MASK = "[MASK]";
    private static final int MAX_ANSWER_TOKENS = 30;

    private final NDManager manager;
    private final Encoder encoder;
    private final FastEncoder fast;
    private final WordPieceTokenizer tokenizer;

    /** Loads a checkpoint for inference. */
    public Predictor(Checkpoint ckpt) {
        this.manager = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(), "PyTorch");
        this.encoder = Encoder.load(ckpt, manager);
        this.fast = FastEncoder.of(encoder, manager);
        this.tokenizer = new WordPieceTokenizer(ckpt.tokenizer());
    }

    /** Predicts for one input; {@code topK} applies to fill-mask. */
    public Prediction predict(String input, int topK) {
        try (NDManager step = manager.newSubManager()) {
            return switch (encoder.head().type()) {
                case "mlm" -> fillMask(step, input, topK);
                case "classification", "regression" -> classify(step, input);
                case "qa" -> answer(step, input);
                default -> embed(step, input);
            };
        }
    }

    private Prediction fillMask(NDManager m, String input, int topK) {
        if (!input.contains(MASK)) {
            throw ShrinkException.usage("a masked-LM model needs " + MASK + " in the text, e.g. 'Paris is the [MASK] of France.'");
        }
        List<Integer> ids = new ArrayList<>();
        List<Integer> maskPositions = new ArrayList<>();
        ids.add(tokenizer.clsId());
        String[] parts = input.split(java.util.regex.Pattern.quote(MASK), -1);
        for (int p = 0; p < parts.length; p++) {
            for (String piece : tokenizer.tokenize(parts[p])) {
                ids.add(tokenizer.tokenId(piece));
            }
            if (p < parts.length - 1) {
                maskPositions.add(ids.size());
                ids.add(tokenizer.maskId());
            }
        }
        ids.add(tokenizer.sepId());
        checkLength(ids.size());
        NDArray idArray = m.create(ids.stream().mapToLong(Integer::longValue).toArray(), new Shape(1, ids.size()));
        NDArray hidden = fast.forward(idArray, null, null); // (1, seq, hidden)
        NDArray pos = m.create(maskPositions.stream().mapToLong(Integer::longValue).toArray());
        NDArray atMasks = hidden.get(new NDIndex("0")).get(pos); // (masks, hidden)
        NDArray probs = encoder.mlmLogits(atMasks).softmax(-1); // (masks, vocab)
        NDList top = probs.topK(Math.max(1, topK), -1);
        float[] scores = top.get(0).toFloatArray();
        long[] idx = top.get(1).toType(DataType.INT64, false).toLongArray();
        int k = (int) top.get(0).getShape().get(1);
        List<List<Prediction.Candidate>> masks = new ArrayList<>();
        for (int i = 0; i < maskPositions.size(); i++) {
            List<Prediction.Candidate> cands = new ArrayList<>();
            for (int j = 0; j < k; j++) {
                cands.add(new Prediction.Candidate(tokenizer.token((int) idx[i * k + j]), scores[i * k + j]));
            }
            masks.add(cands);
        }
        return new Prediction(input, "fill-mask", masks, null, null, null, null);
    }

    private Prediction classify(NDManager m, String input) {
        String[] pair = splitPair(input);
        Encoding enc = tokenizer.encode(pair[0], pair[1], encoder.config().maxPositions(),
                WordPieceTokenizer.Truncation.LONGEST_FIRST);
        NDArray out = encoder.classify(run(m, enc), false); // (1, labels)
        List<String> names = encoder.head().labels();
        if (encoder.head().type().equals("regression")) {
            return new Prediction(input, "regression", null, null, (double) out.toFloatArray()[0], null, null);
        }
        float[] p = out.softmax(-1).toFloatArray();
        List<Prediction.Candidate> labels = new ArrayList<>();
        for (int i = 0; i < p.length; i++) {
            labels.add(new Prediction.Candidate(i < names.size() ? names.get(i) : "LABEL_" + i, p[i]));
        }
        labels.sort((a, b) -> Double.compare(b.score(), a.score()));
        return new Prediction(input, "classification", null, labels, null, null, null);
    }

    private Prediction answer(NDManager m, String input) {
        String[] pair = splitPair(input);
        if (pair[1] == null) {
            throw ShrinkException.usage("a QA model needs 'question " + PAIR_SEPARATOR + " context'");
        }
        Encoding enc = tokenizer.encode(pair[0], pair[1], encoder.config().maxPositions(),
                WordPieceTokenizer.Truncation.ONLY_SECOND);
        NDList logits = encoder.qaLogits(run(m, enc));
        float[] start = logits.get(0).toFloatArray();
        float[] end = logits.get(1).toFloatArray();
        int bestS = -1;
        int bestE = -1;
        double best = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < start.length; s++) {
            if (enc.sequenceIds()[s] != 1) {
                continue;
            }
            for (int e = s; e < Math.min(end.length, s + MAX_ANSWER_TOKENS); e++) {
                if (enc.sequenceIds()[e] != 1) {
                    break;
                }
                double score = start[s] + end[e];
                if (score > best) {
                    best = score;
                    bestS = s;
                    bestE = e;
                }
            }
        }
        if (bestS < 0) {
            throw ShrinkException.usage("the context is empty after truncation");
        }
        int cs = enc.starts()[bestS];
        int ce = enc.ends()[bestE];
        return new Prediction(input, "qa", null, null, null,
                new Prediction.Answer(pair[1].substring(cs, ce), cs, ce, best), null);
    }

    private Prediction embed(NDManager m, String input) {
        String[] pair = splitPair(input);
        Encoding enc = tokenizer.encode(pair[0], pair[1], encoder.config().maxPositions(),
                WordPieceTokenizer.Truncation.LONGEST_FIRST);
        NDArray hidden = run(m, enc).get(new NDIndex("0")); // (seq, hidden)
        NDArray mean = hidden.mean(new int[] {0}); // (hidden)
        NDArray unit = mean.div(mean.norm()); // (hidden)
        float[] v = unit.toFloatArray();
        List<Double> head = new ArrayList<>();
        for (int i = 0; i < Math.min(8, v.length); i++) {
            head.add((double) v[i]);
        }
        return new Prediction(input, "encode", null, null, null, null, new Prediction.Embedding(v.length, head));
    }

    /** Runs the encoder on one encoding; returns (1, seq, hidden). */
    private NDArray run(NDManager m, Encoding enc) {
        checkLength(enc.ids().length);
        NDArray ids = m.create(toLong(enc.ids()), new Shape(1, enc.ids().length));
        NDArray types = m.create(toLong(enc.typeIds()), new Shape(1, enc.ids().length));
        return fast.forward(ids, types, null);
    }

    private void checkLength(int n) {
        if (n > encoder.config().maxPositions()) {
            throw ShrinkException.usage("input is " + n + " tokens; this model takes at most "
                    + encoder.config().maxPositions());
        }
    }

    private static long[] toLong(int[] a) {
        return Arrays.stream(a).asLongStream().toArray();
    }

    private static String[] splitPair(String input) {
        int i = input.indexOf(PAIR_SEPARATOR);
        if (i < 0) {
            return new String[] {input, null};
        }
        return new String[] {input.substring(0, i).strip(), input.substring(i + PAIR_SEPARATOR.length()).strip()};
    }

    @Override
    public void close() {
        fast.close();
        encoder.close();
        manager.close();
    }
}
