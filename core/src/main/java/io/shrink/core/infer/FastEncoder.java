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
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.ModelShapes;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
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
    private final NDManager manager;
    private final Model model;
    private final PtSymbolBlock block;
    private final IValue weights;
    private final long widest;
    private PtNDArray scratch;
    private IValue scratchValue;

    private FastEncoder(EncoderConfig config, NDManager manager, Model model, PtSymbolBlock block, IValue weights) {
        this.config = config;
        this.manager = manager;
        this.model = model;
        this.block = block;
        this.weights = weights;
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
        NDManager m = parent.newSubManager();
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (String name : ModelShapes.expected(ckpt.config(), HeadConfig.none()).keySet()) {
            FloatTensor t = ckpt.tensors().get(name);
            if (t != null) {
                params.put(name, m.create(FloatBuffer.wrap(t.data()), new Shape(t.shape())));
            }
        }
        return build(ckpt.config(), params, m, true);
    }

    /**
     * Builds on existing parameter arrays (canonical names), e.g. {@link io.shrink.core.model.Encoder#parameters()}.
     * The arrays are shared, except the fused query-key-value matrices, which are copies taken now.
     */
    public static FastEncoder of(EncoderConfig config, Map<String, NDArray> params, NDManager parent) {
        return build(config, params, parent.newSubManager(), false);
    }

    /** With {@code owned}, the separate query, key and value arrays are closed once fused. */
    private static FastEncoder build(EncoderConfig config, Map<String, NDArray> params, NDManager m, boolean owned) {
        config.validate();
        List<NDArray> list = new ArrayList<>();
        list.add(params.get(WORD_EMB));
        list.add(params.get(POS_EMB));
        list.add(config.typeVocabSize() > 0 ? params.get(TYPE_EMB) : params.get(POS_EMB));
        list.add(params.get(EMB_LN + ".weight"));
        list.add(params.get(EMB_LN + ".bias"));
        list.add(config.factorisedEmbeddings() ? params.get(EMB_PROJ + ".weight") : params.get(POS_EMB));
        list.add(config.factorisedEmbeddings() ? params.get(EMB_PROJ + ".bias") : params.get(POS_EMB));
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
            byte[] archive = TorchScriptArchive.write("fast_encoder", CLASS, source(config));
            model.load(new ByteArrayInputStream(archive), Map.of());
        } catch (IOException | MalformedModelException e) {
            model.close();
            throw new IllegalStateException("libtorch rejected the generated TorchScript: " + e.getMessage(), e);
        }
        PtNDArray[] arrays = list.stream().map(a -> (PtNDArray) a).toArray(PtNDArray[]::new);
        return new FastEncoder(config, m, model, (PtSymbolBlock) model.getBlock(), IValue.listFrom(arrays));
    }

    /** The encoder's shape. */
    public EncoderConfig config() {
        return config;
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
                return IValueUtils.runMethod(block, method, all.toArray(new IValue[0]));
            }
        }

        @Override
        public void close() {
            own.forEach(IValue::close);
        }
    }

    /** The TorchScript source for a config: shapes, activation and layer plan are baked in as literals. */
    static String source(EncoderConfig c) {
        String eps = String.format(Locale.ROOT, "%.17g", c.layerNormEps());
        String act = switch (c.hiddenAct()) {
            case "relu" -> "torch.relu_(t)";
            // 0.5 t (1 + tanh(sqrt(2/pi) (t + 0.044715 t^3))), written out: archive version 3 predates gelu's approximate=
            case "gelu_new" -> String.format(Locale.ROOT,
                    "torch.mul(torch.mul(t, 0.5), torch.add(torch.tanh(torch.mul(torch.add(t, torch.mul(torch.pow(t, 3), "
                            + "0.044715)), %.17g)), 1.0))", Math.sqrt(2.0 / Math.PI));
            default -> "torch.gelu_(t)";
        };
        StringBuilder s = new StringBuilder();
        s.append("class ").append(CLASS).append("(Module):\n")
                .append("  __parameters__ = []\n")
                .append("  __buffers__ = []\n")
                .append("  training : bool\n")
                .append("  def encode(self, ids: Tensor, types: Tensor, sc: Tensor, w: List[Tensor]) -> Tensor:\n")
                .append("    return self.run(ids, types, None, sc, w)\n")
                .append("  def encode_masked(self, ids: Tensor, types: Tensor, mask: Tensor, sc: Tensor, w: List[Tensor]) -> Tensor:\n")
                .append("    keep = torch.unsqueeze(torch.unsqueeze(torch.gt(mask, 0), 1), 1)\n") // (batch, 1, 1, seq)
                .append("    return self.run(ids, types, keep, sc, w)\n")
                .append("  def run(self, ids: Tensor, types: Tensor, mask: Optional[Tensor], sc: Tensor, w: List[Tensor]) -> Tensor:\n")
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
        for (int l = 0; l < c.numLayers(); l++) {
            int i = c.storedIndex(l);
            s.append("    x = self.layer(x, mask, sc, w, ").append(7 + PER_LAYER * i).append(", ").append(c.headsOf(i))
                    .append(", ").append(c.ffnOf(i) > 0 ? "True" : "False").append(")\n");
        }
        s.append("    return x\n");
        s.append("  def layer(self, x: Tensor, mask: Optional[Tensor], sc: Tensor, w: List[Tensor], i: int, heads: int, ffn: bool) -> Tensor:\n")
                .append("    b = x.size(0)\n")
                .append("    s = x.size(1)\n")
                .append("    x2 = torch.reshape(x, [b * s, x.size(2)])\n") // (tokens, hidden)
                .append("    if heads > 0:\n")
                .append("      n = w[i].size(0)\n")
                // (tokens, 3 * heads * d), written into the scratch buffer
                .append("      p = torch.view(torch.narrow(sc, 0, 0, b * s * n), [b * s, n])\n")
                .append("      torch.addmm(w[i + 1], x2, torch.t(w[i]), out=p)\n")
                // (batch, seq, 3 * heads * d) -> (3, batch, heads, seq, d)
                .append("      qkv = torch.permute(torch.view(p, [b, s, 3, heads, ")
                .append(c.headSize()).append("]), [2, 0, 3, 1, 4])\n")
                // (batch, heads, seq, d), scaled by 1/sqrt(d)
                .append("      ctx = torch.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], mask)\n")
                // (tokens, hidden): the residual plus the output projection in one product, then its bias in place
                .append("      h = torch.addmm(x2, torch.reshape(torch.transpose(ctx, 1, 2), [b * s, heads * ")
                .append(c.headSize()).append("]), torch.t(w[i + 2]))\n")
                .append("      x = torch.view(h.add_(w[i + 3]), [b, s, x.size(2)])\n")
                .append("    else:\n")
                .append("      x = torch.add(x, w[i + 3])\n")
                .append("    x = torch.layer_norm(x, [").append(c.hiddenSize()).append("], w[i + 4], w[i + 5], ")
                .append(eps).append(")\n")
                .append("    if ffn:\n")
                .append("      x2 = torch.reshape(x, [b * s, x.size(2)])\n") // (tokens, hidden)
                .append("      n = w[i + 6].size(0)\n")
                // (tokens, ffn) in the scratch buffer, activated in place
                .append("      t = torch.view(torch.narrow(sc, 0, 0, b * s * n), [b * s, n])\n")
                .append("      torch.addmm(w[i + 7], x2, torch.t(w[i + 6]), out=t)\n")
                // (tokens, hidden): residual plus the down projection, then its bias in place
                .append("      h = torch.addmm(x2, ").append(act).append(", torch.t(w[i + 8]))\n")
                .append("      x = torch.view(h.add_(w[i + 9]), [b, s, x.size(2)])\n")
                .append("    else:\n")
                .append("      x = torch.add(x, w[i + 9])\n")
                .append("    return torch.layer_norm(x, [").append(c.hiddenSize()).append("], w[i + 10], w[i + 11], ")
                .append(eps).append(")\n");
        return s.toString();
    }

    @Override
    public synchronized void close() {
        if (scratchValue != null) {
            scratchValue.close();
        }
        weights.close();
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
