package dev.diffusion4j.train;

import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.UNetConfig;

/**
 * Training settings whose good value depends on the model family, used where the user gave none. A DiT trains as
 * the paper does: AdamW at 1e-4 without weight decay, learned-range variance with L_hybrid, no loss weighting.
 * The CPU demo preset dit-tiny is the exception. The paper's recipe is set for 400k steps at batch 256; a CPU demo
 * has a few thousand at batch 32, and AdamW moves a weight by about the rate per step, so at 1e-4 the
 * zero-initialised adaLN and output layers stay near zero for the whole run. dit-tiny trains with the U-Net's recipe
 * instead: 1e-3, a fixed variance and the simple loss with min-SNR weighting (which Hang et al. 2023 found to speed
 * up ViT denoisers several times); the grids' DDIM does not use a learned variance, and L_vlb's early spikes
 * (hybrid losses of 20 and more in the first 50 steps at 1e-3) only add noise to so short a run.
 *
 * @param lr        peak learning rate
 * @param variance  reverse-process variance (learned-range doubles the model's output)
 * @param loss      simple, hybrid or vlb
 * @param weighting loss weighting over t
 */
public record TrainDefaults(double lr, String variance, String loss, String weighting) {
    /** The preset whose defaults differ from its family's. */
    public static final String DIT_TINY = "dit-tiny";

    public static TrainDefaults of(ModelConfig m) {
        return switch (m) {
            case UNetConfig _ -> new TrainDefaults(1e-3, "fixed-small", "simple", "min-snr");
            case DiTConfig _ -> new TrainDefaults(1e-4, "learned-range", "hybrid", "none");
        };
    }

    /** The defaults of preset {@code name} (built as {@code m}): its family's, except for dit-tiny. */
    public static TrainDefaults of(String name, ModelConfig m) {
        if (DIT_TINY.equals(name)) return new TrainDefaults(1e-3, "fixed-small", "simple", "min-snr");
        return of(m);
    }
}
