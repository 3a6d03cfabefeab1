package io.shrink.core.bench;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.shrink.core.infer.TorchScriptArchive;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;

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

    private static final String PACKED = "__torch__.torch.classes.quantized.LinearPackedParamsBase";
    private static final String PROBE = String.join("\n",
            "class Probe(Module):",
            "  __parameters__ = []",
            "  __buffers__ = []",
            "  training : bool",
            "  def to_bf16(self, a: Tensor) -> Tensor:",
            "    return torch.to(a, 15)",
            "  def mm(self, a: Tensor, b: Tensor) -> Tensor:",
            "    return torch.mm(a, b)",
            "  def prepack(self, w: Tensor) -> " + PACKED + ":",
            "    s = torch.clamp_min(torch.div(torch.amax(torch.abs(w), [1]), 127.0), 1.0e-30)",
            "    qw = torch.quantize_per_channel(w, torch.to(s, 7), torch.zeros([w.size(0)], dtype=4), 0, 12)",
            "    return ops.quantized.linear_prepack(qw, None)",
            "  def linear_int8(self, x: Tensor, p: " + PACKED + ") -> Tensor:",
            "    return ops.quantized.linear_dynamic(x, p, True)",
            "  def to_int8(self, a: Tensor) -> Tensor:",
            "    return torch.to(torch.round(torch.mul(a, 127.0)), 1)",
            "  def int_mm(self, a: Tensor, b: Tensor) -> Tensor:",
            "    return torch._int_mm(a, torch.t(b))",
            "");

    /**
     * Times the same shapes in a lower precision, as the fast path runs it: {@code int8} is
     * {@code quantized::linear_dynamic} on float32 activations (quantised per call, as a model's linears are), its
     * rate in GOP/s; {@code int8-token} is {@code torch._int_mm} on int8 operands (the kernel of per-token int8,
     * without its quantisation steps; GOP/s); {@code bf16} is {@code torch.mm} on bf16 operands (GFLOP/s). The
     * product is (m × k) · (k × n).
     */
    public static List<Gemm> measure(NDManager parent, List<long[]> shapes, int repeats, String precision) {
        if (precision.equals("fp32")) {
            return measure(parent, shapes, repeats);
        }
        List<Gemm> out = new ArrayList<>();
        try (Model model = Model.newInstance("matmul-probe", Device.cpu(), "PyTorch")) {
            model.load(new ByteArrayInputStream(TorchScriptArchive.write("probe", "Probe", PROBE)), Map.of());
            PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
            for (long[] s : shapes) {
                try (NDManager m = parent.newSubManager()) {
                    PtNDArray a = (PtNDArray) m.randomUniform(-1, 1, new Shape(s[0], s[1])); // (m, k)
                    boolean int8 = precision.equals("int8");
                    boolean token = precision.equals("int8-token");
                    PtNDArray b = (PtNDArray) m.randomUniform(-1, 1, int8 || token ? new Shape(s[2], s[1]) : new Shape(s[1], s[2]));
                    try (IValue av = IValue.from(a); IValue bv = IValue.from(b);
                         IValue left = int8 ? null : IValueUtils.runMethod(block, token ? "to_int8" : "to_bf16", av);
                         IValue right = IValueUtils.runMethod(block, int8 ? "prepack" : token ? "to_int8" : "to_bf16", bv)) {
                        String method = int8 ? "linear_int8" : token ? "int_mm" : "mm";
                        IValue x = int8 ? av : left;
                        double best = Double.MAX_VALUE;
                        // the plain interpreter, as the encoders run: the profiling executor's first calls are slow
                        JniUtils.setGraphExecutorOptimize(false);
                        try {
                            IValueUtils.runMethod(block, method, x, right).close();
                            for (int r = 0; r < repeats; r++) {
                                long t0 = System.nanoTime();
                                IValueUtils.runMethod(block, method, x, right).close();
                                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                            }
                        } finally {
                            JniUtils.setGraphExecutorOptimize(true);
                        }
                        out.add(new Gemm(s[0], s[1], s[2], best, 2.0 * s[0] * s[1] * s[2] / best / 1e9));
                    }
                }
            }
        } catch (IOException | MalformedModelException e) {
            throw new IllegalStateException("libtorch rejected the matmul probe: " + e.getMessage(), e);
        }
        return out;
    }

    /** The highest rate among measured products, in GFLOP/s. */
    public static double best(List<Gemm> gemms) {
        return gemms.stream().mapToDouble(Gemm::gflops).max().orElse(Double.NaN);
    }
}
