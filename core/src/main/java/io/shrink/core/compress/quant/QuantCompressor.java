package io.shrink.core.compress.quant;

import io.shrink.core.ShrinkException;
import io.shrink.core.compress.Compressed;
import io.shrink.core.compress.CompressionContext;
import io.shrink.core.compress.CompressionReport;
import io.shrink.core.compress.Compressor;
import io.shrink.core.compress.CompressorInfo;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Quantization;
import io.shrink.core.tensor.DType;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.tensor.TypedTensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Post-training quantisation of weight matrices without data: each selected matrix ({@link LinearSelection}) is
 * stored in a smaller type and the model records how it runs ({@link Quantization}). The methods:
 * <ul>
 *   <li>{@code dynamic-int8}: int8 per output channel (symmetric, scale max|row| / 127); linears run int8 × int8 with
 *       activations quantised at run time, per tensor (PyTorch's and ONNX Runtime's dynamic quantisation: 7 bits
 *       with a zero point on fbgemm) or, with {@code activations=per-token}, with one symmetric 8-bit scale per token
 *       ({@code torch._int_mm}, as LLM.int8() and SmoothQuant's per-token setting do).</li>
 *   <li>{@code weight-int8}, {@code weight-int4}: int8 per output channel, or int4 with one scale per group of
 *       {@code groupSize} values of a row; stored small, dequantised to float32 at load (for size, not speed).</li>
 *   <li>{@code bf16}: bfloat16 weights (round to nearest even); linears run bf16 matrix multiplies with layer norm,
 *       softmax accumulation and residual adds in float32, as PyTorch's CPU autocast does.</li>
 * </ul>
 * Methods are instances of this class, registered by name in {@link io.shrink.core.compress.Compressors}.
 */
public final class QuantCompressor implements Compressor<QuantSettings> {
    /** Default int4 group size (values per scale), as in GPTQ and AWQ. */
    public static final int DEFAULT_GROUP = 128;

    private final CompressorInfo<QuantSettings> info;
    private final DType dtype;
    private final Quantization.Scheme scheme;
    private final boolean embeddingsByDefault;

    private QuantCompressor(String name, String summary, DType dtype, Quantization.Scheme scheme, boolean embeddings) {
        this.info = new CompressorInfo<>(name, summary, QuantSettings.class);
        this.dtype = dtype;
        this.scheme = scheme;
        this.embeddingsByDefault = embeddings;
    }

    /** int8 weights per output channel, activations quantised at run time, int8 kernels. */
    public static QuantCompressor dynamicInt8() {
        return new QuantCompressor("dynamic-int8", "int8 weights per output channel, int8 kernels with activations "
                + "quantised at run time (activations=per-tensor|per-token, default per-tensor; attention, ffn=true; "
                + "head, embeddings=false; include, exclude=REGEX)",
                DType.I8, Quantization.Scheme.DYNAMIC_INT8, false);
    }

    /** int8 weights per output channel, dequantised at load. */
    public static QuantCompressor weightInt8() {
        return new QuantCompressor("weight-int8", "int8 weights per output channel, for size: dequantised to fp32 at "
                + "load (attention, ffn, embeddings=true; head=false; include, exclude=REGEX)",
                DType.I8, Quantization.Scheme.WEIGHT_ONLY, true);
    }

    /** int4 weights in groups, dequantised at load. */
    public static QuantCompressor weightInt4() {
        return new QuantCompressor("weight-int4", "int4 weights with one scale per groupSize values of a row (default "
                + DEFAULT_GROUP + "), for size: dequantised to fp32 at load (attention, ffn, embeddings=true; head=false)",
                DType.I4, Quantization.Scheme.WEIGHT_ONLY, true);
    }

    /** bfloat16 weights and matrix multiplies. */
    public static QuantCompressor bf16() {
        return new QuantCompressor("bf16", "bf16 weights and matmuls, fp32 layer norm and residual adds (attention, ffn, "
                + "embeddings=true; head=false; include, exclude=REGEX)", DType.BF16, Quantization.Scheme.BF16, true);
    }

    @Override
    public CompressorInfo<QuantSettings> info() {
        return info;
    }

    @Override
    public Compressed compress(Checkpoint model, QuantSettings s, CompressionContext context) {
        if (model.quantization() != null || !model.stored().isEmpty()) {
            throw ShrinkException.usage("model is already stored in reduced precision (" + (model.quantization() != null
                    ? model.quantization().scheme() : "stored types " + storedTypes(model))
                    + "); quantise its float32 parent instead");
        }
        if (s.groupSize() != null && dtype != DType.I4) {
            throw ShrinkException.usage("setting groupSize applies to weight-int4 only, not " + name());
        }
        String activations = null;
        if (s.activations() != null) {
            if (scheme != Quantization.Scheme.DYNAMIC_INT8) {
                throw ShrinkException.usage("setting activations applies to dynamic-int8 only, not " + name());
            }
            if (!s.activations().equals(Quantization.PER_TENSOR) && !s.activations().equals(Quantization.PER_TOKEN)) {
                throw ShrinkException.usage("activations must be " + Quantization.PER_TENSOR + " or "
                        + Quantization.PER_TOKEN + ", not '" + s.activations() + "'");
            }
            activations = s.activations();
        }
        int group = s.groupSize() == null ? DEFAULT_GROUP : s.groupSize();
        if (dtype == DType.I4 && group < 1) {
            throw ShrinkException.usage("groupSize must be at least 1, not " + group);
        }
        LinearSelection sel = s.selection(embeddingsByDefault);
        List<String> chosen = sel.select(model);
        Map<String, TypedTensor> stored = new LinkedHashMap<>();
        Map<String, FloatTensor> floats = new LinkedHashMap<>(model.tensors());
        for (String name : chosen) {
            FloatTensor t = model.tensors().get(name);
            if (dtype == DType.I4) {
                long cols = t.shape()[t.shape().length - 1];
                if (cols % group != 0) {
                    throw ShrinkException.usage("groupSize " + group + " does not divide the rows of " + name + " "
                            + t.shapeString() + " (" + cols + " values); choose a divisor of " + cols);
                }
            }
            TypedTensor q = TypedTensor.of(t, dtype, group);
            stored.put(name, q);
            floats.put(name, q.toFloat());
        }
        Checkpoint out = new Checkpoint(model.config(), model.head(), floats, model.tokenizer(), stored,
                new Quantization(scheme, activations));
        Map<String, Object> options = new LinkedHashMap<>(sel.describe());
        if (dtype == DType.I4) {
            options.put("groupSize", group);
        }
        options.put("dtype", dtype.name());
        options.put("scheme", scheme.label());
        if (scheme == Quantization.Scheme.DYNAMIC_INT8) {
            options.put("activations", out.quantization().activations());
        }
        options.put("tensors", chosen.size());
        List<String> notes = new ArrayList<>();
        if (sel.head() && scheme != Quantization.Scheme.WEIGHT_ONLY) {
            notes.add("the head's linears are stored " + dtype + " but run on their float32 view (size only)");
        }
        if (scheme == Quantization.Scheme.WEIGHT_ONLY) {
            notes.add("weights are dequantised to float32 when the model loads: this saves disk, not time or memory");
        }
        return new Compressed(out, new CompressionReport(name(), options, model.parameterCount(), out.parameterCount(),
                notes));
    }

    private static String storedTypes(Checkpoint model) {
        return model.stored().values().stream().map(t -> t.dtype().name()).distinct().toList().toString();
    }
}
