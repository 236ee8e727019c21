package dev.diffusion4j.interop.diffusers;

import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.UNet;
import dev.diffusion4j.models.autoencoder.AutoencoderKL;
import dev.diffusion4j.models.autoencoder.DiffusersFolder;
import dev.diffusion4j.models.text.ClipTextModel;
import dev.diffusion4j.models.text.ClipTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a diffusers {@code StableDiffusionPipeline} folder for a latent text-to-image run: unet/ (a
 * UNet2DConditionModel, {@link DiffusersUNet2D}), vae/ (the run's AutoencoderKL with scaling_factor = the run's latent
 * scale, so the pipeline divides latents by what the run multiplied them by), text_encoder/ (transformers'
 * CLIPTextModel layout), tokenizer/ ({@link ClipTokenizerFolder}, padding to the run's max length), scheduler/ (a
 * DDIMScheduler with the training schedule, {@link #schedulerConfig}) and no safety checker or feature extractor.
 */
public final class StableDiffusionFolder {
    private StableDiffusionFolder() {}

    /** What a latent text run is made of, with the EMA weights loaded. */
    public record Parts(UNet unet, AutoencoderKL vae, double latentScale, ClipTextModel textEncoder, ClipTokenizer tokenizer, Path vocabDir) {}

    /** Null when the parts can be written as a StableDiffusionPipeline folder, else why not. */
    public static String unsupported(Parts p) {
        String why = DiffusersUNet2D.unsupported(p.unet().config());
        if (why != null) return "its U-Net cannot be written as a UNet2DConditionModel: " + why;
        if (p.unet().config().contextDim() == 0) return "its U-Net has no cross-attention (a text-to-image run has)";
        if (p.unet().config().learnSigma())
            return "its U-Net also predicts the variance (learned sigma); StableDiffusionPipeline's schedulers read an output as wide as the latents";
        if (p.textEncoder().config().hiddenSize() != p.unet().config().contextDim())
            return "the text encoder's width " + p.textEncoder().config().hiddenSize() + " is not the U-Net's context width " + p.unet().config().contextDim();
        return null;
    }

    public static void write(Path out, Parts p, NoiseSchedule schedule, boolean zeroTerminalSnr, Parameterization param, boolean fp16) throws IOException {
        String why = unsupported(p);
        if (why != null) throw new IllegalArgumentException("this run cannot be written as a StableDiffusionPipeline: " + why);
        Map<String, Object> scheduler = schedulerConfig(schedule, zeroTerminalSnr, param);
        Files.createDirectories(out);
        DiffusersUNet2D.save(out.resolve("unet"), p.unet(), fp16);
        Path vae = out.resolve("vae");
        DiffusersFolder.save(vae, p.vae(), fp16);
        Map<String, Object> vaeConfig = new LinkedHashMap<>(ConfigJson.readObject(vae.resolve(DiffusersFolder.CONFIG)));
        vaeConfig.put("scaling_factor", p.latentScale());
        AtomicFiles.writeString(vae.resolve(DiffusersFolder.CONFIG), Json.writePretty(vaeConfig) + "\n");
        p.textEncoder().save(out.resolve("text_encoder"));
        ClipTokenizerFolder.write(out.resolve("tokenizer"), p.vocabDir(), p.tokenizer());
        Files.createDirectories(out.resolve("scheduler"));
        AtomicFiles.writeString(out.resolve("scheduler").resolve("scheduler_config.json"), Json.writePretty(scheduler) + "\n");
        Map<String, ModelIndex.Component> parts = new LinkedHashMap<>();
        parts.put("feature_extractor", new ModelIndex.Component(null, null));
        parts.put("safety_checker", new ModelIndex.Component(null, null));
        parts.put("scheduler", new ModelIndex.Component("diffusers", SchedulerConfig.DDIM));
        parts.put("text_encoder", new ModelIndex.Component("transformers", "CLIPTextModel"));
        parts.put("tokenizer", new ModelIndex.Component("transformers", "CLIPTokenizer"));
        parts.put("unet", new ModelIndex.Component("diffusers", "UNet2DConditionModel"));
        parts.put("vae", new ModelIndex.Component("diffusers", "AutoencoderKL"));
        new ModelIndex("StableDiffusionPipeline", ModelIndex.DIFFUSERS_VERSION, parts, Map.of("requires_safety_checker", false))
                .write(out.resolve("model_index.json"));
    }

    /**
     * DDIMScheduler's config for the training schedule: DDPMScheduler's (the one writer of betas and prediction type)
     * without its variance, latents unclipped, and the last step going to x0 (set_alpha_to_one), as our DDIM's does.
     * steps_offset is 1 because StableDiffusionPipeline rewrites any other value to 1 when it loads the scheduler: the
     * folder then steps t = k T/n + 1 (41, 31, ..., 1 for 5 of 50) in diffusers and in Java alike, one step later than the
     * run's own DDIM (40, ..., 0).
     */
    public static Map<String, Object> schedulerConfig(NoiseSchedule schedule, boolean zeroTerminalSnr, Parameterization param) {
        Map<String, Object> m = new LinkedHashMap<>(DdpmPipelineFolder.schedulerConfig(schedule, zeroTerminalSnr, param, VarianceType.FIXED_SMALL, false));
        m.put("_class_name", SchedulerConfig.DDIM);
        m.remove("variance_type");
        m.put("set_alpha_to_one", true);
        m.put("steps_offset", 1);
        return m;
    }
}
