package io.shrink.core.train;

import io.shrink.core.model.ComputePrecision;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import io.shrink.core.infer.Kernels;
import io.shrink.core.infer.TorchScriptArchive;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.EncoderConfig;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.shrink.core.model.CanonicalNames.*;

/**
 * The encoder's embeddings and transformer layers as one TorchScript module written from Java
 * ({@link TorchScriptArchive}), for training: libtorch runs the whole forward pass and records it for autograd,
 * so the backward pass runs inside libtorch as well, with gradients flowing to the encoder's own parameter arrays
 * (FACTS §3: a method called through {@code IValueUtils.forward(block, list, true)}). The query, key and value
 * projections run as one product of the concatenated matrices; attention is {@code scaled_dot_product_attention}
 * (its dropout and backward included) unless the caller asks for the attention distributions, which an explicit
 * float32 softmax then returns.
 *
 * <p>In {@link ComputePrecision#BF16}, every linear layer and attention run in bfloat16 from bf16 casts of the float32
 * master weights (the casts are differentiable, so gradients reach the float32 weights in float32), while
 * embeddings, layer norm, dropout, residual adds and everything after the encoder stay float32: what PyTorch's CPU
 * autocast does. Where the CPU has no bf16 hardware ({@link Kernels#bf16Native()} false), bf16 is emulated: the
 * matmul inputs are rounded to bf16 and multiplied in float32 (same numerics, no speed-up).
 *
 * <p>Dropout uses PyTorch's global generator, which the trainer seeds every step, so a run repeats exactly.
 */
public final class FusedStack implements Encoder.Stack {
    private static final String CLASS = "FusedStack";
    private static final int PER_LAYER = 16;

    private final EncoderConfig config;
    private final ComputePrecision precision;
    private final List<NDArray> weights;
    private final Model model;
    private final PtSymbolBlock block;

    private FusedStack(EncoderConfig config, ComputePrecision precision, List<NDArray> weights, Model model,
                       PtSymbolBlock block) {
        this.config = config;
        this.precision = precision;
        this.weights = weights;
        this.model = model;
        this.block = block;
    }

    /** A stack over {@code encoder}'s parameters, computing in {@code precision}; install it with {@link Encoder#useStack}. */
    public static FusedStack of(Encoder encoder, ComputePrecision precision) {
        return of(encoder, precision, Kernels.thisCpu().bf16Native());
    }

    /** As {@link #of(Encoder, ComputePrecision)}, with bf16 native or emulated as given (tests run both anywhere). */
    static FusedStack of(Encoder encoder, ComputePrecision precision, boolean bf16Native) {
        EncoderConfig c = encoder.config();
        c.validate();
        Map<String, NDArray> p = encoder.parameters();
        List<NDArray> list = new ArrayList<>();
        embeddingSlots(c).forEach(name -> list.add(p.get(name)));
        for (int i = 0; i < c.storedLayers(); i++) {
            for (String prefix : layerModules(i)) {
                list.add(p.get(prefix + ".weight"));
                list.add(p.get(prefix + ".bias"));
            }
        }
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == null) {
                throw new IllegalArgumentException("missing encoder parameter number " + i + " for " + c.family());
            }
        }
        Model model = Model.newInstance("fused-stack", Device.cpu(), "PyTorch");
        try {
            byte[] archive = TorchScriptArchive.write("fused_stack", CLASS, source(c, precision, bf16Native));
            model.load(new ByteArrayInputStream(archive), Map.of());
        } catch (IOException | MalformedModelException e) {
            model.close();
            throw new IllegalStateException("libtorch rejected the generated TorchScript: " + e.getMessage(), e);
        }
        return new FusedStack(c, precision, List.copyOf(list), model, (PtSymbolBlock) model.getBlock());
    }

    /**
     * Makes {@code encoder} compute in {@code precision}: its forward pass through a new fused stack, and the fast
     * inference path built on it (evaluations, a teacher's pass) with its float32 linears in that precision.
     */
    public static void install(Encoder encoder, ComputePrecision precision) {
        encoder.useStack(of(encoder, precision));
        encoder.runLinearsIn(precision.linears());
    }

    /** The precision this stack computes in. */
    public ComputePrecision precision() {
        return precision;
    }

    @Override
    public Encoder.Output forward(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, boolean training,
                                  boolean keepHidden, boolean keepAttention) {
        long seq = inputIds.getShape().get(1);
        if (seq > config.maxPositions()) {
            throw new IllegalArgumentException("sequence length " + seq + " exceeds max positions " + config.maxPositions());
        }
        NDManager m = inputIds.getManager();
        String method = String.format(Locale.ROOT, "f%d%d%d%d", attentionMask != null ? 1 : 0, training ? 1 : 0,
                keepHidden ? 1 : 0, keepAttention ? 1 : 0);
        NDList in = new NDList();
        NDArray tag = m.zeros(new Shape(1)); // (1,): only carries the method's name
        tag.setName("module_method:" + method);
        in.add(tag);
        in.add(inputIds);
        in.add(tokenTypeIds != null ? tokenTypeIds : m.zeros(inputIds.getShape(), DataType.INT64)); // (batch, seq)
        if (attentionMask != null) {
            in.add(attentionMask);
        }
        for (NDArray w : weights) {
            // a view of the parameter (autograd flows through it to the parameter), named to join the weight list
            NDArray v = w.reshape(w.getShape());
            v.attach(m);
            v.setName("w[]");
            in.add(v);
        }
        NDList out;
        // the profiling graph executor's optimisations (differentiable subgraphs) made training steps 20-40% slower and
        // held 2 GB more (bert-6l, batch 32 x 64, AMD EPYC Zen 4): run the plain interpreter, then restore the default
        JniUtils.setGraphExecutorOptimize(false);
        try {
            out = IValueUtils.forward(block, in, true);
        } finally {
            JniUtils.setGraphExecutorOptimize(true);
        }
        // [last hidden, (embedding output, every layer's output)?, (every layer's attention)?]
        int at = 1;
        List<NDArray> hidden = null;
        if (keepHidden) {
            hidden = new ArrayList<>();
            for (int l = 0; l <= config.numLayers(); l++) {
                hidden.add(out.get(at + l));
            }
            at += config.numLayers() + 1;
        }
        List<NDArray> attentions = null;
        if (keepAttention) {
            attentions = new ArrayList<>();
            for (int l = 0; l < config.numLayers(); l++) {
                NDArray a = out.get(at + l);
                attentions.add(a.getShape().dimension() == 1 ? null : a); // an empty (0,) marks a layer without heads
            }
        }
        return new Encoder.Output(out.get(0), hidden, attentions);
    }

    /**
     * The TorchScript source: entry methods {@code f<mask><training><hidden><attention>} (each 0 or 1) over
     * {@code run}, and one layer method; shapes, dropout rates and the precision's casts are literals.
     * Arguments: ids, types, [mask,] the weight list in the order of {@link #of}.
     */
    static String source(EncoderConfig c, ComputePrecision precision, boolean bf16Native) {
        String eps = num(c.layerNormEps());
        String hd = num(c.hiddenDropout());
        String ad = num(c.attentionDropout());
        boolean bf16 = precision == ComputePrecision.BF16;
        // the dtype matmul inputs are cast to: 15 = bfloat16, 6 = float32
        String cast = !bf16 ? "%s" : bf16Native ? "torch.to(%s, 15)" : "torch.to(torch.to(%s, 15), 6)";
        StringBuilder s = new StringBuilder();
        s.append("class ").append(CLASS).append("(Module):\n")
                .append("  __parameters__ = []\n")
                .append("  __buffers__ = []\n")
                .append("  training : bool\n");
        for (int mask = 0; mask < 2; mask++) {
            for (int bits = 0; bits < 8; bits++) {
                boolean training = (bits & 4) != 0;
                boolean keepH = (bits & 2) != 0;
                boolean keepA = (bits & 1) != 0;
                s.append("  def f").append(mask).append(training ? 1 : 0).append(keepH ? 1 : 0).append(keepA ? 1 : 0)
                        .append("(self, ids: Tensor, types: Tensor, ").append(mask == 1 ? "mask: Tensor, " : "")
                        .append("w: List[Tensor]) -> List[Tensor]:\n");
                if (mask == 1) {
                    s.append("    keep = torch.unsqueeze(torch.unsqueeze(torch.gt(mask, 0), 1), 1)\n"); // (batch, 1, 1, seq)
                }
                s.append("    return self.run(ids, types, ").append(mask == 1 ? "keep" : "None").append(", w, ")
                        .append(py(training)).append(", ").append(py(keepH)).append(", ").append(py(keepA)).append(")\n");
            }
        }
        s.append("  def lin(self, x: Tensor, w: Tensor, b: Tensor) -> Tensor:\n")
                .append("    return torch.linear(").append(cast.formatted("x")).append(", ").append(cast.formatted("w"))
                .append(", ").append(cast.formatted("b")).append(")\n");
        s.append("  def run(self, ids: Tensor, types: Tensor, keep: Optional[Tensor], w: List[Tensor], training: bool, ")
                .append("keep_h: bool, keep_a: bool) -> List[Tensor]:\n")
                .append("    seq = ids.size(1)\n")
                // (batch, seq, emb): word + position (first seq rows of the table) [+ token type]
                .append("    x = torch.add(torch.embedding(w[0], ids), torch.narrow(w[1], 0, 0, seq))\n");
        if (c.typeVocabSize() > 0) {
            s.append("    x = torch.add(x, torch.embedding(w[2], types))\n");
        }
        s.append("    x = torch.dropout(torch.layer_norm(x, [").append(c.embeddingSize()).append("], w[3], w[4], ")
                .append(eps).append("), ").append(hd).append(", training)\n");
        if (c.factorisedEmbeddings()) {
            s.append("    x = torch.to(self.lin(x, w[5], w[6]), 6)\n"); // (batch, seq, hidden)
        }
        s.append("    hs = annotate(List[Tensor], [])\n")
                .append("    at = annotate(List[Tensor], [])\n")
                .append("    if keep_h:\n")
                .append("      hs.append(x)\n");
        for (int l = 0; l < c.numLayers(); l++) {
            int i = c.storedIndex(l);
            s.append("    x = self.layer(x, keep, w, ").append(7 + PER_LAYER * i).append(", ").append(c.headsOf(i))
                    .append(", ").append(py(c.ffnOf(i) > 0)).append(", training, keep_a, at)\n")
                    .append("    if keep_h:\n")
                    .append("      hs.append(x)\n");
        }
        s.append("    out = [x]\n")
                .append("    out.extend(hs)\n")
                .append("    out.extend(at)\n")
                .append("    return out\n");
        layer(s, c, eps, hd, ad);
        return s.toString();
    }

    /** One post-LayerNorm transformer layer; {@code i} indexes its 16 weights (q, k, v, o, ln, in, out, ln). */
    private static void layer(StringBuilder s, EncoderConfig c, String eps, String hd, String ad) {
        String act = switch (c.hiddenAct()) {
            case "relu" -> "torch.relu(t)";
            // 0.5 t (1 + tanh(sqrt(2/pi) (t + 0.044715 t^3))), written out: archive version 3 predates gelu's approximate=
            case "gelu_new" -> String.format(Locale.ROOT,
                    "torch.mul(torch.mul(t, 0.5), torch.add(torch.tanh(torch.mul(torch.add(t, torch.mul(torch.pow(t, 3), "
                            + "0.044715)), %.17g)), 1.0))", Math.sqrt(2.0 / Math.PI));
            default -> "torch.gelu(t)";
        };
        String h = String.valueOf(c.hiddenSize());
        int d = c.headSize();
        s.append("  def layer(self, x: Tensor, keep: Optional[Tensor], w: List[Tensor], i: int, heads: int, ffn: bool, ")
                .append("training: bool, keep_a: bool, at: List[Tensor]) -> Tensor:\n")
                .append("    bs = x.size(0)\n")
                .append("    s = x.size(1)\n")
                .append("    x2 = torch.reshape(x, [bs * s, ").append(h).append("])\n") // (tokens, hidden)
                .append("    if heads > 0:\n")
                // (tokens, 3 * heads * d): one product of the concatenated query, key and value matrices
                .append("      p = self.lin(x2, torch.cat([w[i], w[i + 2], w[i + 4]], 0), torch.cat([w[i + 1], w[i + 3], w[i + 5]], 0))\n")
                // (3, batch, heads, seq, d)
                .append("      qkv = torch.permute(torch.view(p, [bs, s, 3, heads, ").append(d).append("]), [2, 0, 3, 1, 4])\n")
                .append("      if keep_a:\n")
                // (batch, heads, seq, seq) in float32, masked, softmax: the distributions are returned
                .append("        sc = torch.mul(torch.matmul(torch.to(qkv[0], 6), torch.transpose(torch.to(qkv[1], 6), 2, 3)), ")
                .append(num(1.0 / Math.sqrt(d))).append(")\n")
                .append("        if keep is not None:\n")
                .append("          sc = torch.masked_fill(sc, torch.logical_not(keep), -3.4028234663852886e+38)\n")
                .append("        dist = torch.softmax(sc, -1)\n")
                .append("        at.append(dist)\n")
                .append("        ctx = torch.matmul(torch.to(torch.dropout(dist, ").append(ad).append(", training), qkv[2].dtype), qkv[2])\n")
                .append("      else:\n")
                .append("        ctx = torch.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], keep, ")
                .append(ad).append(" if training else 0.0)\n") // (batch, heads, seq, d)
                .append("      c2 = torch.reshape(torch.transpose(ctx, 1, 2), [bs * s, heads * ").append(d).append("])\n")
                .append("      o = torch.to(torch.dropout(self.lin(c2, w[i + 6], w[i + 7]), ").append(hd).append(", training), 6)\n")
                .append("      x = torch.add(torch.view(o, [bs, s, ").append(h).append("]), x)\n")
                .append("    else:\n")
                .append("      if keep_a:\n")
                .append("        at.append(torch.zeros([0]))\n")
                .append("      x = torch.add(x, torch.dropout(torch.add(torch.zeros_like(x), w[i + 7]), ").append(hd).append(", training))\n")
                .append("    x = torch.layer_norm(x, [").append(h).append("], w[i + 8], w[i + 9], ").append(eps).append(")\n")
                .append("    if ffn:\n")
                .append("      x2 = torch.reshape(x, [bs * s, ").append(h).append("])\n")
                .append("      t = self.lin(x2, w[i + 10], w[i + 11])\n") // (tokens, ffn)
                .append("      a = ").append(act).append("\n")
                .append("      o = torch.to(torch.dropout(self.lin(a, w[i + 12], w[i + 13]), ").append(hd).append(", training), 6)\n")
                .append("      x = torch.add(torch.view(o, [bs, s, ").append(h).append("]), x)\n")
                .append("    else:\n")
                .append("      x = torch.add(x, torch.dropout(torch.add(torch.zeros_like(x), w[i + 13]), ").append(hd).append(", training))\n")
                .append("    return torch.layer_norm(x, [").append(h).append("], w[i + 14], w[i + 15], ").append(eps).append(")\n");
    }

    private static String py(boolean b) {
        return b ? "True" : "False";
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.17g", v);
    }

    @Override
    public void close() {
        model.close();
    }
}
