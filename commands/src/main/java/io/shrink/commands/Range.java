package io.shrink.commands;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The values a numeric option takes, checked by {@link OptionRanges} before a command runs; every numeric option
 * of every command carries one, and its description states the same range ({@link OptionRanges#describe}).
 * Bounds are inclusive unless marked exclusive; {@code orZero} also admits 0 as "the default" (e.g. --max-length).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface Range {
    /** The smallest value (or the bound just below it, with {@link #minExclusive}). */
    double min() default Double.NEGATIVE_INFINITY;

    /** The largest value (or the bound just above it, with {@link #maxExclusive}). */
    double max() default Double.POSITIVE_INFINITY;

    /** Whether {@link #min} itself is excluded. */
    boolean minExclusive() default false;

    /** Whether {@link #max} itself is excluded. */
    boolean maxExclusive() default false;

    /** Whether 0 is also valid, outside the range (a "default" marker). */
    boolean orZero() default false;
}
