package dev.diffusion4j.nn.optim;

/**
 * Linear warmup to {@code peak} over warmupSteps (as {@link LinearWarmupLr}), then half a cosine from peak down to
 * {@code minLr}, reached at totalSteps and kept after.
 */
public record CosineLr(double peak, long warmupSteps, long totalSteps, double minLr) implements LrSchedule {
    public CosineLr {
        if (!(peak >= 0) || !(minLr >= 0) || minLr > peak)
            throw new IllegalArgumentException("need 0 <= minLr <= peak, got minLr " + minLr + ", peak " + peak);
        if (warmupSteps < 0 || totalSteps < warmupSteps)
            throw new IllegalArgumentException("need 0 <= warmupSteps <= totalSteps, got " + warmupSteps + " and " + totalSteps);
    }

    @Override public double lr(long step) {
        if (step < warmupSteps) return peak * LinearWarmupLr.warmupFactor(step, warmupSteps);
        if (step >= totalSteps) return minLr;
        double progress = (step - warmupSteps) / (double) (totalSteps - warmupSteps);
        return minLr + (peak - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
