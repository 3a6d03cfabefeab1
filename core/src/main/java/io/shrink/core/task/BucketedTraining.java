package io.shrink.core.task;

import io.shrink.core.train.Trainer;

import java.util.List;
import java.util.function.ToIntFunction;

/**
 * A training-loop task whose micro-batches are length-bucketed batches of training items
 * ({@link Features#bucketed}): the part that fine-tuning and distillation tasks share.
 *
 * @param <T> the training item: a feature, a SQuAD window
 */
public abstract class BucketedTraining<T> implements Trainer.Task<List<T>> {
    /** The training items. */
    protected final List<T> train;
    private final ToIntFunction<T> length;
    private final int batchSize;
    private final long seed;

    /** Batches of {@code batchSize} items of similar {@code length}, shuffled by {@code seed} and epoch. */
    protected BucketedTraining(List<T> train, ToIntFunction<T> length, int batchSize, long seed) {
        this.train = train;
        this.length = length;
        this.batchSize = batchSize;
        this.seed = seed;
    }

    @Override
    public List<List<T>> batches(int epoch) {
        return Features.bucketed(train, length, batchSize, seed, epoch);
    }

    @Override
    public int size(List<T> batch) {
        return batch.size();
    }
}
