package io.shrink.core.eval;

import java.util.List;
import java.util.function.ToDoubleBiFunction;

/**
 * A metric given by its name, its direction and the formula over all examples: the one place the
 * {@link Metric} boilerplate (name, {@code higherIsBetter}, {@code compute}) is written out. The formula is called
 * as is; checking the list sizes is its own business.
 */
record NamedMetric<P, R>(String name, boolean higherIsBetter,
                         ToDoubleBiFunction<List<? extends P>, List<? extends R>> formula) implements Metric<P, R> {
    @Override
    public double compute(List<? extends P> predictions, List<? extends R> references) {
        return formula.applyAsDouble(predictions, references);
    }
}
