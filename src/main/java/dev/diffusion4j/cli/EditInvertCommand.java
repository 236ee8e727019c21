package dev.diffusion4j.cli;

import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.StateDicts;
import dev.diffusion4j.pipelines.DdimInversion;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffuse edit invert}: DDIM inversion of each input to its noise x_T, and the reconstruction from it. */
@Command(name = "invert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"DDIM inversion: run the deterministic DDIM ODE forward to encode each input as the noise x_T that DDIM sampling maps "
                + "back to it, then reconstruct the input from x_T and report how close it came. --inversion-iterations solves each step "
                + "exactly (fixed-point iteration) instead of classic inversion's first-order approximation.",
                "Writes <name>-latent.safetensors (x_T as tensor 'latent' [C, H, W]), <name>-reconstruction.png and "
                        + "invert-side-by-side.png (input | x_T / 3 | reconstruction) into --out."},
        footer = {"", "Examples:", "  ${sys:diffuse.command:-diffuse} edit invert --run runs/shapes picture.png",
                "  ${sys:diffuse.command:-diffuse} edit invert --run runs/shapes --steps 50 --inversion-iterations 0 picture.png"})
public final class EditInvertCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin EditOptions opts;

    @Option(names = "--inversion-iterations", paramLabel = "K", defaultValue = "3",
            description = "Fixed-point refinements per inversion step (0 = classic DDIM inversion); each costs one model call per step. Default: ${DEFAULT-VALUE}.")
    int iterations;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        OptionChecks c = new OptionChecks(spec);
        c.between("--inversion-iterations", iterations, 0, 100);
        c.require(!spec.commandLine().getParseResult().hasMatchedOption("--seed"),
                "--seed has no effect on invert: DDIM inversion and the reconstruction from x_T draw no noise; drop --seed");
        Device dev = opts.check(c);
        EditSession s = EditSession.open(opts, dev, 1.0);
        int ch = s.model().inChannels(), size = s.model().resolution();
        List<EditInputs.Picture> pics = EditInputs.images(opts.images, ch, size, opts.resize);
        int steps = Math.min(s.steps(opts), s.diffusion().steps());
        // "ddimN" spacing stops short of the last training step, whose SNR ~ 0 makes an exact inverse ill-conditioned
        DdimInversion inv = new DdimInversion(c.parse("--steps", "ddim" + steps, sp -> s.diffusion().respaced(sp)), iterations);
        out.printf(Locale.ROOT, "invert: %d image(s) from %s (step %d), %d DDIM steps, %d fixed-point iterations per step, %s, on %s%n",
                pics.size(), opts.run, s.checkpoint.step(), steps, iterations, s.describeCondition(), dev);
        out.flush();
        Denoiser model = s.denoiser();
        Tensor both;
        long batches = (pics.size() + opts.batchSize - 1) / opts.batchSize;
        try (ProgressBar bar = new ProgressBar(System.out, "invert", 2L * steps * batches, "step")) {
            // each batch returns [x_T, reconstruction] stacked along the channels
            both = s.editAll(pics, opts, bar, (x, cond, gen, cb) -> {
                Tensor xT = inv.invert(model, x, cond, cb);
                return Tensor.cat(1, xT, inv.reconstruct(model, xT, cond, cb));
            });
        }
        Tensor latents = both.slice(1, 0, ch), recon = both.slice(1, ch, 2 * ch);
        Tensor inputs = EditInputs.batch(pics, 0, pics.size(), ch, size);
        double rms = Math.sqrt(recon.sub(inputs).square().mean().item()) * 127.5;
        double latentStd = Math.sqrt(latents.square().mean().item());
        Path dir = s.outDir(opts);
        writeLatents(dir, pics, latents, s, steps);
        EditOutputs.writeEach(dir, "reconstruction", pics, recon.clamp(-1, 1), out);
        EditOutputs.writeSideBySide(dir, "invert", opts.gridScale != null ? opts.gridScale : 0, out, "input | x_T / 3 | reconstruction",
                inputs, latents.mul(1 / 3.0).clamp(-1, 1), recon.clamp(-1, 1));
        out.printf(Locale.ROOT, "round trip: RMS error %.3f of 255 grey levels; x_T has RMS %.3f (unit Gaussian noise: 1)%n", rms, latentStd);
        out.flush();
        return 0;
    }

    private void writeLatents(Path dir, List<EditInputs.Picture> pics, Tensor latents, EditSession s, int steps) {
        try {
            Files.createDirectories(dir);
            for (int i = 0; i < pics.size(); i++) {
                Path f = dir.resolve(pics.get(i).stem() + "-latent.safetensors");
                Map<String, String> meta = Map.of("run", opts.run.toString(), "checkpoint", Long.toString(s.checkpoint.step()),
                        "ddim_steps", Integer.toString(steps), "inversion_iterations", Integer.toString(iterations), "condition", s.describeCondition());
                StateDicts.save(f, Map.of("latent", latents.slice(0, i, i + 1).reshape(latents.shape(1), latents.shape(2), latents.shape(3))), meta);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the latents into " + dir + ": " + e.getMessage(), e);
        }
    }
}
