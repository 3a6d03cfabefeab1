package io.shrink.core.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.shrink.core.model.WeightBytes;
import io.shrink.core.results.RunResult;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What a benchmark measured, typed for printing, together with the {@link RunResult} it was saved as
 * (its {@code details} hold the same records) and the file written, if any.
 *
 * @param result        the run in the shared result schema
 * @param file          where {@code result.json} was written, or null
 * @param models        size and cost of each model
 * @param cases         one entry per model, batch and sequence length
 * @param matmulPeak    the fp32 matrix-multiply probe
 * @param threads       PyTorch intra-op threads in force while measuring
 * @param comparison    the comparison with an earlier result, or null
 */
public record BenchmarkReport(RunResult result, Path file, List<ModelInfo> models, List<Case> cases, Peak matmulPeak,
                              int threads, Comparison comparison) {

    /**
     * Size and cost of one model.
     *
     * @param id                     registry id
     * @param family                 model family
     * @param layers                 layers applied
     * @param hiddenSize             hidden width
     * @param storedParameters       parameters the registry stores (head included)
     * @param encoderParameters      parameters of the bare encoder that is benchmarked
     * @param nonEmbeddingParameters encoder parameters outside the embedding tables
     * @param bytesOnDisk            the model's files in the registry
     * @param loadRssBytes           growth of the process's resident memory while loading the model and running it once
     *                               (approximate: includes JVM heap used while reading the checkpoint)
     * @param flopsPerSequence       sequence length to encoder FLOPs per sequence ({@link ModelCost})
     * @param precision              the precision most of its linears run in ({@code fp32}, {@code int8}, {@code bf16}):
     *                               its share of peak is taken against that precision's peak
     * @param linears                linear layers per precision
     * @param kernels                what ran each precision's linears on this CPU
     * @param weightBytes            the weights' bytes as stored, embeddings, layers and head apart
     */
    @JsonPropertyOrder({"id", "family", "layers", "hiddenSize", "storedParameters", "encoderParameters",
            "nonEmbeddingParameters", "bytesOnDisk", "loadRssBytes", "flopsPerSequence", "precision", "linears",
            "kernels", "weightBytes"})
    public record ModelInfo(String id, String family, int layers, int hiddenSize, long storedParameters,
                            long encoderParameters, long nonEmbeddingParameters, long bytesOnDisk, long loadRssBytes,
                            Map<Integer, Long> flopsPerSequence, String precision, Map<String, Integer> linears,
                            Map<String, String> kernels, WeightBytes weightBytes) {
    }

    /**
     * One model at one batch size and sequence length.
     *
     * @param model           registry id
     * @param batch           sequences per forward pass
     * @param seq             tokens per sequence
     * @param latencyMs       per forward pass, in milliseconds
     * @param seqPerSec       sequences per second over all timed passes
     * @param tokensPerSec    seqPerSec · seq
     * @param gflops          achieved encoder GFLOP/s
     * @param peakFraction    gflops / the measured matmul peak of the model's precision (fp32, int8 or bf16)
     * @param roundSeqPerSec  sequences per second in each round
     * @param speedup         per-round throughput ratio to the baseline (model / baseline); null for the baseline
     * @param latencySpeedup  per-round median-latency ratio (baseline p50 / model p50); null for the baseline
     */
    @JsonPropertyOrder({"model", "batch", "seq", "latencyMs", "seqPerSec", "tokensPerSec", "gflops", "peakFraction",
            "roundSeqPerSec", "speedup", "latencySpeedup"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Case(String model, int batch, int seq, LatencyStats latencyMs, double seqPerSec, double tokensPerSec,
                       double gflops, double peakFraction, List<Double> roundSeqPerSec, Spread speedup,
                       Spread latencySpeedup) {
    }

    /**
     * The spread of per-round ratios.
     *
     * @param median median over rounds
     * @param q1     25th percentile (linear interpolation)
     * @param q3     75th percentile
     * @param min    smallest
     * @param max    largest
     * @param rounds number of rounds
     */
    @JsonPropertyOrder({"median", "q1", "q3", "min", "max", "rounds"})
    public record Spread(double median, double q1, double q3, double min, double max, int rounds) {
        /** The spread of a non-empty sample. */
        public static Spread of(double[] values) {
            double[] x = values.clone();
            Arrays.sort(x);
            return new Spread(LatencyStats.percentile(x, 50), LatencyStats.percentile(x, 25),
                    LatencyStats.percentile(x, 75), x[0], x[x.length - 1], x.length);
        }
    }

    /**
     * The fp32 matrix-multiply peak measured in the same run, before and after the models.
     *
     * @param gflops the best rate seen
     * @param gemms  every product timed
     */
    @JsonPropertyOrder({"gflops", "gemms"})
    public record Peak(double gflops, List<MatmulPeak.Gemm> gemms) {
    }

    /**
     * The lower-precision peaks measured in the same run, on the same shapes as the fp32 one.
     *
     * @param int8      best int8 linear rate ({@code quantized::linear_dynamic}, GOP/s), or null when not measured
     * @param bf16      best bf16 matmul rate (GFLOP/s), or null when this CPU has no bf16 hardware
     * @param int8Gemms the int8 products timed
     * @param bf16Gemms the bf16 products timed
     * @param notes     what was not measured and why
     * @param int8Token best {@code torch._int_mm} rate (GOP/s), the kernel of per-token int8; null unless a model
     *                  runs it
     * @param int8TokenGemms the {@code torch._int_mm} products timed, or null
     */
    @JsonPropertyOrder({"int8", "bf16", "int8Gemms", "bf16Gemms", "notes", "int8Token", "int8TokenGemms"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PrecisionPeaks(Double int8, Double bf16, List<MatmulPeak.Gemm> int8Gemms,
                                 List<MatmulPeak.Gemm> bf16Gemms, List<String> notes, Double int8Token,
                                 List<MatmulPeak.Gemm> int8TokenGemms) {
    }

    /**
     * This run against an earlier result.
     *
     * @param file         the earlier result file
     * @param runId        its run id
     * @param sameMachine  whether the hardware fingerprints, library versions and threads match
     * @param differences  what differs, e.g. {@code cpu: A vs B}; empty when nothing does
     * @param ratios       per model, batch and sequence length present in both: this seqPerSec / earlier seqPerSec
     */
    @JsonPropertyOrder({"file", "runId", "sameMachine", "differences", "ratios"})
    public record Comparison(String file, String runId, boolean sameMachine, List<String> differences,
                             Map<String, Double> ratios) {
    }
}
