package dev.diffusion4j.diffusion;

/** Argument check shared by the samplers' part-way entry points. */
final class StartStep {
    private StartStep() {}

    static int check(int startStep, int steps) {
        if (startStep < 0 || startStep > steps) throw new IllegalArgumentException("start step " + startStep + " outside [0, " + steps + "]");
        return startStep;
    }
}
