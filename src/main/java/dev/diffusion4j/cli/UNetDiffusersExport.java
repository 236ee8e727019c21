package dev.diffusion4j.cli;

import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.interop.diffusers.DdpmPipelineFolder;
import dev.diffusion4j.interop.diffusers.DiffusersUNet2D;
import dev.diffusion4j.models.UNet;
import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import dev.diffusion4j.train.autoencoder.AutoencoderRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code diffuse export --format diffusers} of a U-Net diffusion run: a DDPMPipeline folder (see interop.diffusers.DdpmPipelineFolder),
 * or for a latent text-to-image run a StableDiffusionPipeline folder ({@link StableDiffusionExport}).
 */
final class UNetDiffusersExport {
    private UNetDiffusersExport() {}

    /** A diffusion run (not an autoencoder run) whose model is a U-Net. */
    static boolean isUNetRun(Path run) {
        if (!Files.isRegularFile(run.resolve("config.json")) || AutoencoderRun.isAutoencoderRun(run)) return false;
        try {
            return RunDir.open(run).config().model() instanceof UNetConfig;
        } catch (RuntimeException e) {
            return false;   // another kind of run: the caller's message names what can be exported
        }
    }

    static int export(PrintWriter o, Path run, Path out, boolean fp16) throws IOException {
        RunDir r = RunDir.open(run);
        TrainConfig cfg = r.config();
        UNetConfig mc = (UNetConfig) cfg.model();
        if (cfg.latent().isLatent()) return StableDiffusionExport.export(o, r, out, fp16);
        if (mc.contextDim() > 0)
            throw new IllegalArgumentException(run + " is a pixel-space text-to-image run; diffusers has no pipeline for a U-Net with a text encoder "
                    + "but no VAE (StableDiffusionPipeline is latent), so only latent text runs (train --autoencoder ... --text-encoder ... --sd-unet) export");
        String why = DiffusersUNet2D.unsupported(mc);
        if (why != null) throw new IllegalArgumentException(run + " cannot be written as a diffusers UNet2DModel: " + why);
        var ck = RunCheckpoint.pick(r, null);
        UNet model = (UNet) Trainer.loadEmaModel(r, ck.dir(), Device.CPU);
        var d = cfg.diffusion();
        DdpmPipelineFolder.write(out, model, d.noiseSchedule(), d.zeroTerminalSnr(), Parameterization.parse(d.parameterization()),
                VarianceType.parse(d.variance()), cfg.sample().clipX0(), fp16);
        long params = model.parameters().stream().mapToLong(p -> p.data().numel()).sum();
        o.printf(Locale.ROOT, "wrote %s: DDPMPipeline (UNet2DModel, %,d parameters, EMA weights of step %d, %s; DDPMScheduler, %d steps, %s)%n",
                out, params, ck.step(), fp16 ? "f16" : "f32", d.steps(), d.parameterization());
        o.println("in Python: diffusers.DDPMPipeline.from_pretrained(\"" + out + "\"" + (fp16 ? ", variant=\"fp16\"" : "") + ")" + (mc.numClasses() > 0
                ? "; class-conditional: call pipe.unet(x, t, class_labels=y) with y in [0, " + mc.numClasses() + "], " + mc.numClasses() + " meaning no class"
                : ""));
        // the folder keeps no sampling defaults: a guided run's scale goes into the hint (DDPMPipeline's default is none)
        double w = cfg.sample().guidance();
        boolean guided = mc.numClasses() > 0 && cfg.labelDropout() > 0 && w != 1;
        o.println("next: " + dev.diffusion4j.train.Invocation.command() + " sample --pretrained " + dev.diffusion4j.train.Invocation.quote(out) + " --steps 50"
                + (guided ? " --guidance " + w : ""));
        return 0;
    }
}
