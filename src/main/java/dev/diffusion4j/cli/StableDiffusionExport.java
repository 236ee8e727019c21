package dev.diffusion4j.cli;

import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.interop.diffusers.StableDiffusionFolder;
import dev.diffusion4j.models.UNet;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.models.autoencoder.AutoencoderKL;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.TextConditioning;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import dev.diffusion4j.train.autoencoder.AutoencoderSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/** {@code diffuse export --format diffusers} of a latent text-to-image U-Net run: a StableDiffusionPipeline folder. */
final class StableDiffusionExport {
    private StableDiffusionExport() {}

    static int export(PrintWriter o, RunDir r, Path out, boolean fp16) throws IOException {
        TrainConfig cfg = r.config();
        Path run = r.root();
        TextConditioning text = TextConditioning.of(r, cfg, Device.CPU);
        if (text == null)
            throw new IllegalArgumentException(run + " is a latent run without a text encoder; diffusers has no pipeline for an unconditional or "
                    + "class-conditional latent U-Net (StableDiffusionPipeline needs --text-encoder)");
        var space = cfg.latent();
        AutoencoderSource source = AutoencoderSource.open(Path.of(space.autoencoder()));
        if (!source.weightsHash().equals(space.weightsSha256()))
            throw new IllegalArgumentException("the run's autoencoder " + space.autoencoder() + " has other weights now than it was trained on "
                    + "(retrained or replaced); the exported VAE would not decode the run's latents. Restore that autoencoder checkpoint");
        Autoencoder ae = source.load(Device.CPU);
        if (!(ae instanceof AutoencoderKL kl))
            throw new IllegalArgumentException(run + "'s autoencoder is a " + ae.typeName() + "; StableDiffusionPipeline's vae is an AutoencoderKL");
        var ck = RunCheckpoint.pick(r, null);
        UNet unet = (UNet) Trainer.loadEmaModel(r, ck.dir(), Device.CPU);
        text.loadEma(ck.dir());
        // the run keeps its vocabulary in text/ (TextConditioning's folder)
        var parts = new StableDiffusionFolder.Parts(unet, kl, space.scale(), text.encoder().model(), text.encoder().tokenizer(), run.resolve("text"));
        String why = StableDiffusionFolder.unsupported(parts);
        if (why != null) throw new IllegalArgumentException(run + " cannot be written as a StableDiffusionPipeline: " + why);
        var d = cfg.diffusion();
        StableDiffusionFolder.write(out, parts, d.noiseSchedule(), d.zeroTerminalSnr(), Parameterization.parse(d.parameterization()), fp16);
        long params = unet.parameters().stream().mapToLong(p -> p.data().numel()).sum();
        o.printf(Locale.ROOT, "wrote %s: StableDiffusionPipeline (UNet2DConditionModel, %,d parameters, EMA weights of step %d, %s; AutoencoderKL, "
                        + "scaling_factor %.6g; CLIPTextModel; CLIPTokenizer, prompts padded to %d tokens; DDIMScheduler, %d steps, %s)%n",
                out, params, ck.step(), fp16 ? "f16" : "f32", space.scale(), text.encoder().maxLength(), d.steps(), d.parameterization());
        o.println("in Python: diffusers.StableDiffusionPipeline.from_pretrained(\"" + out + "\"" + (fp16 ? ", variant=\"fp16\"" : "") + ")");
        o.println("next: " + dev.diffusion4j.train.Invocation.command() + " sample --pretrained " + dev.diffusion4j.train.Invocation.quote(out) + " --prompt \""
                + TextConditioning.examplePrompt(r, null) + "\"");
        return 0;
    }
}
