package io.shrink.commands;

import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.Map;

/**
 * A command's own defaults for shared options, by option name: a command names a subclass as its
 * {@code defaultValueProvider}, so a mixin is declared once and {@code ${DEFAULT-VALUE}} in its help shows
 * the command's value. Options not named keep their declared default.
 */
abstract class OptionDefaults implements IDefaultValueProvider {
    private final Map<String, String> values;

    OptionDefaults(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        return arg instanceof OptionSpec o ? values.get(o.longestName()) : null;
    }
}
