package dev.diffusion4j.train;

/** The loss or gradient became NaN or infinite; training stopped without touching the last good checkpoint. */
public final class TrainingDivergedException extends IllegalStateException {
    public TrainingDivergedException(String message) { super(message); }
}
