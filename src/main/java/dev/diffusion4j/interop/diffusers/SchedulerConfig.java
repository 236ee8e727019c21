package dev.diffusion4j.interop.diffusers;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.DdpmSampler;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.Thresholding;
import dev.diffusion4j.diffusion.TimestepListDdimSampler;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A diffusers {@code scheduler/scheduler_config.json} of a DDIMScheduler or DDPMScheduler, bound strictly (unknown keys
 * are refused by name), and what it means here: the training schedule, the parameterisation, the inference timesteps
 * its {@code timestep_spacing} and {@code steps_offset} give, and a sampler that steps them as diffusers does.
 * Other scheduler classes and dynamic thresholding are refused by name.
 */
public record SchedulerConfig(
        @JsonProperty(defaultValue = "1000") int numTrainTimesteps,
        @JsonProperty(defaultValue = "0.0001") double betaStart,
        @JsonProperty(defaultValue = "0.02") double betaEnd,
        @JsonProperty(defaultValue = "linear") String betaSchedule,
        @JsonProperty(defaultValue = "[]") @JsonSetter(nulls = Nulls.AS_EMPTY) List<Double> trainedBetas,
        @JsonProperty(defaultValue = "true") boolean clipSample,
        @JsonProperty(defaultValue = "1.0") double clipSampleRange,
        @JsonProperty(defaultValue = "true") boolean setAlphaToOne,
        @JsonProperty(defaultValue = "0") int stepsOffset,
        @JsonProperty(defaultValue = "epsilon") String predictionType,
        @JsonProperty(defaultValue = "false") boolean thresholding,
        @JsonProperty(defaultValue = "0.995") double dynamicThresholdingRatio,
        @JsonProperty(defaultValue = "1.0") double sampleMaxValue,
        @JsonProperty(defaultValue = "leading") String timestepSpacing,
        @JsonProperty(defaultValue = "false") boolean rescaleBetasZeroSnr,
        @JsonProperty(defaultValue = "fixed_small") String varianceType,
        @JsonProperty(defaultValue = "DDIMScheduler") String className) {

    public static final List<String> CLASSES = List.of("DDIMScheduler", "DDPMScheduler");

    public SchedulerConfig {
        trainedBetas = List.copyOf(trainedBetas);
        if (!CLASSES.contains(className))
            throw new IllegalArgumentException("scheduler " + className + " is not supported; supported: " + String.join(", ", CLASSES));
        if (numTrainTimesteps < 1) throw new IllegalArgumentException("num_train_timesteps must be >= 1, got " + numTrainTimesteps);
        if (!List.of("linear", "scaled_linear", "squaredcos_cap_v2").contains(betaSchedule) && trainedBetas.isEmpty())
            throw new IllegalArgumentException("beta_schedule " + betaSchedule + " is not supported; supported: linear, scaled_linear, squaredcos_cap_v2, or trained_betas");
        if (!trainedBetas.isEmpty() && trainedBetas.size() != numTrainTimesteps)
            throw new IllegalArgumentException("trained_betas has " + trainedBetas.size() + " values for " + numTrainTimesteps + " timesteps");
        if (!List.of("linspace", "leading", "trailing").contains(timestepSpacing))
            throw new IllegalArgumentException("timestep_spacing " + timestepSpacing + " is not supported; supported: linspace, leading, trailing");
        if (thresholding) throw new IllegalArgumentException("thresholding (diffusers' dynamic thresholding) is not supported yet");
        if (!List.of("fixed_small", "fixed_large", "learned_range").contains(varianceType))
            throw new IllegalArgumentException("variance_type " + varianceType + " is not supported; supported: fixed_small, fixed_large, learned_range");
        parameterization(predictionType);
    }

    /** Reads scheduler_config.json; "_class_name" picks the class, "_diffusers_version" is ignored. */
    public static SchedulerConfig read(Path file) {
        Map<String, Object> m = new LinkedHashMap<>(ConfigJson.readObject(file));
        Object cls = m.remove("_class_name");
        m.remove("_diffusers_version");
        if (cls != null) m.put("class_name", cls);
        try {
            return ConfigJson.bind(m, SchedulerConfig.class, file.toString());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file.toString(), e.getMessage());
        }
    }

    /** The training schedule, as diffusers builds it (no 1000/T rescaling of the beta range). */
    public NoiseSchedule schedule() {
        int t = numTrainTimesteps;
        double[] b = new double[t];
        if (!trainedBetas.isEmpty()) {
            for (int i = 0; i < t; i++) b[i] = trainedBetas.get(i);
        } else if (betaSchedule.equals("squaredcos_cap_v2")) {
            return withZeroSnr(NoiseSchedule.cosine(t));
        } else {
            boolean scaled = betaSchedule.equals("scaled_linear");
            double lo = scaled ? Math.sqrt(betaStart) : betaStart, hi = scaled ? Math.sqrt(betaEnd) : betaEnd;
            for (int i = 0; i < t; i++) {
                double v = t == 1 ? lo : lo + (hi - lo) * i / (t - 1);
                b[i] = scaled ? v * v : v;
            }
        }
        return withZeroSnr(NoiseSchedule.fromBetas(b));
    }

    private NoiseSchedule withZeroSnr(NoiseSchedule s) { return rescaleBetasZeroSnr ? s.rescaledToZeroTerminalSnr() : s; }

    public Parameterization parameterization() { return parameterization(predictionType); }

    private static Parameterization parameterization(String p) {
        return switch (p) {
            case "epsilon" -> Parameterization.EPS;
            case "sample" -> Parameterization.X0;
            case "v_prediction" -> Parameterization.V;
            default -> throw new IllegalArgumentException("prediction_type " + p + " is not supported; supported: epsilon, sample, v_prediction");
        };
    }

    public VarianceType variance() {
        return switch (varianceType) {
            case "fixed_large" -> VarianceType.FIXED_LARGE;
            case "learned_range" -> VarianceType.LEARNED_RANGE;
            default -> VarianceType.FIXED_SMALL;
        };
    }

    public GaussianDiffusion diffusion() { return new GaussianDiffusion(schedule(), parameterization(), variance()); }

    /** The descending training timesteps of an n-step run, as diffusers' set_timesteps computes them. */
    public int[] timesteps(int n) {
        int t = numTrainTimesteps;
        if (n < 1 || n > t) throw new IllegalArgumentException("inference steps must be in [1, " + t + "], got " + n);
        int[] r = new int[n];
        switch (timestepSpacing) {
            case "linspace" -> { for (int i = 0; i < n; i++) r[n - 1 - i] = (int) Math.rint(n == 1 ? 0 : (double) (t - 1) * i / (n - 1)); }
            case "leading" -> { int ratio = t / n; for (int i = 0; i < n; i++) r[n - 1 - i] = i * ratio + stepsOffset; }
            default -> {   // trailing: round(arange(T, 0, -T/n)) - 1
                double ratio = (double) t / n;
                for (int i = 0; i < n; i++) r[i] = (int) Math.rint(t - i * ratio) - 1;
            }
        }
        for (int v : r) if (v < 0 || v >= t) throw new IllegalArgumentException("steps_offset " + stepsOffset + " puts timestep " + v + " outside [0, " + t + ")");
        return r;
    }

    /** alpha_bar the last DDIM step goes to: 1 with set_alpha_to_one, else alpha_bar(0). */
    public double finalAlphaBar() { return finalAlphaBar(schedule()); }

    private double finalAlphaBar(NoiseSchedule s) { return setAlphaToOne ? 1.0 : s.alphaBar(0); }

    private Thresholding clipping() { return clipSample ? Thresholding.clip(clipSampleRange) : Thresholding.none(); }

    /**
     * The sampler stepping an n-step run as this scheduler would: DDIM over {@link #timesteps} (eta as given), or DDPM
     * on the kept timesteps (when they are T/n apart, so that each step's previous timestep is the next kept one).
     */
    public Sampler sampler(int n, double eta) {
        GaussianDiffusion d = diffusion();
        int[] ts = timesteps(n);
        if (className.equals("DDIMScheduler")) return new TimestepListDdimSampler(d, ts, finalAlphaBar(d.schedule()), eta, clipping());
        int stride = numTrainTimesteps / n;
        for (int i = 0; i + 1 < n; i++)
            if (ts[i] - stride != ts[i + 1])   // diffusers steps DDPM to t - T/n; a respaced DDPM to the next kept timestep
                throw new IllegalArgumentException("DDPMScheduler with " + timestepSpacing + " spacing over " + n + " of " + numTrainTimesteps
                        + " steps is not supported (its steps are not " + stride + " apart); use a step count that divides " + numTrainTimesteps);
        int[] keep = ts.clone();
        Arrays.sort(keep);
        return new DdpmSampler(n == numTrainTimesteps ? d : d.respaced(keep)).withThresholding(clipping());
    }
}
