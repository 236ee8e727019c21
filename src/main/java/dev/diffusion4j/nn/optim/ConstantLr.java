package dev.diffusion4j.nn.optim;

/** The same learning rate at every step (the DDPM and ADM recipes). */
public record ConstantLr(double lr) implements LrSchedule {
    public ConstantLr {
        if (!(lr >= 0)) throw new IllegalArgumentException("learning rate must be >= 0, got " + lr);
    }

    @Override public double lr(long step) { return lr; }
}
