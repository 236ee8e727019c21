package dev.diffusion4j.train;

import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.UNet2DConfig;
import dev.diffusion4j.models.UNetConfig;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Training settings whose good value depends on the model family, used where the user gave none: by {@code diffuse
 * train}, by a config.json that leaves them out, and by a library user through {@link #optim()} and {@link
 * #diffusion()}. A U-Net takes {@link Defaults}' values; a DiT trains as the paper does: AdamW at 1e-4 without weight
 * decay, learned-range variance with L_hybrid, no loss weighting.
 * The CPU demo preset dit-tiny is the exception ({@link #of(String, ModelConfig)}). The paper's recipe is set for 400k
 * steps at batch 256; a CPU demo has a few thousand at batch 32, and AdamW moves a weight by about the rate per step,
 * so at 1e-4 the zero-initialised adaLN and output layers stay near zero for the whole run. dit-tiny trains instead
 * with a fixed variance and the simple loss with min-SNR weighting (which Hang et al. 2023 found to speed up ViT
 * denoisers several times), predicting v at 4e-3: the grids' DDIM does not use a learned variance, L_vlb's early spikes
 * (hybrid losses of 20 and more in the first 50 steps at 1e-3) only add noise to so short a run, an eps prediction
 * left colour casts and blotches at equal steps, and the loss fell faster at each doubling of the rate from 1e-3.
 *
 * @param lr        peak learning rate
 * @param variance  reverse-process variance (learned-range doubles the model's output)
 * @param loss      simple, hybrid or vlb
 * @param weighting loss weighting over t
 * @param parameterization what the model predicts: eps, x0 or v
 */
public record TrainDefaults(double lr, String variance, String loss, String weighting, String parameterization) {
    /** The preset whose defaults differ from its family's. */
    public static final String DIT_TINY = "dit-tiny";
    /** dit-tiny's own step count: its grid of the built-in shapes is recognisable after it (5 min 39 s measured on an idle 2-core machine, 16 min 45 s on a loaded one; docs/dit.md). */
    public static final long DIT_TINY_STEPS = 4000;
    /** dit-tiny's own grid guidance: at 3 its cross and ring rows were still mostly smudges (docs/dit.md). */
    public static final double DIT_TINY_GUIDANCE = 4.5;

    public static TrainDefaults of(ModelConfig m) {
        return switch (m) {
            case UNetConfig _ -> unet();
            case DiTConfig _ -> new TrainDefaults(1e-4, "learned-range", "hybrid", "none", Defaults.PARAMETERIZATION);
            case UNet2DConfig _ -> unet();
        };
    }

    private static TrainDefaults unet() {
        return new TrainDefaults(Double.parseDouble(Defaults.LR), Defaults.VARIANCE, Defaults.LOSS, Defaults.WEIGHTING, Defaults.PARAMETERIZATION);
    }

    /** Each weighting's paper default: P2's exponent (Choi et al. 2022, k = 1) is not min-SNR's clamp (Hang et al. 2023). */
    public static double gamma(String weighting) {
        return "p2".equals(weighting.toLowerCase(Locale.ROOT)) ? 1.0 : Double.parseDouble(Defaults.MIN_SNR_GAMMA);
    }

    /** The optimiser settings {@code diffuse train} uses for this family when no flag is given. */
    public OptimConfig optim() {
        OptimConfig o = OptimConfig.defaults();
        return new OptimConfig(o.batchSize(), o.gradAccum(), lr, o.warmup(), o.lrSchedule(), o.weightDecay(), o.beta1(), o.beta2(),
                o.gradClip(), o.emaDecay(), o.emaWarmup());
    }

    /** The diffusion settings {@code diffuse train} uses for this family when no flag is given. */
    public DiffusionConfig diffusion() {
        DiffusionConfig d = DiffusionConfig.defaults();
        return new DiffusionConfig(d.schedule(), d.steps(), d.zeroTerminalSnr(), parameterization, variance, loss, d.distance(), weighting,
                gamma(weighting), d.timestepSampler(), d.offsetNoise());
    }

    /**
     * A config.json's fields with the family's values put in where the file leaves the key out, so that a config
     * written by hand for a DiT gets a DiT's learning rate, not the U-Net's. Sections that are not objects are left
     * to the binder to refuse. A config.json does not name its preset, so this is the family's recipe (a hand-written
     * config of a dit-tiny-shaped model gets a DiT's); configs the trainer writes hold every key.
     */
    static Map<String, Object> completed(Map<String, Object> fields, ModelConfig model) {
        TrainDefaults def = of(model);
        Map<String, Object> out = new LinkedHashMap<>(fields);
        if (fields.get("optim") instanceof Map<?, ?> o) {
            Map<String, Object> optim = copy(o);
            optim.putIfAbsent("lr", def.lr);
            out.put("optim", optim);
        }
        if (fields.get("diffusion") instanceof Map<?, ?> d) {
            Map<String, Object> diffusion = copy(d);
            diffusion.putIfAbsent("parameterization", def.parameterization);
            diffusion.putIfAbsent("variance", def.variance);
            diffusion.putIfAbsent("loss", def.loss);
            diffusion.putIfAbsent("weighting", def.weighting);
            if (diffusion.get("weighting") instanceof String w) diffusion.putIfAbsent("gamma", gamma(w));
            out.put("diffusion", diffusion);
        }
        return out;
    }

    private static Map<String, Object> copy(Map<?, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
    }

    /** The step count of preset {@code name} when none is given: {@code shared} (diffuse train's), except for dit-tiny. */
    public static long steps(String name, long shared) { return DIT_TINY.equals(name) ? DIT_TINY_STEPS : shared; }

    /** The grid guidance of preset {@code name} when none is given: {@code shared}, except for dit-tiny. */
    public static double guidance(String name, double shared) { return DIT_TINY.equals(name) ? DIT_TINY_GUIDANCE : shared; }

    /** The defaults of preset {@code name} (built as {@code m}): its family's, except for dit-tiny. */
    public static TrainDefaults of(String name, ModelConfig m) {
        if (DIT_TINY.equals(name)) return new TrainDefaults(4e-3, "fixed-small", "simple", "min-snr", "v");
        return of(m);
    }
}
