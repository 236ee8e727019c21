package dev.diffusion4j.train;

import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.UNetConfig;

/**
 * Training settings whose good value depends on the model family, used where the user gave none. A DiT trains as
 * the paper does: AdamW at 1e-4 without weight decay, learned-range variance with L_hybrid, no loss weighting.
 *
 * @param lr        peak learning rate
 * @param variance  reverse-process variance (learned-range doubles the model's output)
 * @param loss      simple, hybrid or vlb
 * @param weighting loss weighting over t
 */
public record TrainDefaults(double lr, String variance, String loss, String weighting) {

    public static TrainDefaults of(ModelConfig m) {
        return switch (m) {
            case UNetConfig _ -> new TrainDefaults(1e-3, "fixed-small", "simple", "min-snr");
            case DiTConfig _ -> new TrainDefaults(1e-4, "learned-range", "hybrid", "none");
        };
    }

}
