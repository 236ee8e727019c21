package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.models.TensorDiff;
import dev.diffusion4j.models.dit.DiffusersDiT;
import dev.diffusion4j.models.dit.DiffusersDiTFolder;
import dev.diffusion4j.train.DiffusionConfig;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** diffuse export --format diffusers for DiT runs: a transformer folder and a scheduler config; unconditional DiTs refused. */
class DiTExportCommandTest {
    @TempDir Path tmp;

    @Test void aClassConditionalDiTRunBecomesATransformerFolderAndASchedulerConfig() throws Exception {
        Path run = tmp.resolve("dit"), out = tmp.resolve("dit-diffusers");
        CliRun.of(CliRun.train(run, "--preset", "dit-tiny", "--steps", "2", "--lr", "0.05")).succeeded();
        CliRun e = CliRun.of("export", "--run", run.toString(), "--format", "diffusers", out.toString()).succeeded();
        assertTrue(e.out().contains("DiTTransformer2DModel") && e.out().contains("the export differs from the run's model: relative L2")
                && e.out().contains("subfolder=\"transformer\""), e.describe());
        assertEquals("DiTTransformer2DModel", ConfigJson.readObject(out.resolve("transformer/config.json")).get("_class_name"));

        // the folder (pipeline layout) loads back; at t = 0 the timestep frequencies do not matter and it equals the run's model
        RunDir r = RunDir.open(run);
        DenoisingNetwork dit = Trainer.loadEmaModel(r, RunCheckpoint.dir(r, null), Device.CPU);
        DiffusersDiT back = DiffusersDiTFolder.load(out).model();
        assertEquals(r.config().model(), back.config().withLearnSigma(((DiTConfig) r.config().model()).learnSigma()));
        Tensor x = Tensor.randn(new Generator(1), 2, 3, 8, 8), t = Tensor.ofLongs(new long[] {0, 0}, 2), y = Tensor.ofLongs(new long[] {1, 5}, 2);
        double[] err = TensorDiff.errors(back.forward(x, t, y), dit.forward(x, t, y));
        assertTrue(err[0] < 1e-4, "max rel " + err[0]);

        Map<String, Object> s = ConfigJson.readObject(out.resolve("scheduler/scheduler_config.json"));
        assertEquals("DDPMScheduler", s.get("_class_name"));
        assertEquals("v_prediction", s.get("prediction_type"), "dit-tiny predicts v by default");
        assertEquals(true, s.get("clip_sample"));
        assertEquals(1000, ((Number) s.get("num_train_timesteps")).intValue());
    }

    @Test void theSchedulerConfigCarriesTheRunsBetasAndWords() {
        DiffusionConfig d = DiffusionConfig.defaults();
        Map<String, Object> linear = DiTExport.schedulerConfig(withSchedule(d, "linear", "v", "learned-range"), false);
        double[] betas = dev.diffusion4j.interop.diffusers.SchedulerConfig.fromMap(linear, "export").schedule().betas();
        double[] expected = NoiseSchedule.linear(1000).betas();
        assertEquals(1000, betas.length);
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], betas[i], 1e-15);
        assertEquals(1e-4, (double) linear.get("beta_start"), 1e-12);
        assertEquals(0.02, (double) linear.get("beta_end"), 1e-12);
        assertEquals("linear", linear.get("beta_schedule"));
        assertEquals("v_prediction", linear.get("prediction_type"));
        assertEquals("learned_range", linear.get("variance_type"));
        assertEquals(false, linear.get("clip_sample"));
        Map<String, Object> cosine = DiTExport.schedulerConfig(withSchedule(d, "cosine", "x0", "fixed-large"), true);
        assertEquals("squaredcos_cap_v2", cosine.get("beta_schedule"));
        assertEquals("sample", cosine.get("prediction_type"));
        assertEquals("fixed_large", cosine.get("variance_type"));
    }

    private static DiffusionConfig withSchedule(DiffusionConfig d, String schedule, String param, String variance) {
        return new DiffusionConfig(schedule, d.steps(), false, param, variance, d.loss(), d.distance(), d.weighting(), d.gamma(), d.timestepSampler(),
                d.offsetNoise());
    }

    @Test void anUnconditionalDiTRunIsRefusedWithTheReason() {
        Path run = tmp.resolve("u");
        CliRun.of(CliRun.train(run, "--preset", "dit-tiny", "--steps", "1", "--no-class-conditional")).succeeded();
        CliRun.of("export", "--run", run.toString(), tmp.resolve("x").toString()).refused(1, "unconditional DiT");
        assertFalse(Files.exists(tmp.resolve("x")));
    }
}
