package dev.diffusion4j.train;

import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.LossConfig;
import dev.diffusion4j.diffusion.LossWeighting;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.TimestepSampler;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.io.Json;
import java.util.LinkedHashMap;
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
public record DiffusionConfig(String schedule, int steps, boolean zeroTerminalSnr, String parameterization, String variance,
                              String loss, String distance, String weighting, double gamma, String timestepSampler, double offsetNoise) {

    public static DiffusionConfig defaults() {
        return new DiffusionConfig("cosine", 1000, false, "eps", "fixed-small", "simple", "l2", "none", 5.0, "uniform", 0.0);
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

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schedule", schedule);
        m.put("steps", steps);
        m.put("zero_terminal_snr", zeroTerminalSnr);
        m.put("parameterization", parameterization);
        m.put("variance", variance);
        m.put("loss", loss);
        m.put("distance", distance);
        m.put("weighting", weighting);
        m.put("gamma", gamma);
        m.put("timestep_sampler", timestepSampler);
        m.put("offset_noise", offsetNoise);
        return m;
    }

    public static DiffusionConfig fromJson(Map<String, ?> m) {
        DiffusionConfig d = defaults();
        return new DiffusionConfig(Json.getString(m, "schedule", d.schedule), Json.getInt(m, "steps", d.steps),
                Json.getBoolean(m, "zero_terminal_snr", false), Json.getString(m, "parameterization", d.parameterization),
                Json.getString(m, "variance", d.variance), Json.getString(m, "loss", d.loss), Json.getString(m, "distance", d.distance),
                Json.getString(m, "weighting", d.weighting), Json.getDouble(m, "gamma", d.gamma),
                Json.getString(m, "timestep_sampler", d.timestepSampler), Json.getDouble(m, "offset_noise", 0));
    }
}
