package dev.diffusion4j.interop.diffusers;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import dev.diffusion4j.diffusion.DdpmSampler;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.PndmSampler;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.SigmaListSampler;
import dev.diffusion4j.diffusion.Thresholding;
import dev.diffusion4j.diffusion.TimestepListDdimSampler;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.io.ConfigException;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.io.JsonException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A diffusers {@code scheduler/scheduler_config.json}, bound strictly, and what it means here: the training schedule,
 * the parameterisation, the inference timesteps (and noise levels) that {@code set_timesteps(n)} gives, and a sampler
 * that steps them as the scheduler does. Supported classes: {@link #CLASSES}. A key no supported class knows is
 * refused by name; a key of another class is ignored, as diffusers ignores it; an option of this class that cannot be
 * reproduced is refused by name with what is supported. Defaults are each class's own (e.g. timestep_spacing is
 * "leading" for DDIM, DDPM and PNDM and "linspace" for the others).
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
        @JsonProperty(defaultValue = "fixed_small") @JsonSetter(nulls = Nulls.AS_EMPTY) String varianceType,
        @JsonProperty(defaultValue = "DDIMScheduler") String className,
        // EulerDiscrete, HeunDiscrete, DPMSolverMultistep
        @JsonProperty(defaultValue = "false") boolean useKarrasSigmas,
        @JsonProperty(defaultValue = "false") boolean useExponentialSigmas,
        @JsonProperty(defaultValue = "false") boolean useBetaSigmas,
        @JsonProperty(defaultValue = "zero") String finalSigmasType,
        // EulerDiscrete
        @JsonProperty(defaultValue = "linear") String interpolationType,
        @JsonProperty(defaultValue = "discrete") String timestepType,
        @JsonProperty(defaultValue = "0") @JsonSetter(nulls = Nulls.AS_EMPTY) double sigmaMin,
        @JsonProperty(defaultValue = "0") @JsonSetter(nulls = Nulls.AS_EMPTY) double sigmaMax,
        // DPMSolverMultistep
        @JsonProperty(defaultValue = "2") int solverOrder,
        @JsonProperty(defaultValue = "dpmsolver++") String algorithmType,
        @JsonProperty(defaultValue = "midpoint") String solverType,
        @JsonProperty(defaultValue = "true") boolean lowerOrderFinal,
        @JsonProperty(defaultValue = "false") boolean eulerAtFinal,
        @JsonProperty(defaultValue = "false") boolean useLuLambdas,
        @JsonProperty(defaultValue = "false") boolean useFlowSigmas,
        @JsonProperty(defaultValue = "1.0") double flowShift,
        @JsonProperty(defaultValue = "false") boolean useDynamicShifting,
        @JsonProperty(defaultValue = "exponential") String timeShiftType,
        @JsonProperty(defaultValue = "-Infinity") String lambdaMinClipped,
        // PNDM
        @JsonProperty(defaultValue = "false") boolean skipPrkSteps) {

    public static final String DDIM = "DDIMScheduler", DDPM = "DDPMScheduler", EULER = "EulerDiscreteScheduler",
            EULER_ANCESTRAL = "EulerAncestralDiscreteScheduler", HEUN = "HeunDiscreteScheduler", DPM = "DPMSolverMultistepScheduler",
            PNDM = "PNDMScheduler";
    public static final List<String> CLASSES = List.of(DDIM, DDPM, EULER, EULER_ANCESTRAL, HEUN, DPM, PNDM);

    /** Where a class's defaults differ from the record's (which are DDIM's). */
    private static final Map<String, Map<String, Object>> CLASS_DEFAULTS = Map.of(
            DDPM, Map.of(),
            EULER, Map.of("timestep_spacing", "linspace"),
            EULER_ANCESTRAL, Map.of("timestep_spacing", "linspace"),
            HEUN, Map.of("timestep_spacing", "linspace", "clip_sample", false, "beta_start", 0.00085, "beta_end", 0.012),
            DPM, Map.of("timestep_spacing", "linspace", "variance_type", ""),
            PNDM, Map.of("set_alpha_to_one", false));

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
        parameterization(predictionType);
        if (className.equals(PNDM) && predictionType.equals("sample"))
            throw new IllegalArgumentException("prediction_type sample is not supported by PNDMScheduler; supported: epsilon, v_prediction");
        boolean usesThresholding = List.of(DDIM, DDPM, DPM).contains(className);
        if (usesThresholding && thresholding && !(dynamicThresholdingRatio > 0 && dynamicThresholdingRatio <= 1 && sampleMaxValue >= 1))
            throw new IllegalArgumentException("thresholding needs dynamic_thresholding_ratio in (0, 1] and sample_max_value >= 1, got "
                    + dynamicThresholdingRatio + " and " + sampleMaxValue);
        if (className.equals(DDPM) && !List.of("fixed_small", "fixed_large", "learned_range").contains(varianceType))
            throw new IllegalArgumentException("variance_type " + varianceType + " is not supported; supported: fixed_small, fixed_large, learned_range");
        if (List.of(EULER, HEUN, DPM).contains(className)) {
            if (useBetaSigmas) throw unsupported("use_beta_sigmas", "false (or use_karras_sigmas, use_exponential_sigmas)");
            if (useKarrasSigmas && useExponentialSigmas) throw unsupported("use_karras_sigmas with use_exponential_sigmas", "one of them");
        }
        if (List.of(EULER, DPM).contains(className) && !List.of("zero", "sigma_min").contains(finalSigmasType))
            throw new IllegalArgumentException("final_sigmas_type " + finalSigmasType + " is not supported; supported: zero, sigma_min");
        if (className.equals(EULER)) {
            if (!interpolationType.equals("linear")) throw unsupported("interpolation_type " + interpolationType, "linear");
            if (!timestepType.equals("discrete")) throw unsupported("timestep_type " + timestepType, "discrete");
        }
        if (className.equals(DPM)) {
            if (solverOrder != 1 && solverOrder != 2) throw unsupported("solver_order " + solverOrder, "1, 2");
            if (!algorithmType.equals("dpmsolver++")) throw unsupported("algorithm_type " + algorithmType, "dpmsolver++");
            if (!List.of("midpoint", "heun").contains(solverType)) throw unsupported("solver_type " + solverType, "midpoint, heun");
            if (useLuLambdas) throw unsupported("use_lu_lambdas", "false");
            if (useFlowSigmas) throw unsupported("use_flow_sigmas", "false");
            if (useDynamicShifting) throw unsupported("use_dynamic_shifting", "false");
            if (!lambdaMinClipped.equals("-Infinity")) throw unsupported("lambda_min_clipped " + lambdaMinClipped, "-inf");
            if (!List.of("", "learned", "learned_range").contains(varianceType))
                throw unsupported("variance_type " + varianceType, "null, learned, learned_range");
            if (!varianceType.isEmpty() && !predictionType.equals("epsilon"))
                throw unsupported("variance_type " + varianceType + " with prediction_type " + predictionType, "a learned variance with epsilon only");
        }
    }

    private static IllegalArgumentException unsupported(String what, String supported) {
        return new IllegalArgumentException(what + " is not supported; supported: " + supported);
    }

    /**
     * Reads scheduler_config.json; "_class_name" picks the class (and its defaults), other "_" keys are ignored, and
     * the bare -Infinity diffusers writes for lambda_min_clipped is read as the text "-Infinity".
     */
    public static SchedulerConfig read(Path file) {
        String text;
        try {
            if (Files.size(file) > ConfigJson.MAX_BYTES) throw new ConfigException(file.toString(), "is far larger than any scheduler config");
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Map<String, Object> m;
        try {
            m = new LinkedHashMap<>(Json.parseObject(text.replaceAll("(:\\s*)(-?Infinity|NaN)(\\s*[,}])", "$1\"$2\"$3")));
        } catch (JsonException e) {
            throw new ConfigException(file.toString(), e.getMessage());
        }
        return fromMap(m, file.toString());
    }

    /** Binds a parsed scheduler config (keys as diffusers writes them); {@code source} names it in messages. */
    public static SchedulerConfig fromMap(Map<String, ?> json, String source) {
        Map<String, Object> m = new LinkedHashMap<>(json);
        Object cls = m.remove("_class_name");
        m.keySet().removeIf(k -> k.startsWith("_"));   // _diffusers_version and other loader notes
        String name = cls == null ? DDIM : cls.toString();
        if (!CLASSES.contains(name))
            throw new ConfigException(source, "scheduler " + name + " is not supported; supported: " + String.join(", ", CLASSES));
        m.put("class_name", name);
        CLASS_DEFAULTS.getOrDefault(name, Map.of()).forEach(m::putIfAbsent);
        m.replaceAll((k, v) -> k.equals("lambda_min_clipped") && v instanceof Number n ? n.toString() : v);
        try {
            return ConfigJson.bind(m, SchedulerConfig.class, source);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source, e.getMessage());
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

    /** Heun and PNDM have no rescale_betas_zero_snr (diffusers ignores the key there). */
    private NoiseSchedule withZeroSnr(NoiseSchedule s) {
        return rescaleBetasZeroSnr && !className.equals(HEUN) && !className.equals(PNDM) ? s.rescaledToZeroTerminalSnr() : s;
    }

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
        if (className.equals(DPM)) return varianceType.isEmpty() ? VarianceType.FIXED_SMALL : VarianceType.LEARNED_RANGE;
        if (!className.equals(DDPM)) return VarianceType.FIXED_SMALL;
        return switch (varianceType) {
            case "fixed_large" -> VarianceType.FIXED_LARGE;
            case "learned_range" -> VarianceType.LEARNED_RANGE;
            default -> VarianceType.FIXED_SMALL;
        };
    }

    public GaussianDiffusion diffusion() { return new GaussianDiffusion(schedule(), parameterization(), variance()); }

    private boolean sigmaScheduler() { return List.of(EULER, EULER_ANCESTRAL, HEUN, DPM).contains(className); }

    /**
     * The model timesteps of an n-step run, in the order they are first used, as set_timesteps computes them (Euler
     * and Heun: fractional for linspace spacing or Karras sigmas; Heun lists each only once here; PNDM: see
     * {@link PndmSampler}). For DDIM, DDPM and PNDM these are whole numbers.
     */
    public double[] inferenceTimesteps(int n) {
        checkSteps(n);
        if (className.equals(DPM)) return dpmGrid(n)[1];
        if (sigmaScheduler()) return eulerGrid(n)[1];
        return Arrays.stream(timesteps(n)).asDoubleStream().toArray();
    }

    /** The n + 1 noise levels (sigma = sqrt((1 - ab)/ab), descending) of an Euler, Heun or DPM-Solver run of n steps. */
    public double[] sigmas(int n) {
        checkSteps(n);
        if (!sigmaScheduler()) throw new IllegalArgumentException(className + " has no sigma list; " + EULER + ", " + EULER_ANCESTRAL + ", " + HEUN + " and " + DPM + " do");
        return className.equals(DPM) ? dpmGrid(n)[0] : eulerGrid(n)[0];
    }

    private void checkSteps(int n) {
        if (n < 1 || n > numTrainTimesteps) throw new IllegalArgumentException("inference steps must be in [1, " + numTrainTimesteps + "], got " + n);
    }

    /** The descending whole training timesteps of an n-step DDIM, DDPM or PNDM run (PNDM: before its own repetitions). */
    public int[] timesteps(int n) {
        checkSteps(n);
        int t = numTrainTimesteps;
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

    /** The training sigma table, as diffusers computes it in f32 (alpha_bar floored at 2^-24 under zero terminal SNR). */
    private double[] sigmaTable() {
        double[] ab = schedule().alphaBars();
        double[] s = new double[ab.length];
        for (int i = 0; i < ab.length; i++) {
            float a = (float) (rescaleBetasZeroSnr ? Math.max(ab[i], 0x1p-24) : ab[i]);
            s[i] = (float) Math.sqrt((1 - a) / a);
        }
        return s;
    }

    /** {sigmas (n + 1), timesteps (n)} of EulerDiscrete, EulerAncestralDiscrete and HeunDiscrete. */
    private double[][] eulerGrid(int n) {
        int t = numTrainTimesteps;
        double[] ts = new double[n];
        switch (timestepSpacing) {
            case "linspace" -> { for (int i = 0; i < n; i++) ts[n - 1 - i] = (float) (n == 1 ? 0 : (double) (t - 1) * i / (n - 1)); }
            case "leading" -> { int ratio = t / n; for (int i = 0; i < n; i++) ts[n - 1 - i] = i * ratio + stepsOffset; }
            default -> { double ratio = (double) t / n; for (int i = 0; i < n; i++) ts[i] = Math.rint(t - i * ratio) - 1; }
        }
        for (double v : ts) if (v < 0 || v > t - 1) throw new IllegalArgumentException("steps_offset " + stepsOffset + " puts timestep " + v + " outside [0, " + (t - 1) + "]");
        double[] table = sigmaTable();
        double[] s = new double[n];
        for (int i = 0; i < n; i++) s[i] = SigmaGrids.interp(table, ts[i]);
        if ((useKarrasSigmas || useExponentialSigmas) && !className.equals(EULER_ANCESTRAL)) {
            // EulerDiscrete honours sigma_min / sigma_max; HeunDiscrete has no such keys and spans its own range
            boolean own = className.equals(EULER);
            double lo = own && sigmaMin > 0 ? sigmaMin : s[n - 1], hi = own && sigmaMax > 0 ? sigmaMax : s[0];
            s = useKarrasSigmas ? SigmaGrids.karras(lo, hi, n) : SigmaGrids.exponential(lo, hi, n);
            for (int i = 0; i < n; i++) ts[i] = (float) SigmaGrids.sigmaToT(table, s[i]);
        }
        double last = className.equals(EULER) && finalSigmasType.equals("sigma_min") ? table[0] : 0;
        return new double[][] {withLast(s, last), ts};
    }

    /** {sigmas (n + 1), timesteps (n)} of DPMSolverMultistep: whole timesteps, Karras ones rounded. */
    private double[][] dpmGrid(int n) {
        int t = numTrainTimesteps;
        double[] ts = new double[n];
        switch (timestepSpacing) {
            case "linspace" -> { for (int i = 0; i < n; i++) ts[i] = Math.rint((double) (t - 1) * (n - i) / n); }
            case "leading" -> { int ratio = t / (n + 1); for (int i = 0; i < n; i++) ts[i] = (double) (n - i) * ratio + stepsOffset; }
            default -> { double ratio = (double) t / n; for (int i = 0; i < n; i++) ts[i] = Math.rint(t - i * ratio) - 1; }
        }
        for (double v : ts) if (v < 0 || v > t - 1) throw new IllegalArgumentException("steps_offset " + stepsOffset + " puts timestep " + v + " outside [0, " + (t - 1) + "]");
        double[] table = sigmaTable();
        double[] s = new double[n];
        if (useKarrasSigmas) {
            s = SigmaGrids.karras(table[0], table[t - 1], n);
            for (int i = 0; i < n; i++) {
                double v = SigmaGrids.sigmaToT(table, s[i]);
                ts[i] = betaSchedule.equals("squaredcos_cap_v2") && trainedBetas.isEmpty() ? Math.floor(v) : Math.rint(v);   // int64 cast truncates
            }
        } else if (useExponentialSigmas) {
            s = SigmaGrids.exponential(table[0], table[t - 1], n);
            for (int i = 0; i < n; i++) ts[i] = Math.floor(SigmaGrids.sigmaToT(table, s[i]));   // not rounded: the int64 cast truncates
        } else {
            for (int i = 0; i < n; i++) s[i] = table[(int) ts[i]];
        }
        return new double[][] {withLast(s, finalSigmasType.equals("sigma_min") ? table[0] : 0), ts};
    }

    private static double[] withLast(double[] s, double last) {
        double[] r = Arrays.copyOf(s, s.length + 1);
        for (int i = 0; i < s.length; i++) r[i] = (float) s[i];
        r[s.length] = (float) last;
        return r;
    }

    /** alpha_bar the last DDIM (and PNDM) step goes to: 1 with set_alpha_to_one, else alpha_bar(0). */
    public double finalAlphaBar() { return finalAlphaBar(schedule()); }

    private double finalAlphaBar(NoiseSchedule s) { return setAlphaToOne ? 1.0 : s.alphaBar(0); }

    /** What DDIM, DDPM, Heun and DPM-Solver do to x0^: dynamic thresholding where it is on, else clipping where on. */
    public Thresholding x0Treatment() {
        if (thresholding && List.of(DDIM, DDPM, DPM).contains(className)) return Thresholding.dynamic(dynamicThresholdingRatio, sampleMaxValue);
        if (clipSample && List.of(DDIM, DDPM, HEUN).contains(className)) return Thresholding.clip(clipSampleRange);
        return Thresholding.none();
    }

    /** DDIM's eta is the only free sampling parameter; the other classes are deterministic or fully ancestral. */
    public Sampler sampler(int n) { return sampler(n, 0); }

    /**
     * The sampler stepping an n-step run as this scheduler would: DDIM over {@link #timesteps} (eta as given); DDPM on
     * the kept timesteps (when they are T/n apart, so that each step's previous timestep is the next kept one); Euler,
     * Euler ancestral, Heun and DPM-Solver++ over {@link #sigmas} and {@link #inferenceTimesteps}; PNDM's PLMS with or
     * without its Runge-Kutta warm-up. eta applies to DDIM only.
     */
    public Sampler sampler(int n, double eta) {
        GaussianDiffusion d = diffusion();
        Thresholding th = x0Treatment();
        switch (className) {
            case DDIM -> { return new TimestepListDdimSampler(d, timesteps(n), finalAlphaBar(d.schedule()), eta, th); }
            case DDPM -> {
                int[] ts = timesteps(n);
                int stride = numTrainTimesteps / n;
                for (int i = 0; i + 1 < n; i++)
                    if (ts[i] - stride != ts[i + 1])   // diffusers steps DDPM to t - T/n; a respaced DDPM to the next kept timestep
                        throw new IllegalArgumentException("DDPMScheduler with " + timestepSpacing + " spacing over " + n + " of " + numTrainTimesteps
                                + " steps is not supported (its steps are not " + stride + " apart); use a step count that divides " + numTrainTimesteps);
                int[] keep = ts.clone();
                Arrays.sort(keep);
                return new DdpmSampler(n == numTrainTimesteps ? d : d.respaced(keep)).withThresholding(th);
            }
            case PNDM -> { return new PndmSampler(d, timesteps(n), numTrainTimesteps / n, finalAlphaBar(d.schedule()), skipPrkSteps); }
            default -> {
                double[][] grid = className.equals(DPM) ? dpmGrid(n) : eulerGrid(n);
                double[] s = grid[0];
                double init = className.equals(DPM) || timestepSpacing.equals("leading") ? Math.sqrt(s[0] * s[0] + 1) : s[0];
                SigmaListSampler.Method m = switch (className) {
                    case EULER -> SigmaListSampler.Method.EULER;
                    case EULER_ANCESTRAL -> SigmaListSampler.Method.EULER_ANCESTRAL;
                    case HEUN -> SigmaListSampler.Method.HEUN;
                    default -> solverOrder == 1 ? SigmaListSampler.Method.DPMPP_1
                            : solverType.equals("heun") ? SigmaListSampler.Method.DPMPP_2M_HEUN : SigmaListSampler.Method.DPMPP_2M_MIDPOINT;
                };
                boolean firstOrderLast = eulerAtFinal || (lowerOrderFinal && n < 15) || finalSigmasType.equals("zero");
                return new SigmaListSampler(d, m, s, grid[1], init, firstOrderLast, th);
            }
        }
    }
}
