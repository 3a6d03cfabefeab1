package io.shrink.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.shrink.core.ShrinkException;
import io.shrink.core.checkpoint.FloatTensor;
import io.shrink.core.checkpoint.Safetensors;

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
 * BERT. The update runs outside autograd, in place; its state saves and loads exactly for resuming.
 */
public final class AdamW implements AutoCloseable {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
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
        t++;
        double c1 = 1 - Math.pow(beta1, t);
        double c2 = 1 - Math.pow(beta2, t);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray p = e.getValue();
            if (!p.hasGradient()) {
                continue;
            }
            try (NDManager scratch = manager.newSubManager()) {
                NDArray g = p.getGradient(); // a new handle on p's gradient, p's shape; closed with scratch
                g.attach(scratch);
                if (!g.any().getBoolean()) {
                    continue; // no gradient signal (e.g. a pooler the head does not use): torch skips such parameters
                }
                NDArray mt = m.computeIfAbsent(e.getKey(), k -> manager.zeros(p.getShape()));
                NDArray vt = v.computeIfAbsent(e.getKey(), k -> manager.zeros(p.getShape()));
                if (weightDecay > 0 && !noDecay(e.getKey())) {
                    p.muli(1 - lr * weightDecay);
                }
                mt.muli(beta1).addi(g.mul(1 - beta1));
                vt.muli(beta2).addi(g.square().muli(1 - beta2));
                NDArray vHat = vt.div(c2);
                vHat.attach(scratch);
                NDArray denom = vHat.sqrt().addi(eps); // in scratch, like vHat
                NDArray update = mt.div(denom);
                update.attach(scratch);
                p.subi(update.muli(lr / c1));
                g.muli(0); // zero the gradient for the next step
            }
        }
    }

    /** Saves the moments and step count. */
    public void save(Path file) throws IOException {
        List<FloatTensor> tensors = new ArrayList<>();
        m.forEach((k, a) -> tensors.add(new FloatTensor("m." + k, a.getShape().getShape(), a.toFloatArray())));
        v.forEach((k, a) -> tensors.add(new FloatTensor("v." + k, a.getShape().getShape(), a.toFloatArray())));
        Safetensors.write(file, tensors, Map.of("step", Integer.toString(t)));
    }

    /** Restores what {@link #save} wrote; {@code step} is the step count stored alongside. */
    public void load(Path file, int step) {
        for (FloatTensor ft : Safetensors.read(file).values()) {
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
        manager.close();
    }
}
