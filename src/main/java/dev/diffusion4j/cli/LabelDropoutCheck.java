package dev.diffusion4j.cli;

import dev.diffusion4j.data.ImageDataset;

/**
 * {@code train --label-dropout P} trains the "no class" label of a class-conditional run; an unconditional run has no
 * labels to drop, so the option is refused there rather than ignored in silence. What the options decide is refused
 * with the other option checks; what the data decides (no --class-conditional either way: labelled data with 2 or more
 * classes makes the run conditional) as soon as the data is opened, before anything is encoded or written.
 */
final class LabelDropoutCheck {
    private LabelDropoutCheck() {}

    private static final String DROP = ": drop --label-dropout";

    /** The runs that are unconditional whatever the data: --no-class-conditional, a super-resolution stage, a text run. */
    static void options(OptionChecks c, Boolean classConditional, boolean superResolution, boolean text) {
        String why = Boolean.FALSE.equals(classConditional) ? "--no-class-conditional"
                : classConditional != null ? null
                : superResolution ? "--task super-resolution trains an unconditional stage"
                : text ? "--text-encoder conditions on captions; their dropout is --caption-dropout"
                : null;
        if (why != null) c.absent("--label-dropout", "--label-dropout applies to class-conditional runs only, and this one is unconditional (" + why + ")" + DROP);
    }

    /** Without --class-conditional or its negation, the run follows the data: fewer than 2 classes make it unconditional. */
    static void data(OptionChecks c, Boolean classConditional, ImageDataset data) {
        if (classConditional != null || data.numClasses() >= 2) return;
        c.absent("--label-dropout", "--label-dropout applies to class-conditional runs only, and this one is unconditional: " + data.describe()
                + (data.numClasses() == 0 ? " has no class labels" : " has a single class") + DROP);
    }
}
