package dev.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.Test;

class EmaTest {
    /** One parameter "w" = [a, b]. */
    static final class Tiny extends Module {
        final Parameter w;
        Tiny(float a, float b) { w = registerParameter("w", Tensor.of(new float[] {a, b}, 2)); }
    }

    @Test
    void updateIsAnExponentialMovingAverage() {
        Tiny m = new Tiny(1, 2);
        Ema ema = new Ema(m, 0.9);
        m.w.copyFrom(Tensor.of(new float[] {3, -2}, 2));
        ema.update(m);
        assertArrayEquals(new float[] {0.9f * 1 + 0.1f * 3, 0.9f * 2 + 0.1f * -2}, ema.shadow().get("w").toFloatArray(), 1e-6f);
        m.w.copyFrom(Tensor.of(new float[] {0, 0}, 2));
        ema.update(m);
        assertArrayEquals(new float[] {0.9f * 1.2f, 0.9f * 1.6f}, ema.shadow().get("w").toFloatArray(), 1e-6f);
        assertEquals(2, ema.updates());
        assertArrayEquals(new float[] {0, 0}, m.w.data().toFloatArray(), "the model is not touched by update");
    }

    @Test
    void warmupUsesMinOfDecayAndStepRatio() {
        Tiny m = new Tiny(0, 0);
        Ema ema = new Ema(m, 0.95, true);
        assertEquals(0.1, ema.currentDecay(), 1e-15);
        m.w.copyFrom(Tensor.of(new float[] {10, 10}, 2));
        ema.update(m);                                            // d = 1/10
        assertEquals(9.0, ema.shadow().get("w").get(0), 1e-5);
        assertEquals(2.0 / 11, ema.currentDecay(), 1e-15);
        m.w.copyFrom(Tensor.of(new float[] {20, 20}, 2));
        ema.update(m);                                            // d = 2/11
        assertEquals(2.0 / 11 * 9 + 9.0 / 11 * 20, ema.shadow().get("w").get(0), 1e-5);
        // (1+n)/(10+n) passes 0.95 at n = 171
        for (int i = 2; i < 200; i++) ema.update(m);
        assertEquals(0.95, ema.currentDecay());
    }

    @Test
    void swapIntoSamplesWithAveragesAndRestores() {
        Tiny m = new Tiny(1, 1);
        Ema ema = new Ema(m, 0.5);
        m.w.copyFrom(Tensor.of(new float[] {3, 5}, 2));
        ema.update(m);
        Tensor live = m.w.data();
        try (var s = ema.swapInto(m)) {
            assertArrayEquals(new float[] {2, 3}, m.w.data().toFloatArray());
        }
        assertArrayEquals(new float[] {3, 5}, m.w.data().toFloatArray());
        assertSame(live, m.w.data(), "swapping writes in place");
        ema.copyTo(m);
        assertArrayEquals(new float[] {2, 3}, m.w.data().toFloatArray());
        assertThrows(IllegalStateException.class, () -> ema.restore(m));
    }

    @Test
    void shadowLoadsIntoAModelAndStateResumes() {
        TestNets.Net net = new TestNets.Net(1);
        Ema ema = new Ema(net, 0.99, true);
        for (int i = 0; i < 3; i++) {
            for (Parameter p : net.parameters()) p.copyFrom(p.data().add(Tensor.randn(new Generator(i), p.shape())));
            ema.update(net);
        }
        TestNets.Net fresh = new TestNets.Net(2);
        assertTrue(fresh.loadStateDict(ema.shadow(), false).unexpected().isEmpty());
        for (var e : fresh.namedParameters().entrySet())
            assertArrayEquals(ema.shadow().get(e.getKey()).toFloatArray(), e.getValue().data().toFloatArray());

        LinkedHashMap<String, Tensor> saved = StateDictTest.copyOf(ema.stateDict());
        assertEquals(3, saved.get("updates").item());
        Ema resumed = new Ema(new TestNets.Net(3), 0.99, true);
        resumed.loadStateDict(saved);
        assertEquals(ema.currentDecay(), resumed.currentDecay());
        ema.update(net);
        resumed.update(net);
        for (String k : ema.shadow().keySet())
            assertArrayEquals(ema.shadow().get(k).toFloatArray(), resumed.shadow().get(k).toFloatArray(), k);
    }

    @Test
    void mismatchedModelsAreRejected() {
        Ema ema = new Ema(new Tiny(1, 1), 0.9);
        var e = assertThrows(IllegalArgumentException.class, () -> ema.update(new TestNets.Net(1)));
        assertTrue(e.getMessage().contains("does not track"), e.getMessage());
        LinkedHashMap<String, Tensor> sd = new LinkedHashMap<>(ema.stateDict());
        sd.put("shadow.w", Tensor.zeros(3));
        e = assertThrows(IllegalArgumentException.class, () -> ema.loadStateDict(sd));
        assertEquals("EMA state: 'shadow.w' has shape [3] but the model's parameter has [2]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Ema(new Tiny(1, 1), 1.5));
    }
}
