package dev.diffusion4j.train;

import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.models.ModelConfig;

/** Catches a model/data mismatch before any training time is spent, with the options that fix it. */
final class ModelConfigCheck {
    private ModelConfigCheck() {}

    static void matches(ModelConfig model, ImageDataset data) {
        if (data.channels() != model.inChannels())
            throw new IllegalArgumentException("the data has " + data.channels() + " channels but the model expects " + model.inChannels()
                    + "; pass --channels " + model.inChannels() + " to convert the images, or pick a matching model");
        if (data.height() != model.resolution() || data.width() != model.resolution())
            throw new IllegalArgumentException("the data is " + data.height() + "x" + data.width() + " but the model expects "
                    + model.resolution() + "x" + model.resolution() + "; pass --image-size " + model.resolution());
    }
}
