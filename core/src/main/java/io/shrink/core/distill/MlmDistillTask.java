package io.shrink.core.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.shrink.core.model.Encoder;
import io.shrink.core.task.Features;
import io.shrink.core.train.Losses;
import io.shrink.core.train.Trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * General distillation on raw text (DistilBERT's pre-training phase): each batch of corpus chunks is
 * corrupted as BERT's masked-LM does; student and teacher read the same corrupted input; the student learns
 * from the teacher's softened MLM distributions, the masked-LM loss on the real tokens and the state
 * losses. The corruption of a batch is seeded by (seed, epoch, batch), so a resumed run sees the same masks.
 * Evaluation is the student's masked-LM loss and accuracy on held-out chunks with fixed masks.
 */
final class MlmDistillTask implements Trainer.Task<MlmDistillTask.Batch> {
    /**
     * A batch of chunks and where it sits in the epoch (for its masking seed).
     *
     * @param epoch    the epoch
     * @param index    the batch's index in the epoch
     * @param features the chunks
     */
    record Batch(int epoch, int index, List<Features.Feature> features) {
    }

    /** Rows decoded over the vocabulary at a time by the soft-target loss: (512, 30522) floats are 60 MiB. */
    static final int DECODE_CHUNK = 512;

    private final List<Features.Feature> train;
    private final List<Features.Feature> eval;
    private final int batchSize;
    private final long seed;
    private final LossWeights w;
    private final Encoder teacher;
    private final MlmMasking masking;
    private final StateLosses states;

    MlmDistillTask(List<Features.Feature> train, List<Features.Feature> eval, int batchSize, long seed, LossWeights w,
                   Encoder teacher, MlmMasking masking, List<int[]> layerMap) {
        this.train = train;
        this.eval = eval;
        this.batchSize = batchSize;
        this.seed = seed;
        this.w = w;
        this.teacher = teacher;
        this.masking = masking;
        this.states = new StateLosses(w, layerMap);
    }

    @Override
    public List<Batch> batches(int epoch) {
        List<List<Features.Feature>> raw = Features.bucketedBatches(train, batchSize, seed, epoch);
        List<Batch> out = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            out.add(new Batch(epoch, i, raw.get(i)));
        }
        return out;
    }

    @Override
    public int size(Batch batch) {
        return batch.features().size();
    }

    /** The corrupted batch: arrays (ids, mask) plus flat positions and labels of the targets. */
    private record Corrupted(NDArray ids, NDArray mask, long[] real, long[] targets, long[] labels) {
    }

    private Corrupted corrupt(List<Features.Feature> batch, Random rnd, NDManager m) {
        int len = Features.longest(batch);
        long[] ids = new long[batch.size() * len];
        long[] mask = new long[batch.size() * len];
        List<Long> targets = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        int[] lengths = new int[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            MlmMasking.Masked mk = masking.apply(batch.get(i).ids(), rnd);
            lengths[i] = mk.ids().length;
            for (int j = 0; j < mk.ids().length; j++) {
                ids[i * len + j] = mk.ids()[j];
                mask[i * len + j] = 1;
            }
            for (int k = 0; k < mk.positions().length; k++) {
                targets.add((long) i * len + mk.positions()[k]);
                labels.add((long) mk.labels()[k]);
            }
        }
        Shape s = new Shape(batch.size(), len);
        return new Corrupted(m.create(ids, s), m.create(mask, s), DistillLosses.realPositions(lengths, len),
                targets.stream().mapToLong(Long::longValue).toArray(), labels.stream().mapToLong(Long::longValue).toArray());
    }

    @Override
    public NDArray loss(Encoder student, Batch batch, NDManager step) {
        // a seed stream apart from the batch shuffles' (seed * 1_000_003 + epoch)
        Random rnd = new Random((seed * 1_000_003L + batch.epoch() * 100_003L + batch.index()) ^ 0x6D4C4D5F6D61736BL);
        Corrupted c = corrupt(batch.features(), rnd, step);
        Encoder.Output so = student.forward(c.ids(), null, c.mask(), true, states.keepHidden(), states.keepAttention());
        long[] at = w.ceMaskedOnly() ? c.targets() : c.real();
        StateLosses.TeacherPass tp = w.ce() > 0 || w.needsTeacherStates()
                ? states.teacherPass(teacher, c.ids(), null, c.mask(), step, w.ce() > 0 // (n, emb) before the decoder
                        ? to -> teacher.mlmTransform(DistillLosses.rows(to.lastHidden(), at))
                        : null)
                : null;
        NDArray total = step.zeros(new Shape(), DataType.FLOAT32);
        if (w.ce() > 0) {
            NDArray s = student.mlmTransform(DistillLosses.rows(so.lastHidden(), at)); // (n, emb)
            NDArray ce = DistillLosses.decodedSoftCrossEntropy(s, decoder(student), tp.extra(), decoder(teacher),
                    w.temperature(), DECODE_CHUNK);
            total = total.add(states.term("ce", ce, w.ce()));
        }
        if (w.mlm() > 0) {
            NDArray s = student.mlmLogits(DistillLosses.rows(so.lastHidden(), c.targets())); // (targets, vocab)
            total = total.add(states.term("mlm", Losses.crossEntropy(s, step.create(c.labels())), w.mlm()));
        }
        return w.needsTeacherStates() ? states.add(total, student, so, tp.states(), c.real(), c.mask()) : total;
    }

    private static DistillLosses.Decoder decoder(Encoder e) {
        return new DistillLosses.Decoder(e.mlmDecoderWeight(), e.mlmDecoderBias());
    }

    @Override
    public Trainer.Evaluation evaluate(Encoder student) {
        double lossSum = 0;
        long correct = 0;
        long count = 0;
        NDManager base = student.parameters().values().iterator().next().getManager();
        List<List<Features.Feature>> batches = Features.sortedBatches(eval, batchSize);
        for (int i = 0; i < batches.size(); i++) {
            try (NDManager m = base.newSubManager()) {
                Corrupted c = corrupt(batches.get(i), new Random(seed * 7 + i), m);
                NDArray hidden = student.forward(c.ids(), null, c.mask(), false, false).lastHidden(); // (b, s, h)
                NDArray logits = student.mlmLogits(DistillLosses.rows(hidden, c.targets())); // (targets, vocab)
                NDArray labels = m.create(c.labels());
                lossSum += Losses.crossEntropy(logits, labels).getFloat() * c.labels().length;
                correct += logits.argMax(-1).eq(labels).sum().getLong();
                count += c.labels().length;
            }
        }
        Map<String, Double> metrics = new TreeMap<>();
        double loss = lossSum / Math.max(count, 1);
        metrics.put("mlm_loss", loss);
        metrics.put("mlm_accuracy", (double) correct / Math.max(count, 1));
        metrics.put("perplexity", Math.exp(loss));
        return new Trainer.Evaluation(loss, false, metrics);
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
