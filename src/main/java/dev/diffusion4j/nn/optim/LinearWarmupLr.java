package dev.diffusion4j.nn.optim;

/**
 * Ramps linearly to {@code peak} and stays there: lr(s) = peak * min(1, (s+1)/warmupSteps). Counting from s+1 makes
 * the first step train (at peak/warmupSteps) and step warmupSteps-1 the first at peak.
 */
public record LinearWarmupLr(double peak, long warmupSteps) implements LrSchedule {
    public LinearWarmupLr {
        if (!(peak >= 0)) throw new IllegalArgumentException("peak learning rate must be >= 0, got " + peak);
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup steps must be >= 0, got " + warmupSteps);
    }

    @Override public double lr(long step) { return peak * warmupFactor(step, warmupSteps); }

    static double warmupFactor(long step, long warmupSteps) {
        if (step < 0) throw new IllegalArgumentException("step must be >= 0, got " + step);
        return warmupSteps == 0 || step + 1 >= warmupSteps ? 1 : (step + 1) / (double) warmupSteps;
    }
}
