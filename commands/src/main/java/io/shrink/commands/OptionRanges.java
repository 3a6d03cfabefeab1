package io.shrink.commands;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.lang.reflect.Field;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * The one place numeric options are checked: each option's {@link Range} against the value it holds after parsing
 * (given or default), before the command runs. A value outside is a usage error (exit code 2) of one form,
 * {@code --max-length must be 0 or between 8 and 512, not -3}; the same range text is in the option's help. NaN and
 * the infinities are outside every range.
 */
final class OptionRanges {
    private OptionRanges() {
    }

    /** A usage error for the first option of {@code spec} whose value is outside its range. */
    static void check(CommandSpec spec) {
        for (OptionSpec o : spec.options()) {
            Range range = range(o);
            if (range == null) {
                continue;
            }
            for (Object v : values(o.getValue())) {
                if (v instanceof Number n && !contains(range, n.doubleValue())) {
                    throw new CommandLine.ParameterException(spec.commandLine(), o.longestName() + " must be "
                            + describe(range) + ", not " + v);
                }
            }
        }
    }

    private static Collection<?> values(Object value) {
        if (value instanceof Collection<?> c) {
            return c;
        }
        return value == null ? List.of() : List.of(value);
    }

    /** The range an option declares, or null. */
    static Range range(OptionSpec o) {
        return o.userObject() instanceof Field f ? f.getAnnotation(Range.class) : null;
    }

    /** Whether {@code v} is in {@code r} (NaN and the infinities never are). */
    static boolean contains(Range r, double v) {
        if (r.orZero() && v == 0) {
            return true;
        }
        boolean above = r.minExclusive() ? v > r.min() : v >= r.min();
        boolean below = r.maxExclusive() ? v < r.max() : v <= r.max();
        return above && below && Double.isFinite(v);
    }

    /** The range in words, as the help and the errors state it: "at least 1", "between 8 and 512", "in [0, 1)". */
    static String describe(Range r) {
        boolean low = r.min() != Double.NEGATIVE_INFINITY;
        boolean high = r.max() != Double.POSITIVE_INFINITY;
        String text;
        if (low && high && (r.minExclusive() || r.maxExclusive())) {
            text = "in " + (r.minExclusive() ? "(" : "[") + number(r.min()) + ", " + number(r.max())
                    + (r.maxExclusive() ? ")" : "]");
        } else if (low && high) {
            text = "between " + number(r.min()) + " and " + number(r.max());
        } else if (low) {
            text = (r.minExclusive() ? "greater than " : "at least ") + number(r.min());
        } else if (high) {
            text = (r.maxExclusive() ? "less than " : "at most ") + number(r.max());
        } else {
            text = "any number";
        }
        return r.orZero() ? "0 or " + text : text;
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}
