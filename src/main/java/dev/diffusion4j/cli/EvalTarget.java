package dev.diffusion4j.cli;

import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.train.TrainConfig;

/**
 * Which model {@code diffuse eval} scores. A class-conditional run holds two: the model given a class (the default:
 * nll gives each image its label from the data, samples are drawn class by class) and its "no class" branch, which
 * label dropout trained for classifier-free guidance (--unconditional). An unconditional run holds one.
 */
record EvalTarget(boolean conditional, String id, String description) {
    static EvalTarget of(TrainConfig cfg, boolean unconditionalBranch) {
        if (!cfg.classConditional())
            return new EvalTarget(false, "unconditional", "the unconditional model (the run has no classes)");
        if (unconditionalBranch)
            return new EvalTarget(false, "unconditional-branch", "the 'no class' branch of the class-conditional model (--unconditional)");
        return new EvalTarget(true, "conditional", "the class-conditional model (nll: each image with its label from the data; "
                + "fid/kid/pr: samples class by class with guidance " + cfg.sample().guidance() + "); --unconditional scores its 'no class' branch");
    }

    /** Refuses data whose labels do not name the model's classes, before any work. */
    void checkLabels(TrainConfig cfg, ImageDataset ds) {
        int k = cfg.model().numClasses();
        if (conditional && ds.numClasses() != k)
            throw new IllegalArgumentException("the run is class-conditional over " + k + " classes but " + ds.describe() + " has "
                    + ds.numClasses() + "; score with --data holding the run's classes, or score the 'no class' branch with --unconditional");
    }
}
