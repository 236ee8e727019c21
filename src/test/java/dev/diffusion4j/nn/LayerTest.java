package dev.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

class LayerTest {
    @Test
    void linearInitIsPyTorchsDefaultBoundAndReproducible() {
        Linear a = new Linear(25, 40, new Generator(7)), b = new Linear(25, 40, new Generator(7));
        assertArrayEquals(a.weight().data().toFloatArray(), b.weight().data().toFloatArray());
        assertArrayEquals(a.bias().data().toFloatArray(), b.bias().data().toFloatArray());
        double bound = 1 / Math.sqrt(25);
        float[] w = a.weight().data().toFloatArray();
        double max = 0, sumSq = 0;
        for (float v : w) { max = Math.max(max, Math.abs(v)); sumSq += v * v; }
        assertTrue(max <= bound && max > 0.9 * bound, "max |w| " + max);
        assertEquals(bound * bound / 3, sumSq / w.length, 0.15 * bound * bound / 3, "variance of U(-b, b)");
        for (float v : a.bias().data().toFloatArray()) assertTrue(Math.abs(v) <= bound);
        assertFalse(java.util.Arrays.equals(w, new Linear(25, 40, new Generator(8)).weight().data().toFloatArray()));
    }

    @Test
    void linearComputesXWtPlusB() {
        Linear lin = new Linear(2, 3, new Generator(1));
        Init.constant(lin.bias(), 0.5);
        lin.weight().copyFrom(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        Tensor y = lin.forward(Tensor.of(new float[] {1, -1, 2, 0}, 2, 2));
        assertArrayEquals(new float[] {-0.5f, -0.5f, -0.5f, 2.5f, 6.5f, 10.5f}, y.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> lin.forward(Tensor.zeros(2, 3)));
        assertNull(new Linear(2, 3, false, new Generator(1)).bias());
    }

    @Test
    void zeroInitHelperClearsAModule() {
        Linear lin = Init.zero(new Linear(3, 4, new Generator(1)));
        for (Parameter p : lin.parameters()) for (float v : p.data().toFloatArray()) assertEquals(0f, v);
    }

    @Test
    void xavierUniformBound() {
        Linear lin = new Linear(30, 10, new Generator(1));
        Init.xavierUniform(lin.weight(), 1, new Generator(2));
        double bound = Math.sqrt(6.0 / 40);
        double max = 0;
        for (float v : lin.weight().data().toFloatArray()) max = Math.max(max, Math.abs(v));
        assertTrue(max <= bound && max > 0.9 * bound);
    }

    @Test
    void embeddingLooksUpRowsAndAccumulatesGradients() {
        Embedding emb = new Embedding(5, 3, new Generator(1));
        Tensor ids = Tensor.ofLongs(new long[] {4, 0, 4, 2}, 2, 2);
        Tensor y = emb.forward(ids);
        assertArrayEquals(new int[] {2, 2, 3}, y.shape());
        for (int k = 0; k < 3; k++) {
            assertEquals(emb.weight().data().get(4, k), y.get(0, 0, k));
            assertEquals(emb.weight().data().get(2, k), y.get(1, 1, k));
        }
        y.sum().backward();
        assertArrayEquals(new float[] {1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 2, 2, 2}, emb.weight().grad().toFloatArray());
        // N(0, 1) init
        float[] w = new Embedding(200, 50, new Generator(3)).weight().data().toFloatArray();
        double m = 0, v = 0;
        for (float x : w) m += x;
        m /= w.length;
        for (float x : w) v += (x - m) * (x - m);
        assertEquals(0, m, 0.03);
        assertEquals(1, v / w.length, 0.05);
        assertThrows(IllegalArgumentException.class, () -> emb.forward(Tensor.zeros(2)));
    }

    @Test
    void dropoutIsReproducibleAndOffInEval() {
        Tensor x = Tensor.ones(4000);
        Dropout a = new Dropout(0.25, new Generator(11)), b = new Dropout(0.25, new Generator(11));
        float[] ya = a.forward(x).toFloatArray();
        assertArrayEquals(ya, b.forward(x).toFloatArray());
        int zeros = 0;
        for (float v : ya) {
            if (v == 0) zeros++;
            else assertEquals(1 / 0.75f, v, 1e-6);
        }
        assertEquals(1000, zeros, 120);
        a.eval();
        assertSame(x, a.forward(x));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1, new Generator(1)));
    }

    @Test
    void sequentialChainsAndGeluRepr() {
        Generator gen = new Generator(4);
        Sequential s = new Sequential(new Linear(3, 5, gen), new GELU(true), new Identity(), new Linear(5, 2, gen));
        assertEquals(4, s.size());
        assertArrayEquals(new int[] {7, 2}, s.forward(Tensor.zeros(7, 3)).shape());
        assertTrue(s.toString().contains("(1): GELU(approximate='tanh')"), s.toString());
        ModuleGradCheck.check("sequential", s, Tensor.randn(new Generator(2), DType.F32, dev.diffusion4j.engine.Device.CPU, 3, 3));
    }

    @Test
    void modulesWithoutSingleInputSaySo() {
        var e = assertThrows(UnsupportedOperationException.class, () -> new ModuleList<Linear>().forward(Tensor.zeros(1)));
        assertEquals("ModuleList does not take a single tensor input", e.getMessage());
    }

    @Test
    void linearFromGivenValuesKeepsThemAndChecksTheirShapes() {
        Linear l = new Linear(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), Tensor.of(new float[] {0.5f, -1}, 2));
        assertEquals(3, l.inFeatures());
        assertEquals(2, l.outFeatures());
        assertArrayEquals(new float[] {14.5f, 31}, l.forward(Tensor.of(new float[] {1, 2, 3}, 1, 3)).toFloatArray());
        assertEquals(java.util.List.of("weight", "bias"), new java.util.ArrayList<>(l.stateDict().keySet()));
        assertThrows(IllegalArgumentException.class, () -> new Linear(Tensor.zeros(2, 3), Tensor.zeros(3)));
    }
}
