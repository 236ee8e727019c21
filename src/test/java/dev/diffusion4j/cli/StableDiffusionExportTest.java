package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.train.autoencoder.LatentDecoder;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.interop.diffusers.ModelIndex;
import dev.diffusion4j.interop.diffusers.SchedulerConfig;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.models.UNet;
import dev.diffusion4j.models.unet2d.UNet2D;
import dev.diffusion4j.models.unet2d.UNet2DFolder;
import dev.diffusion4j.pipelines.DiffusionPipeline;
import dev.diffusion4j.pipelines.PretrainedPipeline;
import dev.diffusion4j.pipelines.SampleOptions;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.TextConditioning;
import dev.diffusion4j.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * diffuse export of a latent text-to-image run (--sd-unet) as a StableDiffusionPipeline folder: the folder samples the
 * run's images from the same noise and prompts, its unet/ computes the run's U-Net, and the refusals say why.
 */
class StableDiffusionExportTest {
    @TempDir static Path tmp;
    static Path ae, run, out;

    /** A 32x32 KL autoencoder (f4: 8x8 latents, where the tiny U-Net's first level cross-attends) and a 2-step latent text run. */
    @BeforeAll static void trainAndExport() {
        ae = tmp.resolve("ae");
        run = tmp.resolve("sd");
        out = tmp.resolve("sd-diffusers");
        CliRun.of("train-autoencoder", "--preset", "kl-f4-tiny", "--out", ae.toString(), "--data", "shapes:16", "--image-size", "32",
                "--batch-size", "4", "--steps", "1", "--device", "cpu").succeeded();
        CliRun.of(latentText(run, "--sd-unet")).succeeded();
        CliRun e = CliRun.of("export", "--run", run.toString(), out.toString()).succeeded();
        assertTrue(e.out().contains("StableDiffusionPipeline") && e.out().contains("sample --pretrained " + out), e.describe());
    }

    static String[] latentText(Path dir, String... extra) {
        List<String> a = new ArrayList<>(List.of(CliRun.train(dir, "--autoencoder", ae.toString(), "--text-encoder", "text-tiny", "--timesteps", "50",
                "--lr-schedule", "constant", "--steps", "2")));
        a.set(a.indexOf("--image-size") + 1, "32");
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    @Test void theFolderIsAStableDiffusionPipelineWithTheRunsParts() throws Exception {
        ModelIndex index = ModelIndex.read(out.resolve("model_index.json"));
        assertEquals("StableDiffusionPipeline", index.className());
        assertEquals("UNet2DConditionModel", index.component("unet").className());
        assertEquals("CLIPTextModel", index.component("text_encoder").className());
        assertEquals("DDIMScheduler", index.component("scheduler").className());
        assertTrue(!index.components().get("safety_checker").present());
        Map<String, Object> unet = ConfigJson.readObject(out.resolve("unet/config.json"));
        assertEquals(List.of("CrossAttnDownBlock2D", "DownBlock2D", "DownBlock2D"), unet.get("down_block_types"));
        assertEquals(List.of("UpBlock2D", "UpBlock2D", "CrossAttnUpBlock2D"), unet.get("up_block_types"));
        assertEquals(64, ((Number) unet.get("cross_attention_dim")).intValue());   // text-tiny's width
        assertEquals("[1, 1, 1]", String.valueOf(unet.get("attention_head_dim")));            // the tiny preset: one head (a count, diffusers' trap)
        var cfg = RunDir.open(run).config();
        assertEquals(cfg.latent().scale(), ((Number) ConfigJson.readObject(out.resolve("vae/config.json")).get("scaling_factor")).doubleValue(), 0.0);
        assertEquals(32, ((Number) ConfigJson.readObject(out.resolve("tokenizer/tokenizer_config.json")).get("model_max_length")).intValue());
        // the scheduler's betas and prediction are the run's
        SchedulerConfig s = SchedulerConfig.read(out.resolve("scheduler/scheduler_config.json"));
        NoiseSchedule theirs = s.schedule(), ours = cfg.diffusion().noiseSchedule();
        assertEquals(ours.steps(), theirs.steps());
        for (int t = 0; t < ours.steps(); t++) assertEquals(ours.beta(t), theirs.beta(t), 1e-12);
        assertEquals(cfg.diffusion().parameterization(), s.parameterization().name().toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * The folder's DDIMScheduler steps the run's DDIM timesteps plus steps_offset 1 (what StableDiffusionPipeline
     * forces); with that one sampler on both sides, the run's denoiser, text encoder (with and without guidance) and
     * decoder make the folder's images from the same noise and prompts. Latents are decoded unclamped on both sides:
     * diffusion4j's sampling loop clamps its output to [-1, 1] before a latent run decodes it, StableDiffusionPipeline
     * does not (docs/diffusers.md says where they part).
     */
    @Test void theFolderSamplesTheRunsImagesFromTheSameNoiseAndPrompts() throws Exception {
        List<String> prompts = List.of("a red circle", "a blue square");
        DiffusionPipeline ours = DiffusionPipeline.load(run);
        RunDir r = RunDir.open(run);
        TextConditioning text = TextConditioning.of(r, r.config(), Device.CPU);
        text.loadEma(r.checkpoints().latest().orElseThrow().dir());
        LatentDecoder decoder = LatentDecoder.open(r.config().latent(), Device.CPU);
        PretrainedPipeline theirs = PretrainedPipeline.load(out, Device.CPU);
        int[] runs = dev.diffusion4j.diffusion.Respacing.timesteps("ddim5", r.config().diffusion().steps()), folder = theirs.scheduler().timesteps(5);
        for (int i = 0; i < 5; i++) assertEquals(runs[4 - i] + 1, folder[i], "step " + i);
        Sampler sampler = theirs.sampler(5, 0);
        for (double w : new double[] {1.0, 3.0}) {
            Tensor noise = Tensor.randn(new Generator(11), DType.F32, Device.CPU, 2, 4, 8, 8);
            Tensor a;
            try (var off = GradMode.off()) {
                Denoiser d = text.guided(new NetworkDenoiser(ours.model()), w, null);
                a = decoder.decode(sampler.sample(d, noise, text.prompts(prompts), new Generator(1), StepCallback.none()));
            }
            Tensor b = theirs.sampleFrom(sampler, noise, prompts, null, null, w, new Generator(1), null);
            assertEquals(0, maxDiff(a, b), 2e-5, "guidance " + w);
        }
    }

    @Test void itsUNetComputesTheRunsUNetWithContext() throws Exception {
        RunDir r = RunDir.open(run);
        var ck = r.checkpoints().latest().orElseThrow();
        UNet model = (UNet) Trainer.loadEmaModel(r, ck.dir(), Device.CPU);
        TextConditioning text = TextConditioning.of(r, r.config(), Device.CPU);
        text.loadEma(ck.dir());
        UNet2D loaded = UNet2DFolder.load(out.resolve("unet"));
        Generator g = new Generator(5);
        try (var off = GradMode.off()) {
            Tensor x = Tensor.randn(g, DType.F32, Device.CPU, 2, model.config().inChannels(), 8, 8);
            Tensor context = text.encoder().encode(List.of("a green triangle", ""));
            for (double t : new double[] {0, 17, 49}) {
                Tensor ts = Tensor.full(t, DType.F32, Device.CPU, 2);
                assertEquals(0, maxDiff(model.forwardWithContext(x, ts, null, context), loaded.forwardWithContext(x, ts, null, context)), 1e-5, "t " + t);
            }
        }
    }

    @Test void samplePretrainedRunsTheFolder() {
        Path images = tmp.resolve("images");
        CliRun.of("sample", "--pretrained", out.toString(), "--prompt", "a red circle", "--count", "2", "--steps", "3", "--images", images.toString(),
                "--grid", tmp.resolve("grid.png").toString(), "--device", "cpu").succeeded();
        assertTrue(java.nio.file.Files.isRegularFile(tmp.resolve("grid.png")));
    }

    @Test void refusesRunsDiffusersCannotHold() {
        // our default text layout: self-attention before each spatial transformer
        Path plain = tmp.resolve("plain");
        CliRun.of(latentText(plain)).succeeded();
        CliRun.of("export", "--run", plain.toString(), tmp.resolve("x").toString()).refused(1, "self-attention block before its spatial transformer", "--sd-unet");
        // a pixel-space text run: no StableDiffusionPipeline without a VAE
        Path pixels = tmp.resolve("pixels");
        CliRun.of(CliRun.train(pixels, "--text-encoder", "text-tiny", "--sd-unet", "--steps", "1", "--lr-schedule", "constant")).succeeded();
        CliRun.of("export", "--run", pixels.toString(), tmp.resolve("y").toString()).refused(1, "pixel-space text-to-image run");
        CliRun.of(CliRun.train(tmp.resolve("z"), "--sd-unet", "--steps", "1")).refused(2, "--sd-unet needs --text-encoder");
    }

    private static double maxDiff(Tensor a, Tensor b) {
        assertEquals(List.of(a.shape()[0], a.shape()[1], a.shape()[2], a.shape()[3]), List.of(b.shape()[0], b.shape()[1], b.shape()[2], b.shape()[3]));
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }
}
