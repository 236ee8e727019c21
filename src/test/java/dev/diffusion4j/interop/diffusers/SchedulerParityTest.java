package dev.diffusion4j.interop.diffusers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.Sampler;
import dev.diffusion4j.diffusion.SigmaListSampler;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays diffusers' own runs (src/test/resources/diffusers/scheduler_parity.json, written by
 * bench/diffusers_scheduler_parity.py with real diffusers): for every case the config binds, the timesteps and sigmas
 * agree, the model is called at the same timesteps with the same inputs, and the final sample agrees.
 */
class SchedulerParityTest {
    static final Path FIXTURE = Path.of("src/test/resources/diffusers/scheduler_parity.json");

    /** The script's denoiser: out = 0.8 x + 0.05 cos(0.01 t), recording every call. */
    record Recorder(List<Double> calls, List<double[]> inputs) implements Denoiser {
        @Override public Tensor apply(Tensor x, Tensor t, dev.diffusion4j.diffusion.Conditioning cond) {
            double tv = t.to(DType.F64).toDoubleArray()[0];
            calls.add(tv);
            double[] v = x.toDoubleArray();
            inputs.add(java.util.Arrays.copyOf(v, 9));   // sample 0, channel 0 (3x3)
            return x.mul(0.8).add(0.05 * Math.cos(0.01 * tv));
        }
    }

    @SuppressWarnings("unchecked")
    @TestFactory Stream<DynamicTest> everyCaseMatchesDiffusers() throws Exception {
        Map<String, Object> doc = Json.parseObject(Files.readString(FIXTURE));
        int[] shape = ((List<Number>) doc.get("shape")).stream().mapToInt(Number::intValue).toArray();
        double[] noise = doubles(doc.get("noise"));
        List<double[]> draws = ((List<Object>) doc.get("ancestral_noise")).stream().map(SchedulerParityTest::doubles).toList();
        return ((List<Map<String, Object>>) doc.get("cases")).stream().map(c -> DynamicTest.dynamicTest((String) c.get("name"), () -> {
            String name = (String) c.get("name");
            SchedulerConfig cfg = SchedulerConfig.fromMap((Map<String, Object>) c.get("config"), name);
            int steps = ((Number) c.get("steps")).intValue();
            List<Double> calls = new ArrayList<>();
            List<double[]> inputs = new ArrayList<>();
            Sampler s = cfg.sampler(steps, 0);
            if (c.containsKey("sigmas")) {
                double[] want = doubles(c.get("sigmas"));
                double[] got = cfg.sigmas(steps);
                if (cfg.className().equals(SchedulerConfig.HEUN)) got = interleaved(got);
                assertClose(want, got, 2e-5, name + " sigmas");   // f32 cumprod at alpha_bar ~ 1e-9
            }
            if (s instanceof SigmaListSampler sl) {
                Iterator<double[]> it = draws.iterator();
                s = sl.withNoiseSource((like, gen) -> Tensor.of(it.next(), shape).to(like.dtype()));
            }
            Tensor out = s.sample(new Recorder(calls, inputs), Tensor.of(noise, shape), null, new Generator(0), null);
            assertClose(doubles(c.get("model_calls")), calls.stream().mapToDouble(Double::doubleValue).toArray(), 1e-3, name + " model timesteps");
            List<Object> wantInputs = (List<Object>) c.get("model_inputs");
            assertEquals(wantInputs.size(), inputs.size(), name + " model calls");
            for (int i = 0; i < inputs.size(); i++) assertClose(doubles(wantInputs.get(i)), inputs.get(i), 2e-4, name + " model input " + i);
            assertClose(doubles(c.get("final")), out.toDoubleArray(), 2e-4, name + " final sample");
        }));
    }

    /** Heun's list repeats every level but the first and the last: s0, s1, s1, ..., s_{n-1}, s_{n-1}, 0. */
    private static double[] interleaved(double[] s) {
        List<Double> r = new ArrayList<>();
        r.add(s[0]);
        for (int i = 1; i < s.length - 1; i++) { r.add(s[i]); r.add(s[i]); }
        r.add(s[s.length - 1]);
        return r.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @SuppressWarnings("unchecked")
    static double[] doubles(Object list) { return ((List<Number>) list).stream().mapToDouble(Number::doubleValue).toArray(); }

    /** Within tol relative to max(1, |want|) at every position. */
    static void assertClose(double[] want, double[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++)
            assertTrue(Math.abs(want[i] - got[i]) <= tol * Math.max(1, Math.abs(want[i])),
                    what + "[" + i + "]: diffusers " + want[i] + ", here " + got[i]);
    }
}
