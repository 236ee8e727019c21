package dev.diffusion4j.cli;

import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.models.ModelPresets;
import dev.diffusion4j.train.DiffusionConfig;
import dev.diffusion4j.train.OptimConfig;
import dev.diffusion4j.train.SampleConfig;
import dev.diffusion4j.train.TrainConfig;

/** Run configs for tests that need a run folder without training one. */
final class TrainConfigs {
    private TrainConfigs() {}

    /** The tiny U-Net on 8x8 shapes, unconditional, 4 steps on the CPU. */
    static TrainConfig tiny() {
        return new TrainConfig("shapes:64", true, false, 0.1, ModelPresets.get("tiny").withInput(3, 8), DiffusionConfig.defaults(),
                OptimConfig.defaults(), 4, 0, "cpu", Precision.FP32, 1, 1000, 2, 2, new SampleConfig("ddim", 2, 0, 2, 1));
    }
}
