package dev.diffusion4j.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.LossConfig;
import dev.diffusion4j.diffusion.LossWeighting;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.TimestepSampler;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.io.ConfigJson;
import java.util.Locale;
import java.util.Map;

/**
 * The diffusion process and training objective of a run, as plain names so they read well in config.json.
 *
 * @param schedule         linear, cosine, sigmoid or scaled-linear
 * @param steps            T
 * @param parameterization eps, x0 or v
 * @param variance         fixed-small, fixed-large or learned-range (the last needs loss hybrid or vlb)
 * @param loss             simple, hybrid or vlb
 * @param distance         l2, l1 or huber (for the simple term)
 * @param weighting        none, min-snr or p2
 * @param gamma            min-SNR gamma / P2 gamma
 * @param timestepSampler  uniform or loss-second-moment
 */
public record DiffusionConfig(@JsonProperty(defaultValue = Defaults.SCHEDULE) String schedule, @JsonProperty(defaultValue = Defaults.TIMESTEPS) int steps,
                              @JsonProperty(defaultValue = "false") boolean zeroTerminalSnr,
                              @JsonProperty(defaultValue = Defaults.PARAMETERIZATION) String parameterization,
                              @JsonProperty(defaultValue = Defaults.VARIANCE) String variance, @JsonProperty(defaultValue = Defaults.LOSS) String loss,
                              @JsonProperty(defaultValue = Defaults.DISTANCE) String distance, @JsonProperty(defaultValue = Defaults.WEIGHTING) String weighting,
                              @JsonProperty(defaultValue = Defaults.MIN_SNR_GAMMA) double gamma, @JsonProperty(defaultValue = Defaults.TIMESTEP_SAMPLER) String timestepSampler,
                              @JsonProperty(defaultValue = Defaults.OFFSET_NOISE) double offsetNoise) {

    /** Every field at its declared default (each key of the JSON form is optional). */
    public static DiffusionConfig defaults() {
        return ConfigJson.defaults(DiffusionConfig.class);
    }

    /** Fails early, with the parsers' clear messages, on any unknown name. */
    public DiffusionConfig validate() {
        build();
        lossConfig();
        newTimestepSampler();
        return this;
    }

    public NoiseSchedule noiseSchedule() {
        NoiseSchedule s = NoiseSchedule.of(NoiseSchedule.Kind.parse(schedule), steps);
        return zeroTerminalSnr ? s.rescaledToZeroTerminalSnr() : s;
    }

    public GaussianDiffusion build() {
        return new GaussianDiffusion(noiseSchedule(), Parameterization.parse(parameterization), VarianceType.parse(variance));
    }

    public LossConfig lossConfig() {
        LossConfig c = switch (loss.toLowerCase(Locale.ROOT)) {
            case "simple" -> LossConfig.simple();
            case "hybrid" -> LossConfig.hybrid();
            case "vlb" -> LossConfig.vlb();
            default -> throw new IllegalArgumentException("unknown loss '" + loss + "': use simple, hybrid or vlb");
        };
        LossWeighting w = switch (weighting.toLowerCase(Locale.ROOT)) {
            case "none" -> LossWeighting.none();
            case "min-snr" -> LossWeighting.minSnr(gamma);
            case "p2" -> LossWeighting.p2(gamma, 1.0);
            default -> throw new IllegalArgumentException("unknown loss weighting '" + weighting + "': use none, min-snr or p2");
        };
        return c.withDistance(LossConfig.Distance.parse(distance)).withWeighting(w).withOffsetNoise(offsetNoise);
    }

    public TimestepSampler newTimestepSampler() {
        return switch (timestepSampler.toLowerCase(Locale.ROOT)) {
            case "uniform" -> TimestepSampler.uniform(steps);
            case "loss-second-moment" -> TimestepSampler.lossSecondMoment(steps);
            default -> throw new IllegalArgumentException("unknown timestep sampler '" + timestepSampler + "': use uniform or loss-second-moment");
        };
    }

    public boolean learnedVariance() { return VarianceType.parse(variance).learned(); }

    public Map<String, Object> toJson() { return ConfigJson.toMap(this); }

    /** Binds a parsed "diffusion" section strictly; missing keys take their defaults. */
    public static DiffusionConfig fromJson(Map<String, ?> m) { return ConfigJson.bind(m, DiffusionConfig.class, "diffusion config"); }
}
