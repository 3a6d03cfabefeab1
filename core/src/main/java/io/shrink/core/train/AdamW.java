package io.shrink.core.train;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.WeightChecks;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.checkpoint.Safetensors;
import io.shrink.core.infer.TorchScriptArchive;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter 2019), as {@code torch.optim.AdamW}: for each
 * parameter p with gradient g at step t, {@code p -= lr*wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
 * p -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)}. Biases and LayerNorm weights get no decay, as in
 * BERT; a parameter whose gradient is all zero (e.g. a pooler the head does not use) is left alone, as torch
 * leaves a parameter without gradient. Global-norm gradient clipping runs in the same call.
 *
 * <p>The update is PyTorch's fused multi-tensor kernel ({@code torch._fused_adamw_}, one pass over each
 * parameter, gradient and moment) called through TorchScript written from Java (FACTS §3); on BERT-base's
 * 108M parameters it took 0.07 s per step against 1.5 s for a per-tensor loop of DJL ops. It runs outside
 * autograd, in place, zeroes the gradients afterwards, and its state saves and loads exactly for resuming.
 */
public final class AdamW implements AutoCloseable {
    private static final String CLASS = "FusedAdamW";
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private Model script;
    private int t;

    /** AdamW with torch's defaults (betas 0.9/0.999, eps 1e-8); state lives in a child of {@code parent}. */
    public AdamW(NDManager parent, double weightDecay) {
        this(parent, weightDecay, 0.9, 0.999, 1e-8);
    }

    /** AdamW with explicit betas and epsilon; state lives in a child of {@code parent}. */
    public AdamW(NDManager parent, double weightDecay, double beta1, double beta2, double eps) {
        this.manager = parent.newSubManager();
        this.weightDecay = weightDecay;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /** Steps taken so far. */
    public int steps() {
        return t;
    }

    /** Whether a parameter is exempt from weight decay (biases and LayerNorm weights). */
    static boolean noDecay(String name) {
        return name.endsWith(".bias") || name.contains("LayerNorm");
    }

    /** Applies one update with learning rate {@code lr} to every parameter that has a gradient, then zeroes the gradients. */
    public void step(Map<String, NDArray> params, double lr) {
        step(params, lr, 0);
    }

    /**
     * Clips the global gradient norm to {@code maxGradNorm} (0 = no clipping), applies one update with learning
     * rate {@code lr}, zeroes the gradients and returns the gradient norm before clipping.
     */
    public double step(Map<String, NDArray> params, double lr, double maxGradNorm) {
        t++;
        List<String> names = new ArrayList<>();
        List<NDArray> grads = new ArrayList<>();
        try {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                if (e.getValue().hasGradient()) {
                    names.add(e.getKey());
                    grads.add(e.getValue().getGradient()); // a new handle on the parameter's gradient
                }
            }
            float[] normAndFlags; // [global norm before clipping, then 1 per parameter with a non-zero gradient]
            try (IValue list = IValue.listFrom(grads.stream().map(g -> (PtNDArray) g).toArray(PtNDArray[]::new));
                 IValue max = IValue.from(maxGradNorm);
                 IValue out = IValueUtils.runMethod(block(), "clip_and_flag", list, max);
                 NDManager scratch = manager.newSubManager()) {
                normAndFlags = out.toTensor((PtNDManager) scratch).toFloatArray();
            }
            List<List<PtNDArray>> decay = groups();
            List<List<PtNDArray>> plain = groups();
            for (int i = 0; i < names.size(); i++) {
                if (normAndFlags[i + 1] == 0f) {
                    continue; // no gradient signal: left alone, as torch leaves a parameter without gradient
                }
                String name = names.get(i);
                NDArray p = params.get(name);
                NDArray mt = m.computeIfAbsent(name, k -> manager.zeros(p.getShape()));
                NDArray vt = v.computeIfAbsent(name, k -> manager.zeros(p.getShape()));
                List<List<PtNDArray>> group = weightDecay > 0 && !noDecay(name) ? decay : plain;
                group.get(0).add((PtNDArray) p);
                group.get(1).add((PtNDArray) grads.get(i));
                group.get(2).add((PtNDArray) mt);
                group.get(3).add((PtNDArray) vt);
            }
            update(decay, lr, weightDecay);
            update(plain, lr, 0);
            return normAndFlags[0];
        } finally {
            grads.forEach(NDArray::close);
        }
    }

    /** One fused AdamW update of a group (parameters, gradients, moments), then its gradients are zeroed. */
    private void update(List<List<PtNDArray>> group, double lr, double wd) {
        if (group.get(0).isEmpty()) {
            return;
        }
        List<IValue> args = new ArrayList<>();
        for (List<PtNDArray> list : group) {
            args.add(IValue.listFrom(list.toArray(new PtNDArray[0])));
        }
        for (double d : new double[] {lr, wd, t, beta1, beta2, eps}) {
            args.add(IValue.from(d));
        }
        try {
            IValueUtils.runMethod(block(), "update", args.toArray(new IValue[0])).close();
        } finally {
            args.forEach(IValue::close);
        }
    }

    /** Clips the global gradient norm to {@code max} (0 = only measure) and returns the norm before clipping. */
    double clip(Map<String, NDArray> params, double max) {
        List<PtNDArray> grads = new ArrayList<>();
        for (NDArray p : params.values()) {
            if (p.hasGradient()) {
                grads.add((PtNDArray) p.getGradient());
            }
        }
        try (IValue list = IValue.listFrom(grads.toArray(new PtNDArray[0])); IValue maxNorm = IValue.from(max);
             IValue out = IValueUtils.runMethod(block(), "clip_and_flag", list, maxNorm);
             NDManager scratch = manager.newSubManager()) {
            return out.toTensor((PtNDManager) scratch).toFloatArray()[0];
        } finally {
            grads.forEach(NDArray::close);
        }
    }

    private static List<List<PtNDArray>> groups() {
        return List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    }

    private PtSymbolBlock block() {
        if (script == null) {
            Model model = Model.newInstance("fused-adamw", ai.djl.Device.cpu(), "PyTorch");
            try {
                model.load(new java.io.ByteArrayInputStream(TorchScriptArchive.write("fused_adamw", CLASS, SOURCE)), Map.of());
            } catch (IOException | ai.djl.MalformedModelException e) {
                model.close();
                throw new IllegalStateException("libtorch rejected the optimizer's TorchScript: " + e.getMessage(), e);
            }
            script = model;
        }
        return (PtSymbolBlock) script.getBlock();
    }

    /**
     * The optimizer's TorchScript. Every in-place op works on a list passed in from Java: TorchScript's
     * dead-code elimination dropped in-place updates of lists built inside a method (measured: no update).
     * {@code clip_and_flag} scales the gradients to the global norm bound and returns the norm before clipping
     * followed by a 0/1 flag per gradient (1 = non-zero); {@code update} is one fused AdamW step of a group.
     */
    private static final String SOURCE = """
            class FusedAdamW(Module):
              __parameters__ = []
              __buffers__ = []
              training : bool
              def clip_and_flag(self, g: List[Tensor], max_norm: float) -> Tensor:
                total = torch.zeros([1])
                if len(g) > 0:
                  total = torch.reshape(torch.sqrt(torch.sum(torch.square(torch.stack(torch._foreach_norm(g))))), [1])
                  if max_norm > 0.0:
                    n = float(total)
                    if n > max_norm:
                      torch._foreach_mul_(g, max_norm / (n + 1e-06))
                flags = [torch.reshape(torch.any(torch.ne(x, 0.0)), [1]).float() for x in g]
                return torch.cat([total] + flags)
              def update(self, p: List[Tensor], g: List[Tensor], m: List[Tensor], v: List[Tensor], lr: float, wd: float, t: float, b1: float, b2: float, eps: float) -> Tensor:
                steps = [torch.full([], t) for x in p]
                torch._fused_adamw_(p, g, m, v, [], steps, lr=lr, beta1=b1, beta2=b2, weight_decay=wd, eps=eps, amsgrad=False, maximize=False)
                torch._foreach_zero_(g)
                return steps[0]
            """;

    /** Saves the moments and step count. */
    public void save(Path file) throws IOException {
        List<FloatTensor> tensors = new ArrayList<>();
        m.forEach((k, a) -> tensors.add(new FloatTensor("m." + k, a.getShape().getShape(), a.toFloatArray())));
        v.forEach((k, a) -> tensors.add(new FloatTensor("v." + k, a.getShape().getShape(), a.toFloatArray())));
        Safetensors.write(file, tensors, Map.of("step", Integer.toString(t)));
    }

    /** Restores what {@link #save} wrote; {@code step} is the step count stored alongside. */
    public void load(Path file, int step) {
        Map<String, FloatTensor> state = Safetensors.read(file);
        WeightChecks.requireFinite(state.values(), file.toString(),
                "the checkpoint is corrupt; start the run again without --resume in a new --run-dir");
        for (FloatTensor ft : state.values()) {
            NDArray a = manager.create(FloatBuffer.wrap(ft.data()), new ai.djl.ndarray.types.Shape(ft.shape()));
            if (ft.name().startsWith("m.")) {
                m.put(ft.name().substring(2), a);
            } else if (ft.name().startsWith("v.")) {
                v.put(ft.name().substring(2), a);
            } else {
                throw ShrinkException.corrupt(file + ": unexpected optimizer tensor " + ft.name());
            }
        }
        t = step;
    }

    @Override
    public void close() {
        if (script != null) {
            script.close();
        }
        manager.close();
    }
}
