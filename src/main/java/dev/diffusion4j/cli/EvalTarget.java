package dev.diffusion4j.cli;

import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.train.TrainConfig;

/**
 * Which model {@code diffuse eval} scores. A class-conditional run holds two: the model given a class (the default:
 * nll gives each image its label from the data, samples are drawn class by class) and its "no class" branch, which
 * label dropout trained for classifier-free guidance (--unconditional). A text-to-image run likewise: the model given
 * each image's caption, or given the empty prompt that caption dropout trained. An unconditional run holds one.
 */
record EvalTarget(boolean conditional, boolean text, String id, String description) {
    static EvalTarget of(TrainConfig cfg, boolean unconditionalBranch, boolean text) {
        if (text && unconditionalBranch)
            return new EvalTarget(false, true, "empty-prompt", "the text-to-image model given the empty prompt (--unconditional)");
        if (text)
            return new EvalTarget(true, true, "caption-conditional", "the text-to-image model given each image's caption from the data; "
                    + "--unconditional scores it given the empty prompt");
        if (!cfg.classConditional())
            return new EvalTarget(false, false, "unconditional", "the unconditional model (the run has no classes)");
        if (unconditionalBranch)
            return new EvalTarget(false, false, "unconditional-branch", "the 'no class' branch of the class-conditional model (--unconditional)");
        return new EvalTarget(true, false, "conditional", "the class-conditional model (nll: each image with its label from the data; "
                + "fid/kid/pr: samples class by class with guidance " + cfg.sample().guidance() + "); --unconditional scores its 'no class' branch");
    }

    /** Refuses data whose labels do not name the model's classes (or, for a text run, data without captions), before any work. */
    void checkLabels(TrainConfig cfg, ImageDataset ds) {
        if (text) {
            if (conditional) dev.diffusion4j.data.Captioned.require(ds, "scoring a text-to-image run by its captions");
            return;
        }
        int k = cfg.model().numClasses();
        if (conditional && ds.numClasses() != k)
            throw new IllegalArgumentException("the run is class-conditional over " + k + " classes but " + ds.describe() + " has "
                    + ds.numClasses() + "; score with --data holding the run's classes, or score the 'no class' branch with --unconditional");
    }
}
