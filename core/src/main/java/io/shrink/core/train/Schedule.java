package io.shrink.core.train;

/**
 * Linear warm-up from 0 to the peak learning rate, then linear decay to 0 at the last step
 * (the schedule BERT was fine-tuned with, Devlin et al. 2019).
 */
public record Schedule(double peak, int warmupSteps, int totalSteps) {

    /** A schedule whose warm-up is a fraction of the total. */
    public static Schedule of(double peak, double warmupRatio, int totalSteps) {
        return new Schedule(peak, (int) Math.ceil(warmupRatio * totalSteps), Math.max(1, totalSteps));
    }

    /** Learning rate for optimizer step {@code step} (0-based). */
    public double at(int step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / (double) warmupSteps;
        }
        int decay = Math.max(1, totalSteps - warmupSteps);
        return peak * Math.max(0.0, (totalSteps - step) / (double) decay);
    }
}
