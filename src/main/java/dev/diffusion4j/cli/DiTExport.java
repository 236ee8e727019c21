package dev.diffusion4j.cli;

import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.interop.diffusers.DdpmPipelineFolder;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.DiT;
import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.models.dit.DiffusersDiT;
import dev.diffusion4j.models.dit.DiffusersDiTConfig;
import dev.diffusion4j.models.dit.DiffusersDiTFolder;
import dev.diffusion4j.train.DiffusionConfig;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * {@code diffuse export --format diffusers} for a class-conditional DiT run: OUT/transformer (a DiTTransformer2DModel
 * folder of the EMA weights of the latest checkpoint) and OUT/scheduler/scheduler_config.json (a DDPMScheduler with the
 * run's betas, prediction type and variance). diffusers' DiT computes its timestep features with frequency shift 1
 * where the DiT reference (and so the run) uses 0, so the exported model differs slightly from the run's; the command
 * measures by how much on noised training images and says so.
 */
final class DiTExport {
    private DiTExport() {}

    /** Images the difference is measured on (noised at timesteps spread over the whole schedule). */
    static final int MEASURE = 16;

    static boolean isDiTRun(Path run) {
        if (!Files.isRegularFile(run.resolve("config.json"))) return false;
        try {
            return RunDir.open(run).config().model() instanceof DiTConfig;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Checks everything a user can get wrong before any work: throws IllegalArgumentException with the reason. */
    static void check(TrainConfig cfg, Path run) {
        DiTConfig m = (DiTConfig) cfg.model();
        if (m.contextDim() > 0)
            throw new IllegalArgumentException(run + " is a text-conditioned DiT; diffusers' DiTTransformer2DModel has no cross-attention, so it cannot be exported");
        if (m.numClasses() < 1)
            throw new IllegalArgumentException(run + " is an unconditional DiT; diffusers' DiTTransformer2DModel always embeds a class label in every "
                    + "block and has no unconditional form: train a class-conditional DiT (data with labels) to export it");
    }

    static int export(Path run, Path out, boolean fp16, PrintWriter o) throws IOException {
        RunDir r = RunDir.open(run);
        TrainConfig cfg = r.config();
        check(cfg, run);
        var ck = RunCheckpoint.pick(r, null);
        DiT dit = (DiT) Trainer.loadEmaModel(r, ck.dir(), Device.CPU);
        Path transformer = out.resolve("transformer"), scheduler = out.resolve("scheduler");
        DiffusersDiT exported = DiffusersDiTFolder.export(dit, transformer, fp16);
        Files.createDirectories(scheduler);
        AtomicFiles.writeString(scheduler.resolve("scheduler_config.json"), Json.writePretty(schedulerConfig(cfg.diffusion(), !cfg.latent().isLatent())) + "\n");
        o.printf(Locale.ROOT, "wrote %s: transformer/ (DiTTransformer2DModel, %,d parameters with the embedders copied into each of the %d blocks, "
                + "EMA weights of step %d, %s) and scheduler/scheduler_config.json (DDPMScheduler: %s schedule, %s prediction, %s variance)%n",
                out, exported.numParameters(), dit.config().depth(), ck.step(), fp16 ? "f16" : "f32", cfg.diffusion().schedule(),
                cfg.diffusion().parameterization(), cfg.diffusion().variance());
        o.flush();
        double[] d = difference(cfg, dit, exported, o);
        if (d != null)
            o.printf(Locale.ROOT, "the export differs from the run's model: relative L2 %.2e (max |diff| %.2e) of the predictions on %d noised training "
                    + "images at t = 0 .. %d, because diffusers' DiT computes its timestep features with frequency shift 1 where the DiT "
                    + "reference and this run use 0%s (docs/dit.md)%n", d[0], d[1], MEASURE, cfg.diffusion().steps() - 1, fp16 ? ", and of the f16 weights" : "");
        o.println("in Python: diffusers.DiTTransformer2DModel.from_pretrained(\"" + out + "\", subfolder=\"transformer\"), "
                + "diffusers.DDPMScheduler.from_pretrained(\"" + out + "\", subfolder=\"scheduler\")");
        return 0;
    }

    /** {relative L2, max |diff|} of the run's and the export's outputs on noised training images; null (with a note) without data. */
    private static double[] difference(TrainConfig cfg, DiT dit, DiffusersDiT exported, PrintWriter o) {
        ImageDataset ds;
        try {
            ds = cfg.latent().isLatent() ? LatentRunSetup.evaluation(cfg.latent(), cfg.data(), "train", Device.CPU, o)
                    : Datasets.open(cfg.data(), cfg.model().inChannels(), cfg.model().resolution());
        } catch (RuntimeException e) {
            o.println("note: the difference to the run's model is not measured: its data " + cfg.data() + " cannot be opened (" + e.getMessage() + ")");
            return null;
        }
        int n = Math.min(MEASURE, ds.size()), len = ds.imageLength(), steps = cfg.diffusion().steps();
        float[] x0 = new float[n * len];
        long[] t = new long[n], y = new long[n];
        int k = cfg.model().numClasses();
        for (int i = 0; i < n; i++) {
            int index = (int) ((long) i * ds.size() / n);
            ds.load(index, x0, i * len);
            int label = ds.label(index);
            y[i] = label >= 0 && label < k ? label : k;
            t[i] = n == 1 ? 0 : Math.round((double) i * (steps - 1) / (n - 1));
        }
        GaussianDiffusion diffusion = cfg.diffusion().build();
        Tensor x = Tensor.of(x0, n, ds.channels(), ds.height(), ds.width());
        Tensor tt = Tensor.ofLongs(t, n), yy = Tensor.ofLongs(y, n);
        Tensor xt = diffusion.qSample(x, tt, Tensor.randn(new Generator(0), x.shape()));
        try (var g = GradMode.off()) {
            return compare(forward(dit, xt, tt, yy), forward(exported, xt, tt, yy));
        }
    }

    private static double[] forward(DenoisingNetwork m, Tensor x, Tensor t, Tensor y) {
        return m.forward(x, t, y).to(DType.F64).toDoubleArray();
    }

    private static double[] compare(double[] a, double[] b) {
        double d2 = 0, r2 = 0, max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = b[i] - a[i];
            d2 += d * d;
            r2 += a[i] * a[i];
            max = Math.max(max, Math.abs(d));
        }
        return new double[] {Math.sqrt(d2 / Math.max(r2, 1e-300)), max};
    }

    /**
     * A DDPMScheduler config for the run's process (the one writer U-Net exports use too): betas by diffusers' name where
     * one gives them exactly, else trained_betas; prediction and variance type in diffusers' words; clipping of x0 to
     * [-1, 1] for pixel runs (as diffuse sample does) but not for latent runs.
     */
    static Map<String, Object> schedulerConfig(DiffusionConfig d, boolean clip) {
        return DdpmPipelineFolder.schedulerConfig(d.noiseSchedule(), d.zeroTerminalSnr(), Parameterization.parse(d.parameterization()),
                VarianceType.parse(d.variance()), clip);
    }
}
