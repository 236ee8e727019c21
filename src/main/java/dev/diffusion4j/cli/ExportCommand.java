package dev.diffusion4j.cli;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.models.autoencoder.DiffusersFolder;
import dev.diffusion4j.train.Invocation;
import dev.diffusion4j.train.autoencoder.AutoencoderRun;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code diffuse export}: a run's weights in another project's format. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a run in another project's format. --format diffusers: a train-autoencoder run's EMA weights as a diffusers "
                + "AutoencoderKL / VQModel folder (config.json + diffusion_pytorch_model.safetensors) that diffusers' from_pretrained "
                + "and diffuse train --autoencoder load; a pixel-space U-Net diffusion run as a DDPMPipeline folder (model_index.json, "
                + "unet/ as UNet2DModel, scheduler/ as DDPMScheduler with the run's schedule); a latent text-to-image run trained with --sd-unet as a "
                + "StableDiffusionPipeline folder (unet/ as UNet2DConditionModel, vae/ with the run's latent scale, text_encoder/ and tokenizer/ "
                + "for transformers' CLIPTextModel and CLIPTokenizer, scheduler/ as DDIMScheduler; see docs/diffusers.md); a class-conditional DiT run as OUT/transformer "
                + "(DiTTransformer2DModel) and OUT/scheduler/scheduler_config.json (DDPMScheduler), printing how far the export is from the "
                + "run's model (diffusers' timestep frequency shift, see docs/dit.md)."},
        footer = {"", "Example:", "  ${sys:diffuse.command:-diffuse} export --run runs/ae --format diffusers runs/ae-diffusers"})
public final class ExportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "The run folder to export.")
    Path run;

    @Option(names = "--format", paramLabel = "F", defaultValue = "diffusers", description = "diffusers. Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(names = "--fp16", description = "Store the weights in f16 under diffusers' fp16 variant name (diffusion_pytorch_model.fp16.safetensors).")
    boolean fp16;

    @Parameters(index = "0", paramLabel = "OUT", description = "The folder to write (created if missing; a config.json and weights file already there are replaced).")
    Path out;

    @Override public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        OptionChecks c = new OptionChecks(spec);
        c.oneOf("--format", format.toLowerCase(Locale.ROOT), List.of("diffusers"));
        c.outputFolder("OUT", out);
        if (DiTExport.isDiTRun(run)) return DiTExport.export(run, out, fp16, o);
        if (UNetDiffusersExport.isUNetRun(run)) return UNetDiffusersExport.export(o, run, out, fp16);
        c.require(AutoencoderRun.isAutoencoderRun(run), "--run " + run + " is not a train-autoencoder run, a U-Net diffusion run or a class-conditional DiT run; only those "
                + "can be exported to diffusers so far");
        AutoencoderRun r = AutoencoderRun.open(run);
        Autoencoder ae = r.load(Device.CPU);
        DiffusersFolder.save(out, ae, fp16);
        o.printf(Locale.ROOT, "wrote %s: %s (%,d parameters, EMA weights of step %d, %s)%n", out, ae.typeName(),
                ae.parameters().stream().mapToLong(p -> p.data().numel()).sum(), r.checkpoint().step(), fp16 ? "f16" : "f32");
        o.println("in Python: diffusers." + ae.typeName() + ".from_pretrained(\"" + out + "\")");
        o.println("next: " + Invocation.command() + " train --autoencoder " + Invocation.quote(out) + " --data " + Invocation.quote(r.config().data()) + " --image-size "
                + r.config().imageSize() + " --out " + Invocation.quote(out + "-latent"));
        return 0;
    }
}
