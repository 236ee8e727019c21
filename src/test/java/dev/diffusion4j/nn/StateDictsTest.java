package dev.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.SafeTensorsException;
import dev.diffusion4j.io.StoreType;
import dev.diffusion4j.nn.optim.AdamConfig;
import dev.diffusion4j.nn.optim.AdamW;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDictsTest {
    @TempDir Path dir;

    @Test
    void modelRoundTripsThroughSafetensors() throws Exception {
        TestNets.Net a = new TestNets.Net(1), b = new TestNets.Net(2);
        Path f = dir.resolve("model.safetensors");
        StateDicts.saveModel(f, a, Map.of("format", "diffusion4j"));
        try (var file = SafeTensors.open(f)) { assertEquals("diffusion4j", file.metadata().get("format")); }
        assertTrue(StateDicts.loadModel(f, b, true).complete());
        StateDictTest.assertSameValues(a.stateDict(), b.stateDict());
    }

    @Test
    void halfPrecisionExportRoundsOnce() throws Exception {
        Linear lin = new Linear(3, 2, new Generator(1));
        Path f = dir.resolve("bf16.safetensors");
        StateDicts.save(f, lin.stateDict(), null, StoreType.BF16);
        try (var file = SafeTensors.open(f)) { assertEquals(StoreType.BF16, file.info("weight").type()); }
        LinkedHashMap<String, Tensor> back = StateDicts.load(f);
        assertEquals(DType.F32, back.get("weight").dtype());
        float[] w = lin.weight().data().toFloatArray(), r = back.get("weight").toFloatArray();
        for (int i = 0; i < w.length; i++) assertEquals(w[i], r[i], Math.abs(w[i]) / 128);
    }

    @Test
    void strictLoadFailsFromTheHeaderNamingFileAndKey() throws Exception {
        TestNets.Net a = new TestNets.Net(1), b = new TestNets.Net(2);
        LinkedHashMap<String, Tensor> sd = a.stateDict();
        sd.remove("head.0.bias");
        Path f = dir.resolve("partial.safetensors");
        StateDicts.save(f, sd, null);
        LinkedHashMap<String, Tensor> before = StateDictTest.copyOf(b.stateDict());
        var e = assertThrows(SafeTensorsException.class, () -> StateDicts.loadModel(f, b, true));
        assertTrue(e.getMessage().startsWith(f + ": state dict does not match the model: missing key 'head.0.bias'"), e.getMessage());
        StateDictTest.assertSameValues(before, b.stateDict());

        Module.LoadResult r = StateDicts.loadModel(f, b, false);
        assertEquals(List.of("head.0.bias"), r.missing());
        assertArrayEquals(a.gain.data().toFloatArray(), b.gain.data().toFloatArray());
    }

    @Test
    void shapeMismatchFailsEvenWhenNotStrict() throws Exception {
        Path f = dir.resolve("wrong.safetensors");
        StateDicts.save(f, Map.of("weight", Tensor.zeros(2, 4), "extra", Tensor.zeros(1)), null);
        Linear lin = new Linear(3, 2, new Generator(1));
        var e = assertThrows(SafeTensorsException.class, () -> StateDicts.loadModel(f, lin, false));
        assertTrue(e.getMessage().contains("shape mismatch for 'weight': model expects [2, 3], file has [2, 4]"), e.getMessage());
    }

    @Test
    void trainingResumesExactlyFromOneCheckpointFile() throws Exception {
        Tensor x = Tensor.randn(new Generator(3), 8, 4), y = Tensor.randn(new Generator(4), 8, 2);
        AdamConfig cfg = AdamConfig.adamWDefaults().withLr(1e-2);

        TestNets.Net straight = new TestNets.Net(5);
        AdamW opt = new AdamW(straight.parameters(), cfg);
        Ema ema = new Ema(straight, 0.9, true);
        for (int s = 0; s < 4; s++) step(straight, opt, ema, x, y);

        TestNets.Net first = new TestNets.Net(5);
        AdamW opt1 = new AdamW(first.parameters(), cfg);
        Ema ema1 = new Ema(first, 0.9, true);
        for (int s = 0; s < 2; s++) step(first, opt1, ema1, x, y);
        LinkedHashMap<String, Tensor> ckpt = StateDicts.withPrefix("model.", first.stateDict());
        ckpt.putAll(StateDicts.withPrefix("optim.", opt1.stateDict()));
        ckpt.putAll(StateDicts.withPrefix("ema.", ema1.stateDict()));
        Path f = dir.resolve("ckpt.safetensors");
        StateDicts.save(f, ckpt, null);

        LinkedHashMap<String, Tensor> loaded = StateDicts.load(f);
        TestNets.Net resumed = new TestNets.Net(99);
        resumed.loadStateDict(StateDicts.stripPrefix("model.", loaded), true);
        AdamW opt2 = new AdamW(resumed.parameters(), cfg);
        opt2.loadStateDict(StateDicts.stripPrefix("optim.", loaded));
        Ema ema2 = new Ema(resumed, 0.9, true);
        ema2.loadStateDict(StateDicts.stripPrefix("ema.", loaded));
        for (int s = 2; s < 4; s++) step(resumed, opt2, ema2, x, y);

        StateDictTest.assertSameValues(straight.stateDict(), resumed.stateDict());
        StateDictTest.assertSameValues(ema.shadow(), ema2.shadow());
        assertTrue(Files.size(f) > 0);
    }

    private static void step(TestNets.Net net, AdamW opt, Ema ema, Tensor x, Tensor y) {
        net.eval(); // no dropout: the two runs must see the same function
        opt.zeroGrad();
        net.forward(x).sub(y).square().mean().backward();
        opt.step();
        ema.update(net);
    }

    @Test
    void nonFiniteValuesAreRefusedOnLoadNamingFileAndTensor() throws Exception {
        Map<String, Tensor> state = new LinkedHashMap<>();
        state.put("ok", Tensor.of(new float[] {1, 2, 3}, 3));
        state.put("bad", Tensor.of(new float[] {Float.NaN, 1, Float.NEGATIVE_INFINITY, Float.NaN}, 2, 2));
        for (StoreType as : new StoreType[] {null, StoreType.BF16, StoreType.F16}) {
            Path f = dir.resolve("nan-" + as + ".safetensors");
            StateDicts.save(f, state, null, as);
            SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> StateDicts.load(f));
            assertEquals("bad", e.tensor());
            assertTrue(e.getMessage().startsWith(f + ": tensor 'bad': holds 2 NaN values and 1 infinite value (of 4)"), e.getMessage());
        }

        TestNets.Net a = new TestNets.Net(1), b = new TestNets.Net(2);
        Map<String, Tensor> weights = new LinkedHashMap<>(a.stateDict());
        String name = weights.keySet().iterator().next();
        Tensor w = weights.get(name);
        float[] v = w.toFloatArray();
        v[v.length - 1] = Float.POSITIVE_INFINITY;
        weights.put(name, Tensor.of(v, w.shape()));
        Path f = dir.resolve("inf-model.safetensors");
        StateDicts.save(f, weights, null);
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> StateDicts.loadModel(f, b, true));
        assertTrue(e.getMessage().contains("tensor '" + name + "': holds 1 infinite value"), e.getMessage());
    }
}
