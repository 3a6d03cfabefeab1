package io.shrink.core.bench;

import io.shrink.core.ShrinkException;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code shrink benchmark} measures and for how long.
 *
 * @param models          registry ids, measured interleaved in rounds
 * @param baseline        the id speed-ups are relative to (null: the first model)
 * @param batches         batch sizes; batch 1 gives the latency figures
 * @param seqs            sequence lengths (tokens per sequence, no padding)
 * @param warmup          untimed forward passes per model and shape before measuring
 * @param durationSeconds timed seconds per model and shape, split evenly over the rounds
 * @param iterations      timed forward passes per model and shape instead of a duration, or null
 * @param rounds          rounds of interleaving (A B, then B A, ...); speed-up spreads are over rounds
 * @param threads         PyTorch intra-op threads to set at run time, or null to keep those in force
 * @param seed            seed of the random token ids
 * @param compare         an earlier benchmark result to compare with, or null
 */
public record BenchmarkOptions(List<String> models, String baseline, List<Integer> batches, List<Integer> seqs,
                               int warmup, double durationSeconds, Integer iterations, int rounds, Integer threads,
                               long seed, Path compare) {

    public BenchmarkOptions {
        models = List.copyOf(models);
        batches = List.copyOf(batches);
        seqs = List.copyOf(seqs);
    }

    /** The baseline in force. */
    public String baselineId() {
        return baseline != null ? baseline : models.get(0);
    }

    /** Checks the numbers; throws a usage error naming the option otherwise. */
    public BenchmarkOptions validate() {
        if (models.isEmpty()) {
            throw ShrinkException.usage("name at least one model to benchmark");
        }
        if (new HashSet<>(models).size() != models.size()) {
            throw ShrinkException.usage("a model is named twice: " + models);
        }
        if (baseline != null && !models.contains(baseline)) {
            throw ShrinkException.usage("--baseline " + baseline + " is not one of the models benchmarked " + models);
        }
        positive("--batch", batches, 4096);
        positive("--seq", seqs, 1 << 16);
        if (warmup < 0) {
            throw ShrinkException.outOfRange("--warmup", "at least 0", warmup);
        }
        if (!(durationSeconds > 0)) {
            throw ShrinkException.outOfRange("--duration", "greater than 0", durationSeconds);
        }
        if (iterations != null && iterations < 1) {
            throw ShrinkException.usage("--iterations must be at least 1, not " + iterations);
        }
        if (rounds < 1) {
            throw ShrinkException.usage("--rounds must be at least 1, not " + rounds);
        }
        if (threads != null && threads < 1) {
            throw ShrinkException.usage("--threads must be at least 1, not " + threads);
        }
        return this;
    }

    private static void positive(String option, List<Integer> values, int max) {
        if (values.isEmpty()) {
            throw ShrinkException.usage(option + " needs at least one value");
        }
        for (int v : values) {
            if (v < 1 || v > max) {
                throw ShrinkException.outOfRange(option, "between 1 and " + max, v);
            }
        }
    }

    /** Every option by name, for provenance. */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new TreeMap<>();
        m.put("models", models);
        m.put("baseline", baselineId());
        m.put("batch", batches);
        m.put("seq", seqs);
        m.put("warmup", warmup);
        m.put("durationSeconds", durationSeconds);
        if (iterations != null) {
            m.put("iterations", iterations);
        }
        m.put("rounds", rounds);
        if (threads != null) {
            m.put("threads", threads);
        }
        m.put("seed", seed);
        if (compare != null) {
            m.put("compare", compare.toAbsolutePath().normalize().toString());
        }
        return m;
    }
}
