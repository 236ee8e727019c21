package dev.diffusion4j.cli;

import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.pipelines.ImageToImage;
import dev.diffusion4j.train.SampleConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffuse edit img2img}: SDEdit - noise each input part of the way, then denoise it with the run's model. */
@Command(name = "img2img", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Image-to-image (SDEdit): noise each input to --strength of the way to pure noise, then denoise it. Low strength keeps "
                + "the input's details, high strength keeps only its rough layout and colours; 1 ignores the input (plain sampling with the seed).",
                "Writes <name>-img2img.png per input and img2img-side-by-side.png (input | result) into --out."},
        footer = {"", "Examples:", "  ${sys:diffuse.command:-diffuse} edit img2img --run runs/shapes --strength 0.5 sketch.png",
                "  ${sys:diffuse.command:-diffuse} edit img2img --run runs/shapes --class 2 --guidance 4 --resize photo.jpg"})
public final class EditImg2ImgCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin EditOptions opts;

    @Option(names = "--strength", paramLabel = "S", defaultValue = "0.6",
            description = "How far to noise the input, in [0, 1]: 0 returns it unchanged, 1 samples afresh. Default: ${DEFAULT-VALUE}.")
    double strength;

    @Option(names = "--sampler", paramLabel = "S", description = "Sampler: " + SampleConfig.NAMES + ". Default: the run's (ddim).")
    String sampler;

    @Option(names = "--eta", paramLabel = "E", defaultValue = "0", description = "DDIM eta (0 deterministic, 1 DDPM-like). Default: ${DEFAULT-VALUE}.")
    double eta;

    @Option(names = "--no-clip", description = "Do not clip the predicted x0 to [-1, 1] at each step (clipping is on by default).")
    boolean noClip;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        OptionChecks c = new OptionChecks(spec);
        c.unitInterval("--strength", strength).unitInterval("--eta", eta);
        if (sampler != null) c.oneOf("--sampler", sampler, TrainCommand.SAMPLERS);
        Device dev = opts.check(c);
        EditSession s = EditSession.open(opts, dev, null);
        List<EditInputs.Picture> pics = EditInputs.images(opts.images, s.model().inChannels(), s.model().resolution(), opts.resize);
        SampleConfig sc = new SampleConfig(sampler != null ? sampler : s.config.sample().sampler(), s.steps(opts), eta, 1, opts.seed, !noClip);
        c.etaOnlyWithDdim(sc.sampler());
        Sampler smp = c.parse("--steps", sc.sampler(), name -> sc.create(s.diffusion()));   // e.g. no DDIM spacing of that many steps
        int run = ImageToImage.stepsRun(smp, strength);
        Path dir = s.outDir(opts);
        out.printf(Locale.ROOT, "img2img: %d image(s) from %s (step %d), strength %s: the last %d of %d %s steps, %s, on %s%n", pics.size(),
                opts.run, s.checkpoint.step(), strength, run, smp.steps(), sc.sampler(), s.describeCondition(), dev);
        out.flush();
        Denoiser model = s.denoiser();
        Tensor result;
        if (run == 0) out.println("strength " + strength + " runs no step: the results are the inputs");
        try (ProgressBar bar = new ProgressBar(System.out, "img2img", (long) run * ((pics.size() + opts.batchSize - 1) / opts.batchSize), "step")) {
            result = s.editAll(pics, opts, bar, (x, cond, gen, cb) -> ImageToImage.sdedit(smp, model, x, strength, cond, gen, cb));
            result = result.clamp(-1, 1);
        }
        Tensor inputs = EditInputs.batch(pics, 0, pics.size(), s.model().inChannels(), s.model().resolution());
        EditOutputs.writeEach(dir, "img2img", pics, result, out);
        EditOutputs.writeSideBySide(dir, "img2img", gridScale(), out, "input | result", inputs, result);
        out.flush();
        return 0;
    }

    private int gridScale() { return opts.gridScale != null ? opts.gridScale : 0; }
}
