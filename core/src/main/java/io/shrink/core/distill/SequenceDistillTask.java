package io.shrink.core.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.shrink.core.model.Encoder;
import io.shrink.core.task.BucketedTraining;
import io.shrink.core.task.Features;
import io.shrink.core.task.SequenceData;
import io.shrink.core.task.SequenceEvaluator;
import io.shrink.core.task.SequenceTraining;
import io.shrink.core.task.TaskScores;
import io.shrink.core.train.Losses;
import io.shrink.core.train.Trainer;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Task-specific distillation on a sequence task (GLUE, IMDb): the student learns from the teacher's
 * softened outputs (read from the {@link TeacherCache}) and the gold labels, plus any state losses, for
 * which the teacher runs alongside without gradients.
 */
final class SequenceDistillTask extends BucketedTraining<Features.Feature> {
    private final SequenceData data;
    private final Map<String, List<Features.Feature>> eval;
    private final LossWeights w;
    private final float[][] teacherTargets;
    private final Encoder teacher;
    private final StateLosses states;

    /**
     * @param teacherTargets per training example: the teacher's tempered distribution, or its score for
     *                       regression (null when the soft-target weight is 0)
     * @param teacher        the teacher, needed only for state losses (else null)
     */
    SequenceDistillTask(SequenceData data, List<Features.Feature> train, Map<String, List<Features.Feature>> eval,
                        int batchSize, long seed, LossWeights w, float[][] teacherTargets, Encoder teacher,
                        List<int[]> layerMap) {
        super(train, f -> f.ids().length, batchSize, seed);
        this.data = data;
        this.eval = eval;
        this.w = w;
        this.teacherTargets = teacherTargets;
        this.teacher = teacher;
        this.states = new StateLosses(w, layerMap);
    }

    @Override
    public NDArray loss(Encoder student, List<Features.Feature> batch, NDManager step) {
        NDArray[] in = Features.arrays(batch, step); // ids, types, mask: (b, s)
        int b = batch.size();
        Encoder.Output so = student.forward(in[0], in[1], in[2], true, states.keepHidden(), states.keepAttention());
        NDArray out = student.classify(so.lastHidden(), true); // (b, labels) or (b, 1)
        NDArray total = step.zeros(new Shape(), DataType.FLOAT32);
        if (w.ce() > 0) {
            int width = teacherTargets[batch.get(0).example()].length;
            float[] t = new float[b * width];
            for (int i = 0; i < b; i++) {
                System.arraycopy(teacherTargets[batch.get(i).example()], 0, t, i * width, width);
            }
            NDArray target = step.create(t, new Shape(b, width)); // (b, labels) probabilities, or (b, 1) scores
            NDArray soft = data.regression() ? Losses.meanSquaredError(out, target.reshape(b))
                    : DistillLosses.softCrossEntropy(out, target, w.temperature());
            total = total.add(states.term(LossWeights.softTermName(data.regression()), soft, w.ce()));
        }
        if (w.hard() > 0) {
            NDArray hard = SequenceTraining.goldLoss(data, out, batch, step);
            total = total.add(states.term("hard", hard, w.hard()));
        }
        if (w.needsTeacherStates()) {
            Encoder.Output to = states.teacherPass(teacher, in[0], in[1], in[2], step, null).states();
            int[] lengths = batch.stream().mapToInt(f -> f.ids().length).toArray();
            long[] real = DistillLosses.realPositions(lengths, (int) in[0].getShape().get(1));
            total = states.add(total, student, so, to, real, in[2]);
        }
        return total;
    }

    @Override
    public Trainer.Evaluation evaluate(Encoder student) {
        Map<String, double[]> predictions = SequenceEvaluator.predictAll(student, data, eval);
        TaskScores o = SequenceEvaluator.score(data, predictions, 0, 0);
        Map<String, Double> metrics = new TreeMap<>(o.values());
        metrics.put("score", o.score());
        return new Trainer.Evaluation(o.score(), true, metrics, predictions);
    }

    @Override
    public String status() {
        return states.status();
    }

    @Override
    public String lossTerms() {
        return states.lastTerms();
    }
}
