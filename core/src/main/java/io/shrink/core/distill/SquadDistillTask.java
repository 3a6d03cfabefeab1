package io.shrink.core.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.shrink.core.data.SquadDataset;
import io.shrink.core.infer.FastEncoder;
import io.shrink.core.model.Encoder;
import io.shrink.core.task.BucketedTraining;
import io.shrink.core.task.SquadFeatures;
import io.shrink.core.task.SquadTraining;
import io.shrink.core.train.PassProgress;
import io.shrink.core.train.Progress;
import io.shrink.core.train.Trainer;

import java.util.List;

/**
 * Task-specific distillation on SQuAD (as DistilBERT's SQuAD student was trained): the student learns the
 * teacher's softened start and end distributions over each window (read from the {@link TeacherCache}) and
 * the gold answer positions, plus any state losses.
 */
final class SquadDistillTask extends BucketedTraining<SquadFeatures.Window> {
    /** Windows per batch of the teacher's pass over the training set (inference only, so independent of training). */
    private static final int TEACHER_BATCH = 16;
    private final List<SquadDataset.Question> evalQuestions;
    private final List<SquadFeatures.Window> eval;
    private final LossWeights w;
    private final float[][] teacherSpans;
    private final int width;
    private final Encoder teacher;
    private final StateLosses states;
    /** Each training window's row in {@code teacherSpans}, looked up by identity. */
    private final java.util.IdentityHashMap<SquadFeatures.Window, Integer> positions = new java.util.IdentityHashMap<>();

    /**
     * @param teacherSpans per training window: tempered start probabilities then end probabilities, each padded
     *                     with zeros to {@code width} (null when the soft-target weight is 0)
     * @param width        the padded length of each half (the maximum window length)
     * @param teacher      the teacher, needed only for state losses (else null)
     */
    SquadDistillTask(List<SquadFeatures.Window> train, List<SquadDataset.Question> evalQuestions,
                     List<SquadFeatures.Window> eval, int batchSize, long seed, LossWeights w, float[][] teacherSpans,
                     int width, Encoder teacher, List<int[]> layerMap) {
        super(train, x -> x.ids().length, batchSize, seed);
        this.evalQuestions = evalQuestions;
        this.eval = eval;
        this.w = w;
        this.teacherSpans = teacherSpans;
        this.width = width;
        this.teacher = teacher;
        this.states = new StateLosses(w, layerMap);
        for (int i = 0; i < train.size(); i++) {
            positions.put(train.get(i), i);
        }
    }

    @Override
    public NDArray loss(Encoder student, List<SquadFeatures.Window> batch, NDManager step) {
        NDArray[] in = SquadFeatures.arrays(batch, step); // ids, types, mask: (b, s)
        int b = batch.size();
        int len = (int) in[0].getShape().get(1);
        Encoder.Output so = student.forward(in[0], in[1], in[2], true, states.keepHidden(), states.keepAttention());
        NDList logits = student.qaLogits(so.lastHidden()); // 2 x (b, s)
        NDArray total = step.zeros(new Shape(), DataType.FLOAT32);
        if (w.ce() > 0) {
            float[] ts = new float[b * len];
            float[] te = new float[b * len];
            for (int i = 0; i < b; i++) {
                float[] row = teacherSpans[index(batch.get(i))];
                System.arraycopy(row, 0, ts, i * len, len);
                System.arraycopy(row, width, te, i * len, len);
            }
            NDArray soft = DistillLosses.spanSoftCrossEntropy(logits.get(0), logits.get(1),
                    step.create(ts, new Shape(b, len)), step.create(te, new Shape(b, len)), in[2], w.temperature());
            total = total.add(states.term("ce", soft, w.ce()));
        }
        if (w.hard() > 0) {
            NDArray hard = SquadTraining.spanLoss(logits, batch, step);
            total = total.add(states.term("hard", hard, w.hard()));
        }
        if (w.needsTeacherStates()) {
            Encoder.Output to = states.teacherPass(teacher, in[0], in[1], in[2], step, null).states();
            int[] lengths = batch.stream().mapToInt(x -> x.ids().length).toArray();
            total = states.add(total, student, so, to, DistillLosses.realPositions(lengths, len), in[2]);
        }
        return total;
    }

    private int index(SquadFeatures.Window x) {
        return positions.get(x);
    }

    @Override
    public Trainer.Evaluation evaluate(Encoder student) {
        return SquadTraining.periodicEvaluation(student, evalQuestions, eval);
    }

    @Override
    public String status() {
        return states.status();
    }

    @Override
    public String lossTerms() {
        return states.lastTerms();
    }

    /**
     * The teacher's tempered start and end distributions for every window, on the fast inference path.
     *
     * @return per window: start probabilities then end probabilities, each zero-padded to {@code width}
     */
    static float[][] teacherSpans(Encoder teacher, List<SquadFeatures.Window> windows, int width, double temperature,
                                  Progress progress) {
        float[][] out = new float[windows.size()][];
        PassProgress pass = new PassProgress(progress, "teacher", windows.size(), (windows.size() + TEACHER_BATCH - 1) / TEACHER_BATCH);
        NDManager base = teacher.parameters().values().iterator().next().getManager();
        try (NDManager fm = base.newSubManager(); FastEncoder fast = FastEncoder.of(teacher, fm)) {
            for (int from = 0; from < windows.size(); from += TEACHER_BATCH) {
                List<SquadFeatures.Window> batch = windows.subList(from, Math.min(windows.size(), from + TEACHER_BATCH));
                try (NDManager m = base.newSubManager()) {
                    NDArray[] in = SquadFeatures.arrays(batch, m);
                    NDList logits = teacher.qaLogits(fast.forward(in[0], in[1], in[2])); // 2 x (b, s)
                    int len = (int) in[0].getShape().get(1);
                    float[] ps = DistillLosses.maskedTemperedProbabilities(logits.get(0), in[2], temperature).toFloatArray();
                    float[] pe = DistillLosses.maskedTemperedProbabilities(logits.get(1), in[2], temperature).toFloatArray();
                    for (int i = 0; i < batch.size(); i++) {
                        float[] row = new float[2 * width];
                        System.arraycopy(ps, i * len, row, 0, len);
                        System.arraycopy(pe, i * len, row, width, len);
                        out[from + i] = row;
                    }
                }
                pass.batchDone(batch.size());
            }
        }
        return out;
    }
}
