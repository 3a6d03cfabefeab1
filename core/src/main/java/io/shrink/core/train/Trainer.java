package io.shrink.core.train;

import io.shrink.core.model.ComputePrecision;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.checkpoint.Safetensors;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.WeightChecks;
import io.shrink.core.util.AtomicFiles;
import io.shrink.core.util.FileTrees;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training loop shared by fine-tuning and distillation: the encoder's forward and backward passes run fused
 * inside libtorch ({@link FusedStack}) in the run's {@link ComputePrecision}, micro-batches with gradient accumulation,
 * global-norm clipping, AdamW with a linear schedule, evaluation every N steps or each epoch with
 * best-checkpoint selection (or the last, {@link TrainOptions#keepLast}), and resumable checkpoints (weights, optimizer moments, data position).
 *
 * <p>Each optimizer step reseeds PyTorch from (seed, step) and each epoch's batches come from (seed, epoch),
 * so an interrupted run resumed from a checkpoint reaches exactly the weights of an uninterrupted one.
 * Every step's inputs and activations live in a per-step manager closed after the update (FACTS §2.2).
 */
public final class Trainer {
    /** Subdirectory of the run directory holding the last resumable checkpoint. */
    public static final String CHECKPOINT = "checkpoint";
    /** File in the run directory holding the kept weights: the best so far, or the last evaluated with keepLast. */
    public static final String BEST = "best.safetensors";
    /** Prefix of the folder a checkpoint is written into before it is renamed to {@link #CHECKPOINT}. */
    private static final String STAGING_PREFIX = ".checkpoint-";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What a trainer needs to know about a task. */
    public interface Task<B> {
        /** The micro-batches of an epoch, in order; must be the same every time for the same epoch. */
        List<B> batches(int epoch);

        /** Examples in a micro-batch (for speed reporting). */
        int size(B batch);

        /** The scalar training loss of a micro-batch; inputs are created in {@code step}. */
        NDArray loss(Encoder encoder, B batch, NDManager step);

        /** Evaluates on held-out data (no autograd, no dropout). */
        Evaluation evaluate(Encoder encoder);

        /** Extra progress text, e.g. running averages of each loss term (empty by default). */
        default String status() {
            return "";
        }

        /**
         * The loss terms of the last micro-batch, non-finite ones first (e.g. {@code non-finite: ce NaN; finite: hard
         * 0.6931}), for the error when training diverges; empty for a task with a single term (the default).
         */
        default String lossTerms() {
            return "";
        }
    }

    /**
     * An evaluation's outcome.
     *
     * @param main           the value used for best-checkpoint selection
     * @param higherIsBetter whether larger main values are better
     * @param metrics        every metric by name
     * @param outputs        the task's per-example outputs behind the metrics (kept in memory for the best
     *                       evaluation, so the final scoring need not run the model again), or null
     */
    public record Evaluation(double main, boolean higherIsBetter, Map<String, Double> metrics, Object outputs) {
        /** An evaluation without reusable outputs. */
        public Evaluation(double main, boolean higherIsBetter, Map<String, Double> metrics) {
            this(main, higherIsBetter, metrics, null);
        }
    }

    /**
     * What a finished run produced.
     *
     * @param state        the final state (steps, best score, history)
     * @param best         the best weights' file (the last weights when the run never evaluated)
     * @param trainSeconds wall-clock seconds spent training in this process
     * @param paused       whether the run stopped early (see {@link #run}'s {@code stopAfter}) with a checkpoint to resume
     * @param bestOutputs  the outputs of the evaluation that chose {@code best}, when it ran in this process; else null
     */
    public record Outcome(TrainState state, Path best, double trainSeconds, boolean paused, Object bestOutputs) {
    }

    private final TrainOptions options;
    private final Map<String, Object> optionMap;
    private final Progress progress;
    private Object bestOutputs;

    /**
     * @param options   the optimisation settings
     * @param optionMap every option of the run (stored with checkpoints; a resume must match it)
     * @param progress  where to report
     */
    public Trainer(TrainOptions options, Map<String, Object> optionMap, Progress progress) {
        this.options = options.validate();
        this.optionMap = optionMap;
        this.progress = progress;
    }

    /**
     * Trains {@code encoder} in place. With {@code resume}, continues from {@code runDir/checkpoint}.
     */
    public <B> Outcome run(Encoder encoder, Task<B> task, Path runDir, boolean resume) {
        return run(encoder, task, runDir, resume, 0);
    }

    /**
     * Trains {@code encoder} in place; with {@code stopAfter} > 0 this process takes at most that many optimizer
     * steps, then writes a checkpoint and returns a paused outcome (a bounded share of a long run).
     */
    public <B> Outcome run(Encoder encoder, Task<B> task, Path runDir, boolean resume, int stopAfter) {
        Engine engine = Engine.getEngine("PyTorch");
        Map<String, NDArray> params = encoder.parameters();
        int stepsPerEpoch = (task.batches(0).size() + options.gradAccumulation() - 1) / options.gradAccumulation();
        int total = options.epochs() * stepsPerEpoch;
        if (options.maxSteps() > 0) {
            total = Math.min(total, options.maxSteps());
        }
        Schedule schedule = Schedule.of(options.learningRate(), options.warmupRatio(), total);
        NDManager base = params.values().iterator().next().getManager();
        long started = System.nanoTime();
        try (AdamW adam = new AdamW(base, options.weightDecay())) {
            TrainState state = resume ? restore(encoder, adam, runDir)
                    : new TrainState(0, 0, 0, Double.NaN, -1, new ArrayList<>(), optionMap);
            params.values().forEach(p -> p.setRequiresGradient(true));
            // forward and backward inside libtorch, in the run's precision; evaluations on the fast path in it too
            FusedStack.install(encoder, options.precision());
            progress.start("train", total);
            progress.update(state.step(), state.step() == 0 ? "starting" : "resuming");
            double lossEma = Double.NaN;
            long examples = 0;
            long windowStart = System.nanoTime();
            int step = state.step();
            int firstStep = step;
            boolean paused = false;
            outer:
            for (int epoch = state.epoch(); epoch < options.epochs(); epoch++) {
                List<B> batches = task.batches(epoch);
                int bi = epoch == state.epoch() ? state.batchIndex() : 0;
                while (bi < batches.size()) {
                    if (step >= total) {
                        break outer;
                    }
                    if (stopAfter > 0 && step - firstStep >= stopAfter) {
                        save(encoder, adam, state, runDir);
                        progress.message("paused at step " + step + " of " + total + "; continue with --resume");
                        paused = true;
                        break outer;
                    }
                    int micro = Math.min(options.gradAccumulation(), batches.size() - bi);
                    Encoder.seed((int) (options.seed() * 1_000_003L + step));
                    double stepLoss = 0;
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        for (int k = 0; k < micro; k++) {
                            try (NDManager sm = base.newSubManager()) {
                                B batch = batches.get(bi + k);
                                NDArray loss = task.loss(encoder, batch, sm);
                                float value = loss.getFloat();
                                if (!Float.isFinite(value)) {
                                    throw diverged(encoder, task, "loss " + value, step, total, epoch, bi + k,
                                            schedule.at(step), runDir);
                                }
                                gc.backward(loss.div(sm.full(new Shape(), micro, DataType.FLOAT32)));
                                stepLoss += value / micro;
                                examples += task.size(batch);
                            }
                        }
                    }
                    double lr = schedule.at(step);
                    double norm = adam.step(params, lr, options.maxGradNorm()); // clips, updates, zeroes gradients
                    if (!Double.isFinite(norm)) {
                        throw diverged(encoder, task, String.format(Locale.ROOT, "gradient norm %s (loss %.4f)", norm,
                                stepLoss), step, total, epoch, bi, lr, runDir);
                    }
                    step++;
                    bi += micro;
                    lossEma = Double.isNaN(lossEma) ? stepLoss : 0.98 * lossEma + 0.02 * stepLoss;
                    if (step % options.logEvery() == 0 || step == total) {
                        double secs = (System.nanoTime() - windowStart) / 1e9;
                        String extra = task.status();
                        progress.update(step, String.format(Locale.ROOT, "loss %.4f%s lr %.2e |g| %.2f %.1f ex/s",
                                lossEma, extra.isEmpty() ? "" : " (" + extra + ")", lr, norm, examples / Math.max(secs, 1e-9)));
                        examples = 0;
                        windowStart = System.nanoTime();
                    }
                    boolean evalNow = options.evalEvery() > 0 && step % options.evalEvery() == 0;
                    boolean endOfEpoch = bi >= batches.size();
                    if (!evalNow && options.evalEvery() == 0 && endOfEpoch) {
                        evalNow = true;
                    }
                    if (step == total) {
                        evalNow = true;
                    }
                    int nextEpoch = endOfEpoch ? epoch + 1 : epoch;
                    int nextBatch = endOfEpoch ? 0 : bi;
                    if (evalNow) {
                        state = evaluate(encoder, task, state, step, epoch, nextEpoch, nextBatch, runDir);
                    } else {
                        state = new TrainState(step, nextEpoch, nextBatch, state.bestScore(), state.bestStep(),
                                state.evaluations(), optionMap);
                    }
                    boolean checkpointNow = options.checkpointEvery() > 0
                            ? step % options.checkpointEvery() == 0 || step == total : evalNow;
                    if (checkpointNow) {
                        save(encoder, adam, state, runDir);
                    }
                }
            }
            params.values().forEach(p -> p.setRequiresGradient(false));
            Path best = runDir.resolve(BEST);
            if (!paused && !Files.isRegularFile(best)) {
                writeWeights(encoder, best);
            }
            return new Outcome(state, best, (System.nanoTime() - started) / 1e9, paused, bestOutputs);
        } catch (IOException e) {
            throw ShrinkException.failed("cannot write training checkpoint in " + runDir + ": " + e.getMessage(), e);
        } finally {
            encoder.useStack(null);
            encoder.runLinearsIn(io.shrink.core.model.Quantization.Precision.FP32);
            progress.close();
        }
    }

    /**
     * The error for a non-finite loss or gradient: what went non-finite, where (step, epoch, micro-batch), which loss
     * terms did, whether the weights were still finite, the learning rate, and the checkpoint to go back to. A first
     * step that diverges cannot be the learning rate's doing (warm-up starts at 0), so the hint points at the model
     * and data then, at the learning rate and clipping otherwise.
     */
    private ShrinkException diverged(Encoder encoder, Task<?> task, String what, int step, int total, int epoch,
                                     int batch, double lr, Path runDir) {
        String bad = null;
        for (Map.Entry<String, NDArray> e : encoder.parameters().entrySet()) {
            NDArray p = e.getValue();
            if (p.isNaN().any().getBoolean() || p.isInfinite().any().getBoolean()) {
                bad = e.getKey();
                break;
            }
        }
        String terms = task.lossTerms();
        Path checkpoint = runDir.resolve(CHECKPOINT).resolve("state.json");
        String hint = bad != null ? "the weights were already non-finite (first: " + bad + ")"
                : step == 0 || lr == 0 ? "the weights were finite and the learning rate " + fmt(lr)
                + " had not moved them: check the model ('shrink predict') and the data"
                : "the weights were finite; at learning rate " + fmt(lr) + " try a lower --lr or --max-grad-norm";
        return ShrinkException.failed(String.format(Locale.ROOT, "training diverged at step %d of %d (epoch %d, micro-batch %d): %s%s; %s%s",
                step, total, epoch, batch, what, terms.isEmpty() ? "" : " (" + terms + ")", hint,
                Files.isRegularFile(checkpoint) ? "; the last checkpoint is in " + checkpoint.getParent() : ""), null);
    }

    private static String fmt(double lr) {
        return String.format(Locale.ROOT, "%.2e", lr);
    }

    private <B> TrainState evaluate(Encoder encoder, Task<B> task, TrainState state, int step, int epoch,
                                    int nextEpoch, int nextBatch, Path runDir) throws IOException {
        Evaluation ev = task.evaluate(encoder);
        List<Map<String, Object>> history = new ArrayList<>(state.evaluations());
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", step);
        row.put("epoch", epoch);
        row.put("metrics", ev.metrics());
        history.add(row);
        boolean better = Double.isNaN(state.bestScore())
                || (ev.higherIsBetter() ? ev.main() > state.bestScore() : ev.main() < state.bestScore());
        boolean keep = better || options.keepLast();
        double bestScore = keep ? ev.main() : state.bestScore();
        int bestStep = keep ? step : state.bestStep();
        if (keep) {
            writeWeights(encoder, runDir.resolve(BEST));
            bestOutputs = ev.outputs();
        }
        progress.message(String.format(Locale.ROOT, "step %d: %s%s", step, ev.metrics(),
                options.keepLast() ? "" : better ? " (best so far)" : ""));
        return new TrainState(step, nextEpoch, nextBatch, bestScore, bestStep, history, optionMap);
    }

    private static void writeWeights(Encoder encoder, Path file) throws IOException {
        List<FloatTensor> tensors = new ArrayList<>();
        encoder.parameters().forEach((name, a) -> tensors.add(new FloatTensor(name, a.getShape().getShape(), a.toFloatArray())));
        Safetensors.write(file, tensors, Map.of());
    }

    private void save(Encoder encoder, AdamW adam, TrainState state, Path runDir) throws IOException {
        Files.createDirectories(runDir);
        Path tmp = AtomicFiles.createStagingDirectory(runDir, STAGING_PREFIX);
        writeWeights(encoder, tmp.resolve("model.safetensors"));
        adam.save(tmp.resolve("optimizer.safetensors"));
        AtomicFiles.writeString(tmp.resolve("state.json"), JSON.writeValueAsString(state) + "\n");
        Path target = runDir.resolve(CHECKPOINT);
        Path old = runDir.resolve(CHECKPOINT + ".old");
        FileTrees.delete(old);
        if (Files.exists(target)) {
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        FileTrees.delete(old);
    }

    private TrainState restore(Encoder encoder, AdamW adam, Path runDir) {
        removeStaging(runDir);
        Path dir = runDir.resolve(CHECKPOINT);
        if (!Files.isRegularFile(dir.resolve("state.json"))) {
            Path old = runDir.resolve(CHECKPOINT + ".old");
            if (!Files.isRegularFile(old.resolve("state.json"))) {
                throw ShrinkException.corrupt(runDir + ": no checkpoint to resume from");
            }
            dir = old;
        }
        TrainState state;
        try {
            state = JSON.readValue(dir.resolve("state.json").toFile(), TrainState.class);
        } catch (IOException e) {
            throw ShrinkException.corrupt(dir.resolve("state.json") + ": unreadable training state");
        }
        if (!normalised(state.options()).equals(normalised(optionMap))) {
            throw ShrinkException.usage("cannot resume " + runDir + ": options differ from the interrupted run's "
                    + state.options());
        }
        Map<String, FloatTensor> weights = Safetensors.read(dir.resolve("model.safetensors"));
        WeightChecks.requireUsable(weights.values(), dir.resolve("model.safetensors").toString(),
                "the checkpoint is corrupt; start the run again without --resume in a new --run-dir");
        for (Map.Entry<String, NDArray> e : encoder.parameters().entrySet()) {
            FloatTensor t = weights.get(e.getKey());
            if (t == null || !java.util.Arrays.equals(t.shape(), e.getValue().getShape().getShape())) {
                throw ShrinkException.corrupt(dir + ": checkpoint does not match the model at " + e.getKey());
            }
            e.getValue().set(FloatBuffer.wrap(t.data()));
        }
        adam.load(dir.resolve("optimizer.safetensors"), state.step());
        progress.message("resumed from " + dir + " at step " + state.step());
        return state;
    }

    /**
     * Deletes the {@code .checkpoint-*} staging folders of checkpoint writes that never finished (the process was
     * killed before the rename); one training run owns its run folder, so none of them is still being written.
     */
    private static void removeStaging(Path runDir) {
        if (!Files.isDirectory(runDir)) {
            return;
        }
        try (java.util.stream.Stream<Path> s = Files.list(runDir)) {
            s.filter(p -> p.getFileName().toString().startsWith(STAGING_PREFIX) && Files.isDirectory(p))
                    .toList().forEach(FileTrees::deleteQuietly);
        } catch (IOException e) {
            throw ShrinkException.failed("cannot list run directory " + runDir + ": " + e.getMessage(), e);
        }
    }

    /** A value as JSON read back, so numbers compare by value whatever Java type held them. */
    private static com.fasterxml.jackson.databind.JsonNode normalised(Object value) {
        try {
            return JSON.readTree(JSON.writeValueAsString(value));
        } catch (IOException e) {
            throw new IllegalStateException("options are not serialisable", e);
        }
    }

    /** Loads a weights file into a checkpoint of the same shape (e.g. the best weights after training). */
    public static Checkpoint withWeights(Checkpoint shape, Path weightsFile) {
        Map<String, FloatTensor> w = Safetensors.read(weightsFile);
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        for (String name : shape.tensors().keySet()) {
            FloatTensor t = w.get(name);
            if (t == null) {
                throw ShrinkException.corrupt(weightsFile + ": missing " + name);
            }
            out.put(name, t);
        }
        return new Checkpoint(shape.config(), shape.head(), out, shape.tokenizer());
    }
}
