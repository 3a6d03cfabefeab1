package io.shrink.core.infer;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.Quantization;
import io.shrink.core.model.Quantization.Precision;
import io.shrink.core.tensor.DType;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.ModelShapes;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.shrink.core.model.CanonicalNames.*;

/**
 * The inference-only encoder forward pass at the speed this stack allows: one TorchScript module, written
 * from Java ({@link TorchScriptArchive}), runs every layer without autograd, with the query, key and value
 * projections fused into one matrix multiply and attention as {@code scaled_dot_product_attention}.
 * It runs every {@link EncoderConfig} that {@link io.shrink.core.model.Encoder} runs (BERT, DistilBERT,
 * ALBERT-style factorised and shared layers, per-layer pruned heads and FFN widths, gelu, gelu_new, relu,
 * padding masks) and returns the same last hidden state as {@code Encoder.forward(..., training=false)}.
 * Heads are not included: apply them to the hidden states it returns.
 *
 * <p>The two widest intermediates of every layer (the fused query-key-value product and the FFN's inner
 * activation) are written into one scratch buffer that the encoder keeps and grows, and the activation runs in
 * place there: allocating those tensors afresh on every call costs about as much as the matrix multiply that
 * fills them on this machine (a 4096 × 768 × 3072 product ran at 85–100 GFLOP/s into a new tensor, 163–164
 * into a kept one). An instance is therefore not for concurrent use; calls on it are serialised.
 */
public final class FastEncoder implements AutoCloseable {
    private static final String CLASS = "FastEncoder";
    private static final int PER_LAYER = 12;

    private final EncoderConfig config;
    private final Plan plan;
    private final NDManager manager;
    private final Model model;
    private final PtSymbolBlock block;
    private final IValue weights;
    private final IValue packed;
    private final IValue bf16;
    private final long widest;
    private final boolean observe;
    private PtNDArray scratch;
    private IValue scratchValue;

    private FastEncoder(EncoderConfig config, Plan plan, NDManager manager, Model model, PtSymbolBlock block,
                        IValue weights, IValue packed, IValue bf16, boolean observe) {
        this.config = config;
        this.observe = observe;
        this.plan = plan;
        this.manager = manager;
        this.model = model;
        this.block = block;
        this.weights = weights;
        this.packed = packed;
        this.bf16 = bf16;
        long w = 0;
        for (int i = 0; i < config.storedLayers(); i++) {
            w = Math.max(w, Math.max(3L * config.headsOf(i) * config.headSize(), config.ffnOf(i)));
        }
        this.widest = Math.max(w, 1);
    }

    /** The scratch buffer as a TorchScript argument, grown to hold (tokens, widest) floats; callers hold the lock. */
    private IValue scratch(long tokens) {
        long need = tokens * widest;
        if (scratch == null || scratch.getShape().get(0) < need) {
            if (scratchValue != null) {
                scratchValue.close();
                scratch.close();
            }
            scratch = (PtNDArray) manager.create(new Shape(need), DataType.FLOAT32); // (tokens * widest,)
            scratchValue = IValue.from(scratch);
        }
        return scratchValue;
    }

    /** Copies a checkpoint's encoder weights (not its head) into a new child manager of {@code parent}. */
    public static FastEncoder load(Checkpoint ckpt, NDManager parent) {
        return load(ckpt, parent, Kernels.thisCpu(), false);
    }

    /**
     * A float32 encoder of a float checkpoint that records what the inputs of its linear layers hold
     * ({@link #observe}): the calibration of static int8.
     */
    public static FastEncoder observing(Checkpoint ckpt, NDManager parent) {
        if (ckpt.quantization() != null || !ckpt.stored().isEmpty()) {
            throw new IllegalArgumentException("observing needs a float32 model");
        }
        return load(ckpt, parent, Kernels.thisCpu(), true);
    }

    /** As {@link #load(Checkpoint, NDManager)} with the given kernels (tests run the native bf16 path anywhere). */
    static FastEncoder load(Checkpoint ckpt, NDManager parent, Kernels kernels) {
        return load(ckpt, parent, kernels, false);
    }

    private static FastEncoder load(Checkpoint ckpt, NDManager parent, Kernels kernels, boolean observe) {
        NDManager m = parent.newSubManager();
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (String name : ModelShapes.expected(ckpt.config(), HeadConfig.none()).keySet()) {
            FloatTensor t = ckpt.tensors().get(name);
            if (t != null) {
                params.put(name, m.create(FloatBuffer.wrap(t.data()), new Shape(t.shape())));
            }
        }
        Map<String, DType> types = new LinkedHashMap<>();
        ckpt.stored().forEach((name, t) -> types.put(name, t.dtype()));
        return build(ckpt.config(), params, Plan.of(ckpt.config(), ckpt.quantization(), types, kernels, Precision.FP32), m, true,
                observe);
    }

    /**
     * Builds on existing parameter arrays (canonical names), e.g. {@link io.shrink.core.model.Encoder#parameters()},
     * in float32. The arrays are shared, except the fused query-key-value matrices, which are copies taken now.
     */
    public static FastEncoder of(EncoderConfig config, Map<String, NDArray> params, NDManager parent) {
        return build(config, params, Plan.of(config, null, Map.of(), Kernels.thisCpu(), Precision.FP32), parent.newSubManager(),
                false, false);
    }

    /**
     * Builds on an encoder's arrays, running its linear layers as its {@link Encoder#quantization()} says (int8,
     * bf16), and the others in {@link Encoder#linearsIn()} (float32 unless a bf16 run asked for bf16). The float32 arrays are shared as in {@link #of(EncoderConfig, Map, NDManager)};
     * int8 and bf16 copies of the quantised ones are made now.
     */
    public static FastEncoder of(Encoder encoder, NDManager parent) {
        return build(encoder.config(), encoder.parameters(),
                Plan.of(encoder.config(), encoder.quantization(), encoder.storedTypes(), Kernels.thisCpu(), encoder.linearsIn()),
                parent.newSubManager(), false, false);
    }

    /**
     * Which precision each linear layer runs in, per stored layer: the fused query-key-value projection, the
     * attention output, the FFN input and output (a layer without heads or FFN runs those in float32: they are empty).
     *
     * @param layers    per stored layer, the four precisions
     * @param params    per stored layer and linear slot, the scale, zero point and clip range (lowest, highest value) of
     *                  each static int8 linear's input (4 values per slot; 0 elsewhere)
     * @param kernels   the int8 and bf16 kernels of this CPU
     */
    record Plan(List<Precision[]> layers, List<double[]> params, Kernels kernels) {
        /** The plan of stored types under {@code q}; linears it leaves in float32 run in {@code rest} (FP32 or BF16). */
        static Plan of(EncoderConfig c, Quantization q, Map<String, DType> types, Kernels kernels, Precision rest) {
            List<Precision[]> layers = new ArrayList<>();
            List<double[]> params = new ArrayList<>();
            for (int i = 0; i < c.storedLayers(); i++) {
                boolean heads = c.headsOf(i) > 0;
                boolean ffn = c.ffnOf(i) > 0;
                Precision qkv = or(Quantization.linear(q, types.get(query(i) + ".weight")), rest);
                for (String other : List.of(key(i), value(i))) {
                    Precision p = or(Quantization.linear(q, types.get(other + ".weight")), rest);
                    if (heads && p != qkv) {
                        throw ShrinkException.corrupt("layer " + i + ": query runs in " + qkv + " but " + other
                                + " in " + p + "; the fused projection needs one precision");
                    }
                }
                layers.add(new Precision[] {
                        heads ? qkv : Precision.FP32,
                        heads ? or(Quantization.linear(q, types.get(attnOut(i) + ".weight")), rest) : Precision.FP32,
                        ffn ? or(Quantization.linear(q, types.get(ffnIn(i) + ".weight")), rest) : Precision.FP32,
                        ffn ? or(Quantization.linear(q, types.get(ffnOut(i) + ".weight")), rest) : Precision.FP32});
                double[] qp = new double[16];
                String[] modules = {query(i), attnOut(i), ffnIn(i), ffnOut(i)};
                for (int slot = 0; slot < 4; slot++) {
                    if (layers.get(i)[slot] == Precision.INT8_STATIC) {
                        List<Double> range = q.inputRanges().get(modules[slot]);
                        if (range == null) {
                            throw ShrinkException.corrupt("static int8 linear " + modules[slot] + " has no calibrated input range");
                        }
                        double[] sz = Quantization.activationParams(range);
                        qp[4 * slot] = sz[0];
                        qp[4 * slot + 1] = sz[1];
                        qp[4 * slot + 2] = -sz[1] * sz[0]; // the values of levels 0 and qmax: the input is clipped to them
                        qp[4 * slot + 3] = (Quantization.ACTIVATION_QMAX - sz[1]) * sz[0];
                    }
                }
                params.add(qp);
            }
            return new Plan(layers, params, kernels);
        }

        private static Precision or(Precision p, Precision rest) {
            return p == Precision.FP32 ? rest : p;
        }

        /** Whether any linear runs in {@code p}. */
        boolean uses(Precision p) {
            return layers.stream().anyMatch(l -> Arrays.asList(l).contains(p));
        }

        /** Whether any linear runs on int8 kernels (dynamic or static, per tensor or per token). */
        boolean usesInt8() {
            return uses(Precision.INT8) || uses(Precision.INT8_STATIC) || uses(Precision.INT8_TOKEN);
        }

        /** Indices into the weight list of the linear weights running in {@code p}, layer by layer, in slot order. */
        List<Long> weightIndices(Precision p) {
            return weightIndices(k -> k == p);
        }

        /** As {@link #weightIndices(Precision)} for every precision {@code which} accepts. */
        List<Long> weightIndices(java.util.function.Predicate<Precision> which) {
            List<Long> out = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++) {
                for (int slot = 0; slot < SLOT_WEIGHT.length; slot++) {
                    if (which.test(layers.get(i)[slot])) {
                        out.add((long) (7 + PER_LAYER * i + SLOT_WEIGHT[slot]));
                    }
                }
            }
            return out;
        }
    }

    /** Offset in a layer's run of the weight list of each linear slot's weight (its bias follows it). */
    private static final int[] SLOT_WEIGHT = {0, 2, 6, 8};

    /** With {@code owned}, the separate query, key and value arrays are closed once fused. */
    private static FastEncoder build(EncoderConfig config, Map<String, NDArray> params, Plan plan, NDManager m,
                                     boolean owned, boolean observe) {
        config.validate();
        List<NDArray> list = new ArrayList<>();
        embeddingSlots(config).forEach(name -> list.add(params.get(name)));
        for (int i = 0; i < config.storedLayers(); i++) {
            NDArray qkvW = fuse(m, params.get(query(i) + ".weight"), params.get(key(i) + ".weight"),
                    params.get(value(i) + ".weight")); // (3 * heads * headSize, hidden)
            NDArray qkvB = fuse(m, params.get(query(i) + ".bias"), params.get(key(i) + ".bias"),
                    params.get(value(i) + ".bias")); // (3 * heads * headSize)
            list.add(qkvW);
            list.add(qkvB);
            if (owned) {
                for (String p : List.of(query(i), key(i), value(i))) {
                    params.get(p + ".weight").close();
                    params.get(p + ".bias").close();
                }
            }
            for (String name : List.of(attnOut(i) + ".weight", attnOut(i) + ".bias", attnLn(i) + ".weight",
                    attnLn(i) + ".bias", ffnIn(i) + ".weight", ffnIn(i) + ".bias", ffnOut(i) + ".weight",
                    ffnOut(i) + ".bias", ffnLn(i) + ".weight", ffnLn(i) + ".bias")) {
                list.add(params.get(name));
            }
        }
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == null) {
                throw new IllegalArgumentException("missing encoder parameter number " + i + " for " + config.family());
            }
        }
        Model model = Model.newInstance("fast-encoder", Device.cpu(), "PyTorch");
        try {
            byte[] archive = TorchScriptArchive.write("fast_encoder", CLASS, source(config, plan, observe));
            model.load(new ByteArrayInputStream(archive), Map.of());
        } catch (IOException | MalformedModelException e) {
            model.close();
            throw new IllegalStateException("libtorch rejected the generated TorchScript: " + e.getMessage(), e);
        }
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        IValue weights = IValue.listFrom(list.stream().map(a -> (PtNDArray) a).toArray(PtNDArray[]::new));
        IValue packed;
        IValue bf16;
        List<Long> lowIdx = plan.weightIndices(p -> p == Precision.BF16 || p == Precision.INT8_TOKEN);
        long[] lowKinds = new long[lowIdx.size()]; // 0 bf16, 1 bf16 emulated in float32, 2 int8 per token
        List<Long> tokenIdx = plan.weightIndices(Precision.INT8_TOKEN);
        for (int j = 0; j < lowKinds.length; j++) {
            lowKinds[j] = tokenIdx.contains(lowIdx.get(j)) ? 2 : plan.kernels().bf16Native() ? 0 : 1;
        }
        try (IValue int8Idx = IValue.listFrom(indices(plan.weightIndices(Precision::int8)));
             IValue lowIdxValue = IValue.listFrom(indices(lowIdx));
             IValue lowKindValue = IValue.listFrom(lowKinds)) {
            packed = IValueUtils.runMethod(block, "prepack", weights, int8Idx);
            bf16 = IValueUtils.runMethod(block, "lowp", weights, lowIdxValue, lowKindValue);
        }
        if (owned && (plan.usesInt8() || plan.uses(Precision.BF16))) {
            // the float32 copies of weights that now run as int8 or bf16 are no longer read: free them
            NDArray empty = m.zeros(new Shape(0)); // (0,)
            for (long k : plan.weightIndices(p -> p != Precision.FP32)) {
                for (int j : new int[] {(int) k, (int) k + 1}) {
                    list.get(j).close();
                    list.set(j, empty);
                }
            }
            weights.close();
            weights = IValue.listFrom(list.stream().map(a -> (PtNDArray) a).toArray(PtNDArray[]::new));
        }
        return new FastEncoder(config, plan, m, model, block, weights, packed, bf16, observe);
    }

    private static long[] indices(List<Long> list) {
        return list.stream().mapToLong(Long::longValue).toArray();
    }

    /** The encoder's shape. */
    public EncoderConfig config() {
        return config;
    }

    /**
     * What runs this encoder's linear layers: {@code fp32}, or the int8 and bf16 kernels of this CPU where some
     * layers run in those precisions ({@link Kernels}), e.g. for a benchmark's record.
     */
    public Map<String, String> kernels() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("fp32", plan.uses(Precision.FP32) ? "torch.addmm (fp32)" : null);
        out.put("int8", plan.uses(Precision.INT8) ? plan.kernels().int8() : null);
        out.put("int8-static", plan.uses(Precision.INT8_STATIC) ? plan.kernels().int8Static() : null);
        out.put("int8-token", plan.uses(Precision.INT8_TOKEN) ? plan.kernels().int8Token() : null);
        out.put("bf16", plan.uses(Precision.BF16) ? plan.kernels().bf16() : null);
        out.values().removeIf(java.util.Objects::isNull);
        return out;
    }

    /** How many linear layers run in each precision ({@code fp32}, {@code int8}, {@code bf16}), zeros left out. */
    public Map<String, Integer> linearPrecisions() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Precision[] l : plan.layers()) {
            for (Precision p : l) {
                out.merge(p.name().toLowerCase(Locale.ROOT).replace('_', '-'), 1, Integer::sum);
            }
        }
        return out;
    }

    /**
     * Runs the encoder.
     *
     * @param inputIds      (batch, seq) int64 token ids
     * @param tokenTypeIds  (batch, seq) int64 segment ids, or null for all zeros
     * @param attentionMask (batch, seq) 1 for real tokens, 0 for padding; null for no padding
     * @return (batch, seq, hidden) last hidden state, owned by the manager of {@code inputIds}
     */
    public NDArray forward(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask) {
        try (Call call = prepare(inputIds, tokenTypeIds, attentionMask)) {
            return call.output();
        }
    }

    /**
     * Prepares a call on fixed inputs, to be run many times without allocating them again (benchmarks).
     * Arguments as for {@link #forward}.
     */
    public Call prepare(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask) {
        long seq = inputIds.getShape().get(1);
        if (seq > config.maxPositions()) {
            throw new IllegalArgumentException("sequence length " + seq + " exceeds max positions " + config.maxPositions());
        }
        NDArray types = tokenTypeIds != null ? tokenTypeIds
                : inputIds.getManager().zeros(inputIds.getShape(), DataType.INT64); // (batch, seq)
        List<IValue> args = new ArrayList<>();
        args.add(IValue.from((PtNDArray) inputIds));
        args.add(IValue.from((PtNDArray) types));
        if (attentionMask != null) {
            args.add(IValue.from((PtNDArray) attentionMask));
        }
        long tokens = inputIds.getShape().get(0) * seq;
        return new Call((PtNDManager) inputIds.getManager(), attentionMask != null ? "encode_masked" : "encode", args,
                tokens);
    }

    /**
     * Runs the encoder of {@link #observing} on a batch and adds what the input of every linear layer held on its
     * real (unmasked) tokens to {@code stats}: {@code stats.get(4 * layer + slot)}, slots query-key-value,
     * attention output, FFN input, FFN output of each stored layer.
     *
     * @param inputIds      (batch, seq) int64 token ids
     * @param tokenTypeIds  (batch, seq) int64 segment ids
     * @param attentionMask (batch, seq) 1 for real tokens, 0 for padding
     * @param stats         mode 0: (2,) float32 arrays, updated to the running [min, max]; mode 1: (bins,) float32
     *                      histograms, added to
     * @param ranges        mode 1: the histograms' ranges, {@code lo, hi} for each of {@code stats} in order
     * @param mode          0 (range) or 1 (histogram)
     */
    public void observe(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, List<NDArray> stats,
                        double[] ranges, int mode) {
        if (!observe) {
            throw new IllegalStateException("not an observing encoder: use FastEncoder.observing");
        }
        if (stats.size() != 4 * config.storedLayers() || (mode == 1 && ranges.length != 2 * stats.size())) {
            throw new IllegalArgumentException("observe needs 4 stats per stored layer (" + 4 * config.storedLayers()
                    + ") and in mode 1 two range ends per stat; got " + stats.size() + " and " + ranges.length);
        }
        long tokens = inputIds.getShape().get(0) * inputIds.getShape().get(1);
        synchronized (this) {
            List<IValue> own = new ArrayList<>();
            try {
                own.add(IValue.from((PtNDArray) inputIds));
                own.add(IValue.from((PtNDArray) tokenTypeIds));
                own.add(IValue.from((PtNDArray) attentionMask));
                own.add(scratch(tokens));
                own.add(weights);
                own.add(packed);
                own.add(bf16);
                own.add(IValue.listFrom(stats.stream().map(a -> (PtNDArray) a).toArray(PtNDArray[]::new)));
                own.add(IValue.listFrom(ranges.length == 0 ? new double[] {0} : ranges));
                own.add(IValue.from((long) mode));
                IValueUtils.runMethod(block, "observe", own.toArray(new IValue[0])).close();
            } finally {
                for (int i = 0; i < own.size(); i++) {
                    if (i < 3 || i > 6) {
                        own.get(i).close();
                    }
                }
            }
        }
    }

    /** A prepared forward pass on fixed inputs; closing it releases the argument handles, not the arrays. */
    public final class Call implements AutoCloseable {
        private final PtNDManager owner;
        private final String method;
        private final List<IValue> own;
        private final long tokens;

        private Call(PtNDManager owner, String method, List<IValue> own, long tokens) {
            this.owner = owner;
            this.method = method;
            this.own = own;
            this.tokens = tokens;
        }

        /** Runs the forward pass and drops the output (for timing). */
        public void run() {
            invoke().close();
        }

        /** Runs the forward pass; returns (batch, seq, hidden) owned by the inputs' manager. */
        public NDArray output() {
            try (IValue r = invoke()) {
                return r.toTensor(owner);
            }
        }

        private IValue invoke() {
            synchronized (FastEncoder.this) {
                List<IValue> all = new ArrayList<>(own);
                all.add(scratch(tokens));
                all.add(weights);
                all.add(packed);
                all.add(bf16);
                return IValueUtils.runMethod(block, method, all.toArray(new IValue[0]));
            }
        }

        @Override
        public void close() {
            own.forEach(IValue::close);
        }
    }

    /** The TorchScript source for a config in float32 throughout. */
    static String source(EncoderConfig c) {
        return source(c, Plan.of(c, null, Map.of(), Kernels.thisCpu(), Precision.FP32));
    }

    private static final String PACKED = "__torch__.torch.classes.quantized.LinearPackedParamsBase";

    /**
     * The TorchScript source for a config and a precision plan: shapes, activation, layer plan and each layer's
     * linear precisions are baked in as literals. Arguments of every encode method: ids, types, [mask,] the scratch
     * buffer, the float32 weights {@code w}, the int8 packed linears {@code q} (from {@code prepack}) and the
     * low-precision linears {@code b} (from {@code lowp}, in layer and slot order: a bf16 linear's weight then bias, a
     * per-token int8 linear's int8 weight, its per-channel scales and its float32 bias).
     */
    static String source(EncoderConfig c, Plan plan) {
        return source(c, plan, false);
    }

    /**
     * As {@link #source(EncoderConfig, Plan)}; with {@code observe} (a float32 plan), the module instead has one
     * entry method, {@code observe}, which runs the encoder and records, for the input of every linear layer
     * (4 per stored layer: query-key-value, attention output, FFN input, FFN output), over the real tokens only:
     * in mode 0 the running [min, max] into {@code st[k]} (2 values), in mode 1 a histogram into {@code st[k]}
     * (its length is the bin count) over the range {@code lohi[2k], lohi[2k + 1]}.
     */
    static String source(EncoderConfig c, Plan plan, boolean observe) {
        String eps = String.format(Locale.ROOT, "%.17g", c.layerNormEps());
        String sig = "sc: Tensor, w: List[Tensor], q: List[" + PACKED + "], b: List[Tensor]";
        String obs = observe ? ", st: List[Tensor], rows: Tensor, lohi: List[float], mode: int" : "";
        String cast = plan.kernels().bf16Native() ? "torch.to(%s, 15)" : "torch.to(torch.to(%s, 15), 6)";
        StringBuilder s = new StringBuilder();
        s.append("class ").append(CLASS).append("(Module):\n")
                .append("  __parameters__ = []\n")
                .append("  __buffers__ = []\n")
                .append("  training : bool\n");
        if (observe) {
            s.append("  def observe(self, ids: Tensor, types: Tensor, mask: Tensor, ").append(sig)
                    .append(", st: List[Tensor], lohi: List[float], mode: int) -> Tensor:\n")
                    .append("    keep = torch.unsqueeze(torch.unsqueeze(torch.gt(mask, 0), 1), 1)\n") // (batch, 1, 1, seq)
                    .append("    rows = torch.reshape(torch.nonzero(torch.reshape(mask, [-1])), [-1])\n") // (real tokens,)
                    .append("    return self.run(ids, types, keep, sc, w, q, b, st, rows, lohi, mode)\n")
                    .append("  def seen(self, x: Tensor, st: List[Tensor], rows: Tensor, lohi: List[float], mode: int, k: int) -> None:\n")
                    .append("    v = torch.index_select(x, 0, rows)\n") // (real tokens, width)
                    .append("    if mode == 0:\n")
                    .append("      st[k].copy_(torch.stack([torch.minimum(st[k][0], torch.amin(v)), torch.maximum(st[k][1], torch.amax(v))]))\n")
                    .append("    else:\n")
                    .append("      st[k].add_(torch.histc(v, st[k].size(0), lohi[2 * k], lohi[2 * k + 1]))\n");
        } else {
            s.append("  def encode(self, ids: Tensor, types: Tensor, ").append(sig).append(") -> Tensor:\n")
                    .append("    return self.run(ids, types, None, sc, w, q, b)\n")
                    .append("  def encode_masked(self, ids: Tensor, types: Tensor, mask: Tensor, ").append(sig).append(") -> Tensor:\n")
                    .append("    keep = torch.unsqueeze(torch.unsqueeze(torch.gt(mask, 0), 1), 1)\n") // (batch, 1, 1, seq)
                    .append("    return self.run(ids, types, keep, sc, w, q, b)\n");
        }
        s
                // int8 linears: per-output-channel symmetric weights (scale max|row| / 127), bias kept in float32
                .append("  def prepack(self, w: List[Tensor], idx: List[int]) -> List[").append(PACKED).append("]:\n")
                .append("    out = annotate(List[").append(PACKED).append("], [])\n")
                .append("    for k in idx:\n")
                .append("      s = torch.clamp_min(torch.div(torch.amax(torch.abs(w[k]), [1]), 127.0), 1.0e-30)\n")
                .append("      qw = torch.quantize_per_channel(w[k], torch.to(s, 7), torch.zeros([w[k].size(0)], dtype=4), 0, 12)\n")
                // the bias is copied: the packed linear keeps a reference to it, and an array DJL made from a Java buffer may
                // be freed with its buffer when the float32 copies are dropped below
                .append("      out.append(ops.quantized.linear_prepack(qw, torch.clone(w[k + 1])))\n")
                .append("    return out\n")
                .append("  def to_bf16(self, w: List[Tensor], idx: List[int]) -> List[Tensor]:\n")
                .append("    out = annotate(List[Tensor], [])\n")
                .append("    for k in idx:\n")
                .append("      out.append(torch.to(w[k], 15))\n")
                .append("      out.append(torch.to(w[k + 1], 15))\n")
                .append("    return out\n")
                .append("  def round_bf16(self, w: List[Tensor], idx: List[int]) -> List[Tensor]:\n")
                .append("    out = annotate(List[Tensor], [])\n")
                .append("    for k in idx:\n")
                .append("      out.append(torch.to(torch.to(w[k], 15), 6))\n")
                .append("      out.append(torch.to(torch.to(w[k + 1], 15), 6))\n")
                .append("    return out\n")
                // kind 0: bf16 weight and bias; 1: the same rounded to bf16 and held in float32; 2: per-token int8, the
                // weight (out, in) int8 with per-output-channel symmetric scales (out,) and the float32 bias
                .append("  def lowp(self, w: List[Tensor], idx: List[int], kinds: List[int]) -> List[Tensor]:\n")
                .append("    out = annotate(List[Tensor], [])\n")
                .append("    for j in range(len(idx)):\n")
                .append("      k = idx[j]\n")
                .append("      if kinds[j] == 2:\n")
                .append("        s = torch.clamp_min(torch.div(torch.amax(torch.abs(w[k]), [1]), 127.0), 1.0e-30)\n")
                .append("        out.append(torch.to(torch.clamp(torch.round(torch.div(w[k], torch.unsqueeze(s, 1))), -127.0, 127.0), 1))\n")
                .append("        out.append(s)\n")
                .append("        out.append(torch.clone(w[k + 1]))\n")
                .append("      elif kinds[j] == 1:\n")
                .append("        out.append(torch.to(torch.to(w[k], 15), 6))\n")
                .append("        out.append(torch.to(torch.to(w[k + 1], 15), 6))\n")
                .append("      else:\n")
                .append("        out.append(torch.to(w[k], 15))\n")
                .append("        out.append(torch.to(w[k + 1], 15))\n")
                .append("    return out\n")
                // a per-token int8 linear: x (tokens, in) float32 -> (tokens, out) float32, the bias added
                .append("  def tok(self, x: Tensor, wq: Tensor, ws: Tensor, bias: Tensor) -> Tensor:\n")
                .append("    s = torch.clamp_min(torch.div(torch.amax(torch.abs(x), [1], True), 127.0), 1.0e-30)\n") // (tokens, 1)
                .append("    xq = torch.to(torch.round(torch.div(x, s)), 1)\n") // (tokens, in) int8
                .append("    acc = torch._int_mm(xq, torch.t(wq))\n") // (tokens, out) int32
                .append("    return torch.addcmul(bias, torch.mul(acc, s), ws)\n")
                .append("  def run(self, ids: Tensor, types: Tensor, mask: Optional[Tensor], ").append(sig).append(obs).append(") -> Tensor:\n")
                .append("    seq = ids.size(1)\n")
                // (batch, seq, emb): word + position (first seq rows of the table) [+ token type]
                .append("    x = torch.add(torch.embedding(w[0], ids), torch.narrow(w[1], 0, 0, seq))\n");
        if (c.typeVocabSize() > 0) {
            s.append("    x = torch.add(x, torch.embedding(w[2], types))\n");
        }
        s.append("    x = torch.layer_norm(x, [").append(c.embeddingSize()).append("], w[3], w[4], ").append(eps).append(")\n");
        if (c.factorisedEmbeddings()) {
            s.append("    x = torch.linear(x, w[5], w[6])\n"); // (batch, seq, hidden)
        }
        int[] qAt = new int[c.storedLayers()];
        int[] bAt = new int[c.storedLayers()];
        int qn = 0;
        int bn = 0;
        for (int i = 0; i < c.storedLayers(); i++) {
            qAt[i] = qn;
            bAt[i] = bn;
            for (Precision p : plan.layers().get(i)) {
                qn += p.int8() ? 1 : 0;
                bn += lowEntries(p);
            }
        }
        for (int l = 0; l < c.numLayers(); l++) {
            int i = c.storedIndex(l);
            s.append("    x = self.").append(layerName(plan.layers().get(i))).append("(x, mask, sc, w, q, b, ")
                    .append(7 + PER_LAYER * i).append(", ").append(qAt[i]).append(", ").append(bAt[i]).append(", ")
                    .append(c.headsOf(i)).append(", ").append(c.ffnOf(i) > 0 ? "True" : "False").append(", ")
                    .append(floats(plan.params().get(i))).append(observe ? ", st, rows, lohi, mode, " + i : "").append(")\n");
        }
        s.append("    return x\n");
        plan.layers().stream().map(FastEncoder::layerName).distinct().forEach(name -> {
            Precision[] kinds = plan.layers().stream().filter(l -> layerName(l).equals(name)).findFirst().orElseThrow();
            layerMethod(s, c, name, kinds, eps, cast, observe);
        });
        return s.toString();
    }

    /**
     * A static int8 linear (input, scale index, zero-point index, packed index into {@code qi}): the input is clipped
     * to the calibrated range (the 0..127 levels: the kernel itself would saturate only at 255), quantised with the
     * calibrated scale and zero point, multiplied on int8 kernels and returned in float32 with the bias added.
     */
    private static final String STATIC = "ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32(torch.clamp(%1$s, "
            + "qp[%2$d + 2], qp[%2$d + 3]), qp[%2$d], int(qp[%2$d + 1]), q[qi + %3$d])";

    /** A per-token int8 linear on {@code x} whose three entries start at {@code b[bi + at]}. */
    private static String token(String x, int at) {
        return "self.tok(" + x + ", b[bi + " + at + "], b[bi + " + (at + 1) + "], b[bi + " + (at + 2) + "])";
    }

    /** How many entries of the low-precision list {@code b} a linear in {@code p} takes. */
    private static int lowEntries(Precision p) {
        return p == Precision.BF16 ? 2 : p == Precision.INT8_TOKEN ? 3 : 0;
    }

    /** A TorchScript list literal of floats. */
    private static String floats(double[] v) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            s.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.9e", v[i]));
        }
        return s.append("]").toString();
    }

    /** A layer method's name from its four linear precisions, e.g. {@code layer_fiif}. */
    private static String layerName(Precision[] kinds) {
        StringBuilder n = new StringBuilder("layer_");
        for (Precision p : kinds) {
            n.append(switch (p) {
                case FP32 -> 'f';
                case INT8 -> 'i';
                case BF16 -> 'b';
                case INT8_STATIC -> 's';
                case INT8_TOKEN -> 't';
            });
        }
        return n.toString();
    }

    /**
     * One transformer layer with its four linears in the given precisions. {@code i} indexes the layer's float32
     * weights, {@code qi} its first int8 linear, {@code bi} its first bf16 weight.
     */
    private static void layerMethod(StringBuilder s, EncoderConfig c, String name, Precision[] k, String eps, String cast,
                                    boolean observe) {
        String[] seen = new String[4];
        String[] inputs = {"x2", "c2", "x2", "a"};
        for (int slot = 0; slot < 4; slot++) {
            seen[slot] = observe ? "      self.seen(" + inputs[slot] + ", st, rows, lohi, mode, 4 * li + " + slot + ")\n" : "";
        }
        String act = switch (c.hiddenAct()) {
            case "relu" -> "torch.relu_(t)";
            // 0.5 t (1 + tanh(sqrt(2/pi) (t + 0.044715 t^3))), written out: archive version 3 predates gelu's approximate=
            case "gelu_new" -> String.format(Locale.ROOT,
                    "torch.mul(torch.mul(t, 0.5), torch.add(torch.tanh(torch.mul(torch.add(t, torch.mul(torch.pow(t, 3), "
                            + "0.044715)), %.17g)), 1.0))", Math.sqrt(2.0 / Math.PI));
            default -> "torch.gelu_(t)";
        };
        int[] qOff = new int[4];
        int[] bOff = new int[4];
        for (int slot = 1; slot < 4; slot++) {
            qOff[slot] = qOff[slot - 1] + (k[slot - 1].int8() ? 1 : 0);
            bOff[slot] = bOff[slot - 1] + lowEntries(k[slot - 1]);
        }
        String hidden = String.valueOf(c.hiddenSize());
        s.append("  def ").append(name).append("(self, x: Tensor, mask: Optional[Tensor], sc: Tensor, w: List[Tensor], ")
                .append("q: List[").append(PACKED).append("], b: List[Tensor], i: int, qi: int, bi: int, heads: int, ")
                .append("ffn: bool, qp: List[float]")
                .append(observe ? ", st: List[Tensor], rows: Tensor, lohi: List[float], mode: int, li: int" : "")
                .append(") -> Tensor:\n")
                .append("    bs = x.size(0)\n")
                .append("    s = x.size(1)\n")
                .append("    x2 = torch.reshape(x, [bs * s, x.size(2)])\n") // (tokens, hidden)
                .append("    if heads > 0:\n");
        // (tokens, 3 * heads * d)
        s.append(seen[0]);
        switch (k[0]) {
            case FP32 -> s.append("      n = w[i].size(0)\n")
                    // written into the scratch buffer
                    .append("      p = torch.view(torch.narrow(sc, 0, 0, bs * s * n), [bs * s, n])\n")
                    .append("      torch.addmm(w[i + 1], x2, torch.t(w[i]), out=p)\n");
            case INT8 -> s.append("      p = ops.quantized.linear_dynamic(x2, q[qi + ").append(qOff[0]).append("], True)\n");
            case INT8_STATIC -> s.append("      p = ").append(STATIC.formatted("x2", 0, qOff[0])).append("\n");
            case INT8_TOKEN -> s.append("      p = ").append(token("x2", bOff[0])).append("\n");
            case BF16 -> s.append("      p = torch.linear(").append(cast.formatted("x2")).append(", b[bi + ").append(bOff[0])
                    .append("], b[bi + ").append(bOff[0] + 1).append("])\n");
        }
        // (batch, seq, 3 * heads * d) -> (3, batch, heads, seq, d); attention scaled by 1/sqrt(d)
        s.append("      qkv = torch.permute(torch.view(p, [bs, s, 3, heads, ").append(c.headSize()).append("]), [2, 0, 3, 1, 4])\n")
                .append("      ctx = torch.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], mask)\n") // (batch, heads, seq, d)
                .append("      c2 = torch.reshape(torch.transpose(ctx, 1, 2), [bs * s, heads * ").append(c.headSize()).append("])\n");
        // (tokens, hidden): the residual plus the output projection and its bias
        s.append(seen[1]);
        switch (k[1]) {
            case FP32 -> s.append("      h = torch.addmm(x2, torch.to(c2, 6), torch.t(w[i + 2]))\n")
                    .append("      x = torch.view(h.add_(w[i + 3]), [bs, s, x.size(2)])\n");
            case INT8 -> s.append("      h = ops.quantized.linear_dynamic(torch.to(c2, 6), q[qi + ").append(qOff[1]).append("], True)\n")
                    .append("      x = torch.view(h.add_(x2), [bs, s, x.size(2)])\n");
            case INT8_STATIC -> s.append("      h = ").append(STATIC.formatted("torch.to(c2, 6)", 4, qOff[1])).append("\n")
                    .append("      x = torch.view(h.add_(x2), [bs, s, x.size(2)])\n");
            case INT8_TOKEN -> s.append("      h = ").append(token("torch.to(c2, 6)", bOff[1])).append("\n")
                    .append("      x = torch.view(h.add_(x2), [bs, s, x.size(2)])\n");
            case BF16 -> s.append("      h = torch.to(torch.linear(").append(cast.formatted("c2")).append(", b[bi + ").append(bOff[1])
                    .append("], b[bi + ").append(bOff[1] + 1).append("]), 6)\n")
                    .append("      x = torch.view(h.add_(x2), [bs, s, x.size(2)])\n");
        }
        s.append("    else:\n")
                .append("      x = torch.add(x, w[i + 3])\n")
                .append("    x = torch.layer_norm(x, [").append(hidden).append("], w[i + 4], w[i + 5], ").append(eps).append(")\n")
                .append("    if ffn:\n")
                .append("      x2 = torch.reshape(x, [bs * s, x.size(2)])\n"); // (tokens, hidden)
        // (tokens, ffn), activated in place
        s.append(seen[2]);
        switch (k[2]) {
            case FP32 -> s.append("      n = w[i + 6].size(0)\n")
                    .append("      t = torch.view(torch.narrow(sc, 0, 0, bs * s * n), [bs * s, n])\n")
                    .append("      torch.addmm(w[i + 7], x2, torch.t(w[i + 6]), out=t)\n");
            case INT8 -> s.append("      t = ops.quantized.linear_dynamic(x2, q[qi + ").append(qOff[2]).append("], True)\n");
            case INT8_STATIC -> s.append("      t = ").append(STATIC.formatted("x2", 8, qOff[2])).append("\n");
            case INT8_TOKEN -> s.append("      t = ").append(token("x2", bOff[2])).append("\n");
            case BF16 -> s.append("      t = torch.linear(").append(cast.formatted("x2")).append(", b[bi + ").append(bOff[2])
                    .append("], b[bi + ").append(bOff[2] + 1).append("])\n");
        }
        s.append("      a = ").append(act).append("\n");
        // (tokens, hidden): residual plus the down projection and its bias
        s.append(seen[3]);
        switch (k[3]) {
            case FP32 -> s.append("      h = torch.addmm(x2, torch.to(a, 6), torch.t(w[i + 8]))\n")
                    .append("      x = torch.view(h.add_(w[i + 9]), [bs, s, x.size(2)])\n");
            case INT8 -> s.append("      h = ops.quantized.linear_dynamic(torch.to(a, 6), q[qi + ").append(qOff[3]).append("], True)\n")
                    .append("      x = torch.view(h.add_(x2), [bs, s, x.size(2)])\n");
            case INT8_STATIC -> s.append("      h = ").append(STATIC.formatted("torch.to(a, 6)", 12, qOff[3])).append("\n")
                    .append("      x = torch.view(h.add_(x2), [bs, s, x.size(2)])\n");
            case INT8_TOKEN -> s.append("      h = ").append(token("torch.to(a, 6)", bOff[3])).append("\n")
                    .append("      x = torch.view(h.add_(x2), [bs, s, x.size(2)])\n");
            case BF16 -> s.append("      h = torch.to(torch.linear(").append(cast.formatted("a")).append(", b[bi + ").append(bOff[3])
                    .append("], b[bi + ").append(bOff[3] + 1).append("]), 6)\n")
                    .append("      x = torch.view(h.add_(x2), [bs, s, x.size(2)])\n");
        }
        s.append("    else:\n")
                .append("      x = torch.add(x, w[i + 9])\n")
                .append("    return torch.layer_norm(x, [").append(hidden).append("], w[i + 10], w[i + 11], ").append(eps).append(")\n");
    }

    @Override
    public synchronized void close() {
        if (scratchValue != null) {
            scratchValue.close();
        }
        weights.close();
        packed.close();
        bf16.close();
        model.close();
        manager.close();
    }

    /** Concatenates along axis 0 into an array owned by {@code m}. */
    private static NDArray fuse(NDManager m, NDArray... parts) {
        NDArray out = NDArrays.concat(new NDList(parts), 0);
        out.attach(m);
        return out;
    }
}
