package io.shrink.core.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.shrink.core.data.SquadDataset;
import io.shrink.core.tokenize.Encoding;
import io.shrink.core.tokenize.WordPieceTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Extractive QA inputs as BERT's SQuAD recipe builds them (Devlin et al. 2019): {@code [CLS] question [SEP]
 * context-window [SEP]}, the question cut to {@code maxQuery} tokens, the context split into windows of at
 * most {@code maxLength} tokens in all that overlap by {@code stride} tokens. A training window whose
 * context does not contain the whole answer points both positions at [CLS].
 */
public final class SquadFeatures {
    private SquadFeatures() {
    }

    /**
     * One window.
     *
     * @param ids        token ids
     * @param types      token types (0 question, 1 context)
     * @param question   index of the question in its list
     * @param charStarts per token, start offset into the context (-1 outside the context)
     * @param charEnds   per token, end offset into the context (-1 outside the context)
     * @param start      answer start token (0 = [CLS]: not in this window); -1 when unlabelled
     * @param end        answer end token
     */
    public record Window(int[] ids, int[] types, int question, int[] charStarts, int[] charEnds, int start, int end) {
    }

    /** Windows for every question. */
    public static List<Window> encode(WordPieceTokenizer tok, List<SquadDataset.Question> questions, int maxLength,
                                      int stride, int maxQuery, boolean withAnswers) {
        List<Window> out = new ArrayList<>();
        for (int qi = 0; qi < questions.size(); qi++) {
            SquadDataset.Question q = questions.get(qi);
            List<String> qPieces = tok.tokenize(q.question());
            if (qPieces.size() > maxQuery) {
                qPieces = qPieces.subList(0, maxQuery);
            }
            Encoding ctx = tok.encode(q.context());
            int n = ctx.length() - 2; // without [CLS]/[SEP]
            int budget = maxLength - qPieces.size() - 3;
            int answerStartTok = -1;
            int answerEndTok = -1;
            if (withAnswers && !q.answers().isEmpty()) {
                SquadDataset.Answer a = q.answers().get(0);
                for (int t = 0; t < n; t++) {
                    if (answerStartTok < 0 && ctx.ends()[t + 1] > a.start()) {
                        answerStartTok = t;
                    }
                    if (ctx.starts()[t + 1] < a.end()) {
                        answerEndTok = t;
                    }
                }
            }
            for (int from = 0; ; from += Math.max(1, budget - stride)) {
                int to = Math.min(n, from + budget);
                int len = qPieces.size() + 3 + (to - from);
                int[] ids = new int[len];
                int[] types = new int[len];
                int[] cs = new int[len];
                int[] ce = new int[len];
                Arrays.fill(cs, -1);
                Arrays.fill(ce, -1);
                int p = 0;
                ids[p++] = tok.clsId();
                for (String piece : qPieces) {
                    ids[p++] = tok.tokenId(piece);
                }
                ids[p++] = tok.sepId();
                int offset = p;
                for (int t = from; t < to; t++) {
                    ids[p] = ctx.ids()[t + 1];
                    types[p] = 1;
                    cs[p] = ctx.starts()[t + 1];
                    ce[p] = ctx.ends()[t + 1];
                    p++;
                }
                ids[p] = tok.sepId();
                types[p] = 1;
                int s = -1;
                int e = -1;
                if (withAnswers) {
                    boolean inside = answerStartTok >= from && answerEndTok < to && answerStartTok >= 0;
                    s = inside ? answerStartTok - from + offset : 0;
                    e = inside ? answerEndTok - from + offset : 0;
                }
                out.add(new Window(ids, types, qi, cs, ce, s, e));
                if (to >= n) {
                    break;
                }
            }
        }
        return out;
    }

    /** A padded batch: ids, types, mask, each (batch, longest). */
    public static NDArray[] arrays(List<Window> batch, NDManager m) {
        return Features.padded(batch.stream().map(Window::ids).toList(), batch.stream().map(Window::types).toList(), m);
    }
}
