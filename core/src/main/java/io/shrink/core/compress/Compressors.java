package io.shrink.core.compress;

import io.shrink.core.ShrinkException;
import io.shrink.core.compress.layers.LayerCompressor;
import io.shrink.core.compress.quant.QuantCompressor;
import io.shrink.core.compress.quant.StaticQuantCompressor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * The registry of compression methods, found by name: the built-in methods, plus any {@link Compressor} a jar on
 * the class path lists in {@code META-INF/services/io.shrink.core.compress.Compressor} (one line per class).
 */
public final class Compressors {
    private static final Map<String, Compressor<?>> BY_NAME = index();

    private Compressors() {
    }

    @SuppressWarnings("rawtypes")
    private static Map<String, Compressor<?>> index() {
        List<Compressor<?>> all = new ArrayList<>();
        all.add(new LayerCompressor());
        all.add(QuantCompressor.dynamicInt8());
        all.add(new StaticQuantCompressor());
        all.add(QuantCompressor.weightInt8());
        all.add(QuantCompressor.weightInt4());
        all.add(QuantCompressor.bf16());
        for (Compressor c : ServiceLoader.load(Compressor.class)) {
            all.add(c);
        }
        Map<String, Compressor<?>> map = new LinkedHashMap<>();
        for (Compressor<?> c : all) {
            if (map.putIfAbsent(c.name().toLowerCase(Locale.ROOT), c) != null) {
                throw new IllegalStateException("two compression methods are called '" + c.name() + "'");
            }
        }
        return map;
    }

    /** Every method, built-in ones first. */
    public static List<Compressor<?>> all() {
        return List.copyOf(BY_NAME.values());
    }

    /** Every method's name, in {@link #all()} order. */
    public static List<String> names() {
        return all().stream().map(Compressor::name).toList();
    }

    /** The method called {@code name}, in any case. */
    public static Optional<Compressor<?>> find(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(BY_NAME.get(name.toLowerCase(Locale.ROOT)));
    }

    /** Like {@link #find}, but a usage error listing the known methods when there is none. */
    public static Compressor<?> of(String name) {
        return find(name).orElseThrow(() -> ShrinkException.usage("unknown compression method '" + name
                + "'; known methods: " + String.join(", ", names())));
    }
}
