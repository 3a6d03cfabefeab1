package io.shrink.core.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.ArrayList;
import java.util.List;

/**
 * Measures this machine's fp32 matrix-multiply rate with the PyTorch threads in force: times
 * (m × k) · (k × n) products and keeps each shape's best run. The best over shapes is the peak that
 * model throughput is compared with.
 */
public final class MatmulPeak {
    private MatmulPeak() {
    }

    /**
     * One measured product.
     *
     * @param m           rows of the left matrix
     * @param k           inner dimension
     * @param n           columns of the right matrix
     * @param bestSeconds fastest of the timed runs
     * @param gflops      2·m·k·n / bestSeconds / 1e9
     */
    @JsonPropertyOrder({"m", "k", "n", "bestSeconds", "gflops"})
    public record Gemm(long m, long k, long n, double bestSeconds, double gflops) {
    }

    /** Times each {@code {m, k, n}} shape {@code repeats} times after one warm-up run. */
    public static List<Gemm> measure(NDManager parent, List<long[]> shapes, int repeats) {
        List<Gemm> out = new ArrayList<>();
        for (long[] s : shapes) {
            try (NDManager m = parent.newSubManager()) {
                NDArray a = m.randomUniform(-1, 1, new Shape(s[0], s[1])); // (m, k)
                NDArray b = m.randomUniform(-1, 1, new Shape(s[1], s[2])); // (k, n)
                a.matMul(b).close();
                double best = Double.MAX_VALUE;
                for (int r = 0; r < repeats; r++) {
                    long t0 = System.nanoTime();
                    NDArray c = a.matMul(b); // (m, n)
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                    c.close();
                }
                out.add(new Gemm(s[0], s[1], s[2], best, 2.0 * s[0] * s[1] * s[2] / best / 1e9));
            }
        }
        return out;
    }

    /** The highest rate among measured products, in GFLOP/s. */
    public static double best(List<Gemm> gemms) {
        return gemms.stream().mapToDouble(Gemm::gflops).max().orElse(Double.NaN);
    }
}
