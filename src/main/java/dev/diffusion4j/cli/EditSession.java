package dev.diffusion4j.cli;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.StepCallback;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.train.Checkpoints;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.Sampling;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A run opened for editing: its config, checkpoint and device, and what the model is conditioned on. Everything the
 * user can get wrong about the run (no checkpoint, a class on an unconditional run) is checked by {@link #open},
 * before any weights are read. Conditioning lives here alone, so a text prompt for text-conditioned runs adds one
 * entry to {@link #condition} and one wrapper to {@link #denoiser}.
 */
final class EditSession {
    final RunDir run;
    final TrainConfig config;
    final Checkpoints.Entry checkpoint;
    final Device device;
    final Integer label;          // null: unconditional (or the model's "no class")
    final double guidance;

    private EditSession(RunDir run, Checkpoints.Entry checkpoint, Device device, Integer label, double guidance) {
        this.run = run;
        this.config = run.config();
        this.checkpoint = checkpoint;
        this.device = device;
        this.label = label;
        this.guidance = guidance;
    }

    /** Opens the run of {@code o} and checks --class against it; {@code defaultGuidance} null: the run's. */
    static EditSession open(EditOptions o, Device device, Double defaultGuidance) {
        RunDir r = RunDir.open(o.run);
        TrainConfig cfg = r.config();
        Integer label = label(o.label, cfg.model().numClasses(), o.run);
        double w = o.guidance != null ? o.guidance : defaultGuidance != null ? defaultGuidance : cfg.sample().guidance();
        return new EditSession(r, RunCheckpoint.pick(r, o.checkpoint), device, label, w);
    }

    private static Integer label(String value, int classes, Path run) {
        if (value == null || "none".equalsIgnoreCase(value.trim())) return null;
        if (classes == 0) throw new IllegalArgumentException("--class needs a class-conditional run; " + run + " was trained without labels");
        int c;
        try {
            c = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--class takes a class number or 'none', not '" + value + "'");
        }
        if (c < 0 || c >= classes) throw new IllegalArgumentException("--class must be in [0, " + classes + ") for " + run + ", got " + c);
        return c;
    }

    ModelConfig model() { return config.model(); }

    GaussianDiffusion diffusion() { return config.diffusion().build(); }

    /** Sampler steps: the option's, else the run's. */
    int steps(EditOptions o) { return o.steps != null ? o.steps : config.sample().steps(); }

    Path outDir(EditOptions o) { return o.out != null ? o.out : run.root().resolve("edits"); }

    /** The EMA model as the denoiser to edit with: guided towards --class when one is given. */
    Denoiser denoiser() {
        Denoiser plain = new NetworkDenoiser(Trainer.loadEmaModel(run, checkpoint.dir(), device));
        return label == null ? plain : Sampling.guided(plain, model(), guidance);
    }

    /** What the model sees besides x_t for n images (null: nothing). */
    Conditioning condition(int n) {
        if (label == null) return null;
        long[] l = new long[n];
        Arrays.fill(l, label);
        return Sampling.labels(l, device);
    }

    /** One batch of an edit: x [n, C, H, W] on the device, in [-1, 1]. */
    @FunctionalInterface
    interface BatchEdit {
        Tensor apply(Tensor x, Conditioning cond, Generator gen, StepCallback callback);
    }

    /**
     * Runs {@code edit} over the pictures in batches of {@code batchSize} (batch b draws from seed + b, as diffuse sample
     * does) and returns every result on the CPU in f32; each sampler step advances {@code bar} by one.
     */
    Tensor editAll(List<EditInputs.Picture> pics, EditOptions o, ProgressBar bar, BatchEdit edit) {
        int c = model().inChannels(), size = model().resolution();
        List<Tensor> parts = new ArrayList<>();
        for (int from = 0, b = 0; from < pics.size(); from += o.batchSize, b++) {
            int n = Math.min(o.batchSize, pics.size() - from);
            Tensor x = EditInputs.batch(pics, from, n, c, size).to(device);
            Tensor y = edit.apply(x, condition(n), new Generator(o.seed + b), s -> bar.step(1));
            parts.add(y.to(Device.CPU).to(DType.F32));
        }
        return Tensor.cat(0, parts.toArray(new Tensor[0]));
    }

    /** "unconditional" or "class 3, guidance 3.0", for the summary line. */
    String describeCondition() { return label == null ? "unconditional" : "class " + label + ", guidance " + guidance; }
}
