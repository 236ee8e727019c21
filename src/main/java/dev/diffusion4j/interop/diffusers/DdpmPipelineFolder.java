package dev.diffusion4j.interop.diffusers;

import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.UNet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a diffusers {@code DDPMPipeline} folder: model_index.json, unet/ (a {@link DiffusersUNet2D}) and
 * scheduler/scheduler_config.json, a DDPMScheduler with the training schedule (a named beta_schedule where one gives
 * exactly the same betas, else trained_betas), parameterisation and variance.
 */
public final class DdpmPipelineFolder {
    private DdpmPipelineFolder() {}

    public static void write(Path out, UNet model, NoiseSchedule schedule, boolean zeroTerminalSnr, Parameterization p, VarianceType v,
                             boolean clipSample) throws IOException {
        write(out, model, schedule, zeroTerminalSnr, p, v, clipSample, false);
    }

    /** As above; {@code fp16} stores the U-Net's weights in f16 under diffusers' fp16 variant name (load with variant="fp16"). */
    public static void write(Path out, UNet model, NoiseSchedule schedule, boolean zeroTerminalSnr, Parameterization p, VarianceType v,
                             boolean clipSample, boolean fp16) throws IOException {
        Map<String, Object> scheduler = schedulerConfig(schedule, zeroTerminalSnr, p, v, clipSample);
        DiffusersUNet2D.config(model.config());   // refuses an inexpressible U-Net before anything is written
        Files.createDirectories(out);
        DiffusersUNet2D.save(out.resolve("unet"), model, fp16);
        Files.createDirectories(out.resolve("scheduler"));
        AtomicFiles.writeString(out.resolve("scheduler").resolve("scheduler_config.json"), Json.writePretty(scheduler) + "\n");
        Map<String, ModelIndex.Component> parts = new LinkedHashMap<>();
        parts.put("scheduler", new ModelIndex.Component("diffusers", "DDPMScheduler"));
        parts.put("unet", new ModelIndex.Component("diffusers", "UNet2DModel"));
        ModelIndex.of("DDPMPipeline", parts).write(out.resolve("model_index.json"));
    }

    /**
     * DDPMScheduler's config for a schedule: {@code schedule} is the one the model was trained with (after any zero
     * terminal SNR rescaling, which {@code zeroTerminalSnr} says was applied to the named schedule it came from).
     */
    public static Map<String, Object> schedulerConfig(NoiseSchedule schedule, boolean zeroTerminalSnr, Parameterization p, VarianceType v, boolean clipSample) {
        int t = schedule.steps();
        double scale = 1000.0 / t;   // our named schedules scale their beta range by 1000 / T; diffusers' do not
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_class_name", SchedulerConfig.DDPM);
        m.put("_diffusers_version", ModelIndex.DIFFUSERS_VERSION);
        m.put("num_train_timesteps", t);
        m.put("beta_start", 0.0001);
        m.put("beta_end", 0.02);
        m.put("beta_schedule", "linear");
        m.put("trained_betas", null);
        m.put("variance_type", switch (v) {
            case FIXED_SMALL -> "fixed_small";
            case FIXED_LARGE -> "fixed_large";
            case LEARNED_RANGE -> "learned_range";
            default -> throw new IllegalArgumentException("variance " + v + " has no DDPMScheduler variance_type; supported: fixed-small, fixed-large, learned-range");
        });
        m.put("clip_sample", clipSample);
        m.put("clip_sample_range", 1.0);
        m.put("prediction_type", switch (p) {
            case EPS -> "epsilon";
            case X0 -> "sample";
            case V -> "v_prediction";
        });
        m.put("thresholding", false);
        m.put("dynamic_thresholding_ratio", 0.995);
        m.put("sample_max_value", 1.0);
        m.put("timestep_spacing", "leading");
        m.put("steps_offset", 0);
        m.put("rescale_betas_zero_snr", zeroTerminalSnr);
        // the first named schedule that gives these betas exactly, else the betas themselves
        List<Map<String, Object>> named = List.of(
                Map.of("beta_schedule", "linear", "beta_start", 0.0001 * scale, "beta_end", 0.02 * scale),
                Map.of("beta_schedule", "scaled_linear", "beta_start", 0.00085 * scale, "beta_end", 0.012 * scale),
                Map.of("beta_schedule", "scaled_linear", "beta_start", 0.00085, "beta_end", 0.012),
                Map.of("beta_schedule", "squaredcos_cap_v2"));
        for (Map<String, Object> cand : named) {
            Map<String, Object> tryIt = new LinkedHashMap<>(m);
            tryIt.putAll(cand);
            if (sameBetas(SchedulerConfig.fromMap(tryIt, "candidate").schedule(), schedule)) return tryIt;
        }
        List<Double> betas = new ArrayList<>();
        for (double b : schedule.betas()) betas.add(b);
        m.put("trained_betas", betas);
        m.put("rescale_betas_zero_snr", false);   // the betas are already the rescaled ones
        return m;
    }

    private static boolean sameBetas(NoiseSchedule a, NoiseSchedule b) {
        if (a.steps() != b.steps()) return false;
        for (int i = 0; i < a.steps(); i++) if (Math.abs(a.beta(i) - b.beta(i)) > 1e-12 * Math.max(1, b.beta(i))) return false;
        return true;
    }
}
