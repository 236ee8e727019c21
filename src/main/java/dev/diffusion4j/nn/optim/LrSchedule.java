package dev.diffusion4j.nn.optim;

/** Learning rate as a function of the optimizer step (0 for the first step); set it with {@code optimizer.setLr(schedule.lr(step))}. */
@FunctionalInterface
public interface LrSchedule {
    double lr(long step);

    static LrSchedule constant(double lr) { return new ConstantLr(lr); }

    static LrSchedule linearWarmup(double peak, long warmupSteps) { return new LinearWarmupLr(peak, warmupSteps); }

    static LrSchedule cosine(double peak, long warmupSteps, long totalSteps, double minLr) {
        return new CosineLr(peak, warmupSteps, totalSteps, minLr);
    }
}
