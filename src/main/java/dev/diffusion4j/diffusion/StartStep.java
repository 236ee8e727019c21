package dev.diffusion4j.diffusion;

/** Argument check and start noise level shared by the samplers' part-way entry points. */
final class StartStep {
    private StartStep() {}

    static int check(int startStep, int steps) {
        if (startStep < 0 || startStep > steps) throw new IllegalArgumentException("start step " + startStep + " outside [0, " + steps + "]");
        return startStep;
    }

    /** alpha_bar at the start of step {@code step} of a sampler walking a discrete schedule from its last index down. */
    static double alphaBar(NoiseSchedule s, int step) {
        int steps = s.steps();
        check(step, steps);
        return step == steps ? 1 : s.alphaBar(steps - 1 - step);
    }
}
