package dev.diffusion4j.interop.diffusers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.diffusion.DdimSampler;
import dev.diffusion4j.diffusion.DdpmSampler;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.Thresholding;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** diffusers' DDIM/DDPM scheduler configs: timesteps, schedules and the DDIM step against hand-worked cases. */
class SchedulerConfigTest {
    @TempDir Path tmp;

    /** Stable Diffusion 1.x's DDIM scheduler_config.json as diffusers writes it. */
    static final String SD_DDIM = """
            {"_class_name": "DDIMScheduler", "_diffusers_version": "0.8.0", "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "beta_start": 0.00085, "clip_sample": false, "num_train_timesteps": 1000, "set_alpha_to_one": false,
             "steps_offset": 1, "trained_betas": null}""";

    private SchedulerConfig read(String json) throws Exception {
        Path f = tmp.resolve("scheduler_config.json");
        Files.writeString(f, json);
        return SchedulerConfig.read(f);
    }

    private SchedulerConfig spacing(String spacing, int offset) throws Exception {
        return read("{\"_class_name\": \"DDIMScheduler\", \"timestep_spacing\": \"" + spacing + "\", \"steps_offset\": " + offset + "}");
    }

    @Test void timestepsFollowEachSpacing() throws Exception {
        assertArrayEquals(new int[] {901, 801, 701, 601, 501, 401, 301, 201, 101, 1}, spacing("leading", 1).timesteps(10));
        assertArrayEquals(new int[] {999, 899, 799, 699, 599, 499, 399, 299, 199, 99}, spacing("trailing", 0).timesteps(10));
        assertArrayEquals(new int[] {999, 888, 777, 666, 555, 444, 333, 222, 111, 0}, spacing("linspace", 0).timesteps(10));
        assertArrayEquals(new int[] {999, 500, 0}, spacing("linspace", 0).timesteps(3));      // 499.5 rounds half to even
        assertArrayEquals(new int[] {999, 666, 332}, spacing("trailing", 0).timesteps(3));    // round(1000 - k 333.33) - 1
        int[] fifty = spacing("leading", 0).timesteps(50);
        assertEquals(980, fifty[0]);
        assertEquals(0, fifty[49]);
    }

    @Test void stableDiffusionsDdimConfigReads() throws Exception {
        SchedulerConfig c = read(SD_DDIM);
        NoiseSchedule s = c.schedule();
        double r0 = Math.sqrt(0.00085), r1 = Math.sqrt(0.012);
        double ab = 1;
        for (int i = 0; i < 1000; i++) { double r = r0 + (r1 - r0) * i / 999; ab *= 1 - r * r; }
        assertEquals(ab, s.alphaBar(999), 1e-12);              // about 0.0047: no 1000/T rescaling, unlike diffuse's own schedules
        assertEquals(1 - 0.00085, s.alphaBar(0), 1e-15);
        assertEquals(1 - 0.00085, c.finalAlphaBar(), 1e-15);     // set_alpha_to_one false
        assertEquals(Parameterization.EPS, c.parameterization());
        assertArrayEquals(new int[] {801, 601, 401, 201, 1}, c.timesteps(5));
    }

    @Test void squaredCosineIsTheCosineSchedule() throws Exception {
        NoiseSchedule s = read("{\"_class_name\": \"DDPMScheduler\", \"beta_schedule\": \"squaredcos_cap_v2\"}").schedule();
        for (int i : new int[] {0, 500, 999}) {
            double a0 = Math.pow(Math.cos((i / 1000.0 + 0.008) / 1.008 * Math.PI / 2), 2), a1 = Math.pow(Math.cos(((i + 1) / 1000.0 + 0.008) / 1.008 * Math.PI / 2), 2);
            assertEquals(Math.min(1 - a1 / a0, 0.999), s.beta(i), 1e-15);
        }
    }

    /** A model whose eps prediction is an affine map of its input: enough for the steps to be compared exactly. */
    private static final Denoiser AFFINE = (x, t, cond) -> x.mul(0.3).add(t.to(x.dtype()).reshape(-1, 1, 1, 1).mul(1e-4));

    @Test void evenlySpacedDdimIsTheRespacedDdim() throws Exception {
        SchedulerConfig c = read("{\"_class_name\": \"DDIMScheduler\", \"clip_sample\": false}");   // leading, offset 0, alpha to one
        Tensor noise = Tensor.randn(new Generator(1), 2, 1, 3, 3);
        Tensor ours = new DdimSampler(c.diffusion().respaced("ddim20"), 0).sample(AFFINE, noise, null, new Generator(2), null);
        Tensor theirs = c.sampler(20, 0).sample(AFFINE, noise, null, new Generator(2), null);
        assertArrayEquals(ours.toDoubleArray(), theirs.toDoubleArray(), 1e-5);
    }

    @Test void theLastStepGoesToTheFinalAlphaBar() throws Exception {
        // one step from t = 0: x0^ = (x - sqrt(1 - a0) eps) / sqrt(a0), then x = sqrt(af) x0^ + sqrt(1 - af) eps
        for (boolean one : new boolean[] {true, false}) {
            SchedulerConfig c = read("{\"_class_name\": \"DDIMScheduler\", \"clip_sample\": false, \"set_alpha_to_one\": " + one + "}");
            double a0 = c.schedule().alphaBar(0), af = one ? 1 : a0, x = 0.8, eps = 0.3 * x;
            double x0 = (x - Math.sqrt(1 - a0) * eps) / Math.sqrt(a0), want = Math.sqrt(af) * x0 + Math.sqrt(1 - af) * eps;
            Sampler s = c.sampler(1, 0);
            double got = s.sample(AFFINE, Tensor.full(x, dev.diffusion4j.engine.DType.F32, dev.diffusion4j.engine.Device.CPU, 1, 1, 1, 1), null,
                    new Generator(0), null).item();
            assertEquals(want, got, 1e-6, "set_alpha_to_one " + one);
        }
    }

    @Test void ddpmMapsToTheRespacedDdpmWhereTheStepsAgree() throws Exception {
        SchedulerConfig c = read("{\"_class_name\": \"DDPMScheduler\", \"timestep_spacing\": \"trailing\"}");
        assertInstanceOf(DdpmSampler.class, c.sampler(10, 0));
        assertEquals(10, c.sampler(10, 0).steps());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.sampler(3, 0));
        assertTrue(e.getMessage().contains("not 333 apart"), e.getMessage());
    }

    /** diffusers writes lambda_min_clipped's default as a bare -Infinity; other classes' keys are ignored, as diffusers ignores them. */
    @Test void readsWhatDiffusersWrites() throws Exception {
        SchedulerConfig c = read("""
                {"_class_name": "DPMSolverMultistepScheduler", "_diffusers_version": "0.30.0", "lambda_min_clipped": -Infinity,
                 "variance_type": null, "skip_prk_steps": true, "set_alpha_to_one": false, "trained_betas": null}""");
        assertEquals("linspace", c.timestepSpacing());      // this class's default, not DDIM's
        assertEquals(10, c.sampler(10).steps());
        // Stable Diffusion XL's scheduler_config.json: PNDM/DDIM keys ride along and are ignored
        SchedulerConfig sdxl = read("""
                {"_class_name": "EulerDiscreteScheduler", "_diffusers_version": "0.19.0.dev0", "beta_end": 0.012, "beta_schedule": "scaled_linear",
                 "beta_start": 0.00085, "clip_sample": false, "interpolation_type": "linear", "num_train_timesteps": 1000,
                 "prediction_type": "epsilon", "sample_max_value": 1.0, "set_alpha_to_one": false, "skip_prk_steps": true,
                 "steps_offset": 1, "timestep_spacing": "leading", "trained_betas": null, "use_karras_sigmas": false}""");
        assertArrayEquals(new double[] {801, 601, 401, 201, 1}, sdxl.inferenceTimesteps(5), 0.0);
        assertEquals(Math.sqrt(1 / sdxl.schedule().alphaBar(801) - 1), sdxl.sigmas(5)[0], 1e-5);
        SchedulerConfig heun = read("{\"_class_name\": \"HeunDiscreteScheduler\"}");
        assertEquals(0.00085, heun.betaStart());
        assertEquals(Thresholding.none(), heun.x0Treatment());
        assertEquals(Thresholding.dynamic(0.9, 1.5),
                read("{\"_class_name\": \"DDIMScheduler\", \"thresholding\": true, \"dynamic_thresholding_ratio\": 0.9, \"sample_max_value\": 1.5}").x0Treatment());
    }

    @Test void dynamicThresholdingKeepsItsScaleWithinOneAndTheMaximum() {
        // per sample: s = quantile(|x|, 0.5) clamped to [1, 1.5]; rows {4, -4, 0.5, 0.5} -> s 1.5 ... {0.2, 0.1, -0.3, 0.1} -> s 1
        Tensor x = Tensor.of(new double[] {4, -4, 0.5, 0.5, 0.2, 0.1, -0.3, 0.1, 1.2, -1.3, 1.25, 0}, 3, 4);
        double[] got = Thresholding.dynamic(0.5, 1.5).apply(x).toDoubleArray();
        double[] want = {1.5 / 1.5, -1, 0.5 / 1.5, 0.5 / 1.5, 0.2, 0.1, -0.3, 0.1, 1.2 / 1.225, -1.225 / 1.225, 1.225 / 1.225, 0};
        assertArrayEquals(want, got, 1e-6);
    }

    @Test void refusesWhatItDoesNotKnowByName() {
        for (String[] bad : new String[][] {
                {"{\"_class_name\": \"LMSDiscreteScheduler\"}", "LMSDiscreteScheduler is not supported; supported: DDIMScheduler"},
                {"{\"_class_name\": \"DDIMScheduler\", \"beta_shedule\": \"linear\"}", "beta_shedule"},
                {"{\"_class_name\": \"DDIMScheduler\", \"thresholding\": true, \"sample_max_value\": 0.5}", "sample_max_value >= 1"},
                {"{\"_class_name\": \"DPMSolverMultistepScheduler\", \"solver_order\": 3}", "solver_order 3 is not supported; supported: 1, 2"},
                {"{\"_class_name\": \"DPMSolverMultistepScheduler\", \"algorithm_type\": \"sde-dpmsolver++\"}", "algorithm_type sde-dpmsolver++"},
                {"{\"_class_name\": \"DPMSolverMultistepScheduler\", \"lambda_min_clipped\": -5.1}", "lambda_min_clipped -5.1"},
                {"{\"_class_name\": \"EulerDiscreteScheduler\", \"interpolation_type\": \"log_linear\"}", "interpolation_type log_linear"},
                {"{\"_class_name\": \"EulerDiscreteScheduler\", \"timestep_type\": \"continuous\"}", "timestep_type continuous"},
                {"{\"_class_name\": \"HeunDiscreteScheduler\", \"use_beta_sigmas\": true}", "use_beta_sigmas is not supported"},
                {"{\"_class_name\": \"EulerDiscreteScheduler\", \"use_karras_sigmas\": true, \"use_exponential_sigmas\": true}", "one of them"},
                {"{\"_class_name\": \"PNDMScheduler\", \"prediction_type\": \"sample\"}", "prediction_type sample is not supported by PNDMScheduler"},
                {"{\"_class_name\": \"DDIMScheduler\", \"prediction_type\": \"flow\"}", "prediction_type flow"},
                {"{\"_class_name\": \"DDIMScheduler\", \"timestep_spacing\": \"karras\"}", "timestep_spacing karras"}}) {
            RuntimeException e = assertThrows(RuntimeException.class, () -> read(bad[0]));
            assertTrue(e.getMessage().contains(bad[1]), bad[1] + " not in: " + e.getMessage());
        }
    }
}
