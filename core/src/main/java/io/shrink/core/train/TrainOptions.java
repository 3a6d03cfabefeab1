package io.shrink.core.train;

import io.shrink.core.model.ComputePrecision;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.shrink.core.ShrinkException;

import java.util.ArrayList;
import java.util.List;

/**
 * The optimisation settings of a training run, with Hugging Face Trainer-like defaults: AdamW with
 * decoupled weight decay (Loshchilov and Hutter 2019), linear warm-up then linear decay, global-norm
 * gradient clipping and gradient accumulation.
 *
 * @param learningRate    peak learning rate
 * @param weightDecay     decoupled weight decay (not applied to biases and LayerNorm weights)
 * @param warmupRatio     fraction of the total steps spent warming up linearly from 0
 * @param epochs          passes over the training data
 * @param maxSteps        stop after this many optimizer steps (0 = no limit besides epochs)
 * @param batchSize       examples per micro-batch
 * @param gradAccumulation micro-batches per optimizer step
 * @param maxGradNorm     clip the global gradient norm to this (0 = off)
 * @param seed            seed for data order and dropout
 * @param evalEvery       evaluate every this many optimizer steps (0 = at the end of each epoch)
 * @param checkpointEvery write a resumable checkpoint every this many optimizer steps (0 = each evaluation)
 * @param logEvery        report progress every this many optimizer steps
 * @param keepLast        keep the weights of the last evaluation (the end of training) rather than those of the
 *                        best one; Hugging Face Trainer's default (its {@code load_best_model_at_end=False}). Left
 *                        out of the JSON form when false, so checkpoints written before the option existed resume
 * @param precision       what the forward and backward passes compute in ({@link ComputePrecision}); null means fp32.
 *                        Recorded with the options, so a run resumes only in the precision it started in
 */
@JsonPropertyOrder({"learningRate", "weightDecay", "warmupRatio", "epochs", "maxSteps", "batchSize",
        "gradAccumulation", "maxGradNorm", "seed", "evalEvery", "checkpointEvery", "logEvery", "keepLast", "precision"})
public record TrainOptions(double learningRate, double weightDecay, double warmupRatio, int epochs, int maxSteps,
                           int batchSize, int gradAccumulation, double maxGradNorm, long seed, int evalEvery,
                           int checkpointEvery, int logEvery,
                           @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean keepLast, ComputePrecision precision) {

    /** Float32 when no precision is given. */
    public TrainOptions {
        if (precision == null) {
            precision = ComputePrecision.FP32;
        }
    }

    /** Settings training in float32. */
    public TrainOptions(double learningRate, double weightDecay, double warmupRatio, int epochs, int maxSteps,
                        int batchSize, int gradAccumulation, double maxGradNorm, long seed, int evalEvery,
                        int checkpointEvery, int logEvery, boolean keepLast) {
        this(learningRate, weightDecay, warmupRatio, epochs, maxSteps, batchSize, gradAccumulation, maxGradNorm, seed,
                evalEvery, checkpointEvery, logEvery, keepLast, ComputePrecision.FP32);
    }

    /** {@code --keep}: "best" or "last" (any case); anything else is a usage error. */
    public static boolean keepLast(String keep) {
        for (Keep k : Keep.values()) {
            if (k.name().equalsIgnoreCase(keep)) {
                return k == Keep.LAST;
            }
        }
        throw ShrinkException.usage("--keep must be best or last, got '" + keep + "'");
    }

    /** Which weights the run keeps. */
    public Keep keep() {
        return keepLast ? Keep.LAST : Keep.BEST;
    }

    /** "last" or "best", as {@code --keep} takes it. */
    public String kept() {
        return keep().toString();
    }

    /** Checks the values; a usage error lists every bad one. */
    public TrainOptions validate() {
        List<String> bad = new ArrayList<>();
        if (!(learningRate > 0 && learningRate < 1)) {
            bad.add("learning rate " + learningRate + " (expected 0 < lr < 1)");
        }
        if (weightDecay < 0) {
            bad.add("weight decay " + weightDecay);
        }
        if (warmupRatio < 0 || warmupRatio >= 1) {
            bad.add("warm-up ratio " + warmupRatio + " (expected 0 <= r < 1)");
        }
        if (epochs < 1) {
            bad.add("epochs " + epochs);
        }
        if (maxSteps < 0) {
            bad.add("max steps " + maxSteps);
        }
        if (batchSize < 1) {
            bad.add("batch size " + batchSize);
        }
        if (gradAccumulation < 1) {
            bad.add("gradient accumulation " + gradAccumulation);
        }
        if (maxGradNorm < 0) {
            bad.add("max gradient norm " + maxGradNorm);
        }
        if (evalEvery < 0 || checkpointEvery < 0 || logEvery < 1) {
            bad.add("eval/checkpoint/log intervals " + evalEvery + "/" + checkpointEvery + "/" + logEvery);
        }
        if (!bad.isEmpty()) {
            throw ShrinkException.usage("invalid training options: " + String.join("; ", bad));
        }
        return this;
    }
}
