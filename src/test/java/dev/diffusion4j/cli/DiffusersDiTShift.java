package dev.diffusion4j.cli;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.DiT;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.NetworkDenoiser;
import dev.diffusion4j.models.dit.DiffusersDiTFolder;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.SampleConfig;
import dev.diffusion4j.train.Sampling;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How far a DiT run's diffusers export samples from the run itself (the timestep frequency shift, docs/dit.md): both
 * models sample the same classes from the same noise with the run's sampler settings; prints the mean and max absolute
 * difference of the images (in [-1, 1]) and their relative L2.
 * <pre>java -cp diffusion4j.jar:test-classes dev.diffusion4j.cli.DiffusersDiTShift RUN [COUNT]</pre>
 */
public final class DiffusersDiTShift {
    public static void main(String[] args) throws Exception {
        Path run = Path.of(args[0]);
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        RunDir r = RunDir.open(run);
        TrainConfig cfg = r.config();
        DiT dit = (DiT) Trainer.loadEmaModel(r, RunCheckpoint.dir(r, null), Device.CPU);
        Path tmp = Files.createTempDirectory("ddit-shift");
        DenoisingNetwork exported = DiffusersDiTFolder.export(dit, tmp, false);
        GaussianDiffusion diffusion = cfg.diffusion().build();
        SampleConfig sc = cfg.sample().withCountAndSeed(count, 1234);
        Conditioning cond = Sampling.labels(Sampling.classCycle(cfg.model().numClasses(), count), Device.CPU);
        Tensor a = Sampling.sample(Sampling.guided(new NetworkDenoiser(dit), cfg.model(), sc.guidance()), diffusion, sc, cfg.model(), Device.CPU, count, cond, null);
        Tensor b = Sampling.sample(Sampling.guided(new NetworkDenoiser(exported), cfg.model(), sc.guidance()), diffusion, sc, cfg.model(), Device.CPU, count, cond, null);
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double sum = 0, max = 0, d2 = 0, r2 = 0;
        for (int i = 0; i < x.length; i++) {
            double d = Math.abs(x[i] - y[i]);
            sum += d;
            max = Math.max(max, d);
            d2 += d * d;
            r2 += x[i] * x[i];
        }
        System.out.printf(Locale.ROOT, "%s: %d samples (%s, %d steps, guidance %.1f) of the run vs its diffusers export from the same noise: "
                + "mean |diff| %.4f, max |diff| %.4f (images in [-1, 1]), relative L2 %.4f%n", run, count, sc.sampler(), sc.steps(), sc.guidance(),
                sum / x.length, max, Math.sqrt(d2 / r2));
    }
}
