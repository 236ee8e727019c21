package dev.diffusion4j.models.unet2d;

import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.interop.diffusers.SchedulerConfig;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The Java side of bench/sd_pipeline_parity.py: Stable Diffusion's denoising loop with classifier-free guidance, the
 * U-Net a diffusers folder ({@link UNet2DFolder}) and the steps those of its DDIM scheduler_config.json
 * ({@link SchedulerConfig#sampler}), from given initial latents and prompt embeddings (no text encoder needed).
 * <pre>
 * parity DIR DEVICE DTYPES   DIR/unet, DIR/scheduler/scheduler_config.json, DIR/inputs.safetensors (latents,
 *                            prompt_embeds, negative_prompt_embeds, steps, guidance) -> DIR/java.safetensors (latents_DTYPE)
 * bench DEVICE BATCHES STEPS the SD 1.x U-Net (random weights) and SD's DDIM config: STEPS steps with guidance 7.5 on
 *                            [B, 4, 64, 64] latents (512x512 images), bf16 autocast; one JSON line per batch
 * </pre>
 */
public final class SdPipelineParity {
    private SdPipelineParity() {}

    public static void main(String[] args) throws IOException {
        switch (args.length > 0 ? args[0] : "") {
            case "parity" -> parity(Path.of(args[1]), Device.parse(args[2]), args[3]);
            case "bench" -> bench(Device.parse(args[1]), args[2], Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException("usage: SdPipelineParity parity DIR DEVICE DTYPES | bench DEVICE BATCHES STEPS");
        }
    }

    static void parity(Path dir, Device device, String dtypes) throws IOException {
        UNet2D unet = UNet2DFolder.load(dir.resolve("unet"));
        unet.to(device);
        unet.eval();
        SchedulerConfig sc = SchedulerConfig.read(dir.resolve("scheduler").resolve("scheduler_config.json"));
        Map<String, Tensor> in = StateDicts.load(dir.resolve("inputs.safetensors"));
        int steps = (int) in.get("steps").item();
        double guidance = in.get("guidance").item();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String dt : dtypes.split(",")) {
            Precision p = dt.equals("bfloat16") ? Precision.BF16 : Precision.FP32;
            p.applyMathMode();
            long t0 = System.nanoTime();
            Tensor z = denoise(unet, sc.sampler(steps, 0), in.get("latents").to(device), in.get("prompt_embeds").to(device),
                    in.get("negative_prompt_embeds").to(device), guidance, p);
            out.put("latents_" + dt, z.to(DType.F32).to(Device.CPU));
            System.out.printf(Locale.ROOT, "java %s: %d steps in %.1f s%n", dt, steps, (System.nanoTime() - t0) / 1e9);
        }
        Precision.FP32.applyMathMode();
        StateDicts.save(dir.resolve("java.safetensors"), out, Map.of());
    }

    /** Steps the latents as StableDiffusionPipeline does: eps = uncond + w (text - uncond), both halves in one call. */
    static Tensor denoise(UNet2D unet, Sampler sampler, Tensor latents, Tensor text, Tensor negative, double guidance, Precision p) {
        Tensor context = Tensor.cat(0, negative, text);   // diffusers' order: unconditional half first
        int n = latents.shape(0);
        Denoiser guided = (x, t, cond) -> {
            Tensor both = unet.forwardWithContext(Tensor.cat(0, x, x), Tensor.cat(0, t, t), null, context);
            Tensor uncond = both.slice(0, 0, n), cond2 = both.slice(0, n, 2 * n);
            return uncond.add(cond2.sub(uncond).mul(guidance));
        };
        try (var g = GradMode.off(); var ac = p.autocast()) {
            return sampler.sample(guided, latents, null, new Generator(0), null);
        }
    }

    static void bench(Device device, String batches, int steps) {
        long b0 = System.nanoTime();
        UNet2D unet = new UNet2D(UNet2DConditionConfig.sd1(), new Generator(0));
        unet.to(device);
        unet.eval();
        System.err.printf(Locale.ROOT, "built the SD 1.x U-Net (%d parameters) in %.1f s%n", unet.numParameters(), (System.nanoTime() - b0) / 1e9);
        SchedulerConfig sc = SchedulerConfig.read(sdScheduler());
        Precision.BF16.applyMathMode();
        for (String bs : batches.split(",")) {
            int b = Integer.parseInt(bs);
            Generator gen = new Generator(1);
            Tensor latents = Tensor.randn(gen, DType.F32, device, b, 4, 64, 64);
            Tensor text = Tensor.randn(gen, DType.F32, device, b, 77, 768), neg = Tensor.randn(gen, DType.F32, device, b, 77, 768);
            denoise(unet, sc.sampler(2, 0), latents, text, neg, 7.5, Precision.BF16).sum().item();   // warm-up (kernels, allocator)
            long t0 = System.nanoTime();
            denoise(unet, sc.sampler(steps, 0), latents, text, neg, 7.5, Precision.BF16).sum().item();   // sync: all queued work done
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "{\"side\": \"java\", \"mode\": \"bf16\", \"batch\": %d, \"steps\": %d, \"seconds\": %.3f, \"it_per_s\": %.3f}%n",
                    b, steps, s, steps / s);
        }
        Precision.FP32.applyMathMode();
    }

    /** Stable Diffusion 1.x's DDIM scheduler_config.json, written to a temporary file. */
    private static Path sdScheduler() {
        try {
            Path f = java.nio.file.Files.createTempFile("sd-scheduler", ".json");
            java.nio.file.Files.writeString(f, """
                    {"_class_name": "DDIMScheduler", "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
                     "num_train_timesteps": 1000, "clip_sample": false, "set_alpha_to_one": false, "steps_offset": 1,
                     "prediction_type": "epsilon", "timestep_spacing": "leading"}
                    """);
            return f;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
