package dev.diffusion4j.cli;

import dev.diffusion4j.diffusion.DdpmSampler;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.pipelines.InpaintMask;
import dev.diffusion4j.pipelines.Inpainting;
import dev.diffusion4j.pipelines.RepaintSchedule;
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

/** {@code diffuse edit inpaint}: regenerate the masked part of each input, consistently with the rest. */
@Command(name = "inpaint", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Inpainting: regenerate the region a mask marks and keep the rest of each input exactly. The mask is a picture of the "
                + "images' size: white (brightness at or above --mask-threshold) marks the region to regenerate, black what to keep.",
                "replace: at every step the kept region is replaced by the input noised to that step's level (any sampler). repaint: RePaint's "
                + "resampling (DDPM), which walks back up --jump-length steps --resamplings - 1 times after every --jump-length steps, so the "
                + "new region fits the kept one better, at several times the cost.",
                "Writes <name>-inpaint.png per input and inpaint-side-by-side.png (input | mask | result) into --out."},
        footer = {"", "Examples:", "  ${sys:diffuse.command:-diffuse} edit inpaint --run runs/shapes --mask hole.png picture.png",
                "  ${sys:diffuse.command:-diffuse} edit inpaint --run runs/shapes --mask hole.png --method repaint \\",
                "      --jump-length 5 --resamplings 5 picture.png"})
public final class EditInpaintCommand implements Callable<Integer> {
    static final List<String> METHODS = List.of("replace", "repaint");

    @Spec CommandSpec spec;
    @Mixin EditOptions opts;

    @Option(names = "--mask", paramLabel = "PNG", required = true, description = "Mask picture, the size of the images: white = regenerate, black = keep.")
    Path mask;

    @Option(names = "--invert-mask", description = "Read the mask the other way round: black = regenerate, white = keep.")
    boolean invertMask;

    @Option(names = "--mask-threshold", paramLabel = "T",
            description = "Brightness in (0, 1) at which the mask is cut into black and white. Without it a mask must be black and white "
                    + "(at most 10%% grey pixels) and is cut at 0.5.")
    Double maskThreshold;

    @Option(names = "--method", paramLabel = "M", defaultValue = "replace", description = "replace or repaint. Default: ${DEFAULT-VALUE}.")
    String method;

    @Option(names = "--jump-length", paramLabel = "L", defaultValue = "10", description = "repaint: steps walked down between jumps back up. Default: ${DEFAULT-VALUE}.")
    int jumpLength;

    @Option(names = "--resamplings", paramLabel = "R", defaultValue = "10",
            description = "repaint: times each stretch of --jump-length steps is denoised (1 = replace with DDPM). Default: ${DEFAULT-VALUE}.")
    int resamplings;

    @Option(names = "--sampler", paramLabel = "S", description = "replace: sampler, " + SampleConfig.NAMES + ". Default: the run's (ddim); repaint uses ddpm.")
    String sampler;

    @Option(names = "--eta", paramLabel = "E", defaultValue = "0", description = "DDIM eta (0 deterministic, 1 DDPM-like). Default: ${DEFAULT-VALUE}.")
    double eta;

    @Option(names = "--no-clip", description = "Do not clip the predicted x0 to [-1, 1] at each step (clipping is on by default).")
    boolean noClip;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        OptionChecks c = new OptionChecks(spec);
        c.oneOf("--method", method, METHODS).unitInterval("--eta", eta)
                .between("--jump-length", jumpLength, 1, TrainCommand.MAX_SAMPLE_STEPS).between("--resamplings", resamplings, 1, 1000);
        if (maskThreshold != null) c.require(maskThreshold > 0 && maskThreshold < 1, "--mask-threshold must be in (0, 1), got " + maskThreshold);
        boolean repaint = "repaint".equalsIgnoreCase(method);
        if (sampler != null) {
            c.oneOf("--sampler", sampler, TrainCommand.SAMPLERS);
            c.require(!repaint || "ddpm".equalsIgnoreCase(sampler), "--method repaint samples with ddpm; drop --sampler " + sampler);
        }
        Device dev = opts.check(c);
        EditSession s = EditSession.open(opts, dev, null);
        int steps = Math.min(s.steps(opts), s.diffusion().steps());
        if (repaint && resamplings > 1)
            c.require(jumpLength < steps, "--jump-length " + jumpLength + " leaves no room to jump back within " + steps
                    + " steps: use at most " + (steps - 1) + ", or more --steps");
        int size = s.model().resolution(), ch = s.model().inChannels();
        List<EditInputs.Picture> pics = EditInputs.images(opts.images, ch, size, opts.resize);
        InpaintMask m = EditInputs.mask(mask, pics, size, maskThreshold, invertMask);
        SampleConfig sc = new SampleConfig(repaint ? "ddpm" : sampler != null ? sampler : s.config.sample().sampler(), steps, eta, 1, opts.seed, !noClip);
        c.etaOnlyWithDdim(sc.sampler());
        Sampler smp = c.parse("--steps", sc.sampler(), name -> sc.create(s.diffusion()));   // e.g. no DDIM spacing of that many steps
        long calls = repaint ? RepaintSchedule.modelCalls(smp.steps(), jumpLength, resamplings) : smp.steps();
        out.printf(Locale.ROOT, "inpaint: %d image(s) from %s (step %d), regenerating %.0f%% of the pixels by %s (%d %s steps%s), %s, on %s%n",
                pics.size(), opts.run, s.checkpoint.step(), 100 * m.regenerateFraction(), method.toLowerCase(Locale.ROOT), smp.steps(), sc.sampler(),
                repaint ? String.format(Locale.ROOT, ", jump %d, %d resamplings: %d model calls", jumpLength, resamplings, calls) : "",
                s.describeCondition(), dev);
        out.flush();
        Denoiser model = s.denoiser();
        Tensor keep = m.tensor().to(dev);
        Tensor result;
        try (ProgressBar bar = new ProgressBar(System.out, "inpaint", calls * ((pics.size() + opts.batchSize - 1) / opts.batchSize), "step")) {
            result = s.editAll(pics, opts, bar, (x, cond, gen, cb) -> repaint
                    ? new Inpainting(x, keep).repaint((DdpmSampler) smp, model, jumpLength, resamplings, cond, gen, cb)
                    : new Inpainting(x, keep).sample(smp, model, cond, gen, cb));
            result = result.clamp(-1, 1);
        }
        Path dir = s.outDir(opts);
        Tensor inputs = EditInputs.batch(pics, 0, pics.size(), ch, size);
        // the mask as the user drew it (after thresholding): white where the picture was regenerated, unless --invert-mask
        Tensor shown = (invertMask ? m.tensor() : m.tensor().rsub(1.0)).mul(2.0).sub(1.0).expand(1, ch, size, size);
        EditOutputs.writeEach(dir, "inpaint", pics, result, out);
        EditOutputs.writeSideBySide(dir, "inpaint", opts.gridScale != null ? opts.gridScale : 0, out, "input | mask | result", inputs, shown, result);
        out.flush();
        return 0;
    }
}
