package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class EngineTest {
    @Test
    void philoxMatchesKnownAnswerVectors() {
        // Random123's published philox4x32-10 test vectors (key, counter -> output)
        int[] out = new int[4];
        Philox.block(0, 0, 0, 0, 0, 0, out);
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, out);
        Philox.block(-1, -1, -1, -1, -1, -1, out);
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, out);
        Philox.block(0xa4093822, 0x299f31d0, 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, out);
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}, out);
    }

    @Test
    void randomDrawsDependOnlyOnSeedAndOffset() {
        Generator g1 = new Generator(42), g2 = new Generator(42);
        double[] a = Tensor.randn(g1, 1000).toDoubleArray();
        double[] b = Tensor.randn(g2, 1000).toDoubleArray();
        assertArrayEquals(a, b);
        assertEquals(250, g1.offset());
        // a draw starting at offset 100 equals the tail of the long draw from element 400 on
        double[] tail = Tensor.randn(new Generator(42, 100), 600).toDoubleArray();
        for (int i = 0; i < 600; i++) assertEquals(a[400 + i], tail[i]);
        double[] c = Tensor.randn(new Generator(43), 1000).toDoubleArray();
        assertNotEquals(a[0], c[0]);
    }

    @Test
    void normalAndUniformMoments() {
        double[] z = Tensor.randn(new Generator(1), DType.F64, Device.CPU, 200_000).toDoubleArray();
        double m = 0, v = 0;
        for (double x : z) m += x;
        m /= z.length;
        for (double x : z) v += (x - m) * (x - m);
        v /= z.length;
        assertEquals(0, m, 0.01);
        assertEquals(1, v, 0.01);
        double[] u = Tensor.rand(new Generator(2), DType.F64, Device.CPU, 100_000).toDoubleArray();
        double mu = 0;
        for (double x : u) { assertTrue(x >= 0 && x < 1); mu += x; }
        assertEquals(0.5, mu / u.length, 0.005);
        long[] r = Tensor.randint(new Generator(3), 5, 9, Device.CPU, 10_000).toLongArray();
        int[] counts = new int[4];
        for (long x : r) counts[(int) (x - 5)]++;
        for (int k : counts) assertEquals(2500, k, 200);
    }

    @Test
    void broadcastingAndViews() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new float[] {10, 20, 30}, 3);
        assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, a.add(b).toFloatArray());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, a.transpose(0, 1).toFloatArray());
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4}, a.flip(1).toFloatArray());
        assertArrayEquals(new float[] {2, 5}, a.slice(1, 1, 2).toFloatArray());
        assertArrayEquals(new float[] {1, 3, 4, 6}, a.slice(1, 0, 3, 2).toFloatArray());
        assertArrayEquals(new float[] {5, 7, 9}, a.sum(0, false).toFloatArray());
        assertArrayEquals(new float[] {3, 6}, a.max(1, false).toFloatArray());
        assertEquals(3.5, a.mean().item(), 1e-6);
        assertArrayEquals(new float[] {0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0}, a.pad(new int[] {1, 0, 0, 1}, 0).reshape(-1).toFloatArray(),
                "pad adds a column before and a row after");
        Tensor m = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        assertArrayEquals(new float[] {7, 10, 15, 22}, m.matmul(m).toFloatArray());
        assertArrayEquals(new float[] {10, 14, 14, 20}, m.mT().matmul(m).toFloatArray());
    }

    @Test
    void gradientsAccumulateAcrossUsesAndCalls() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        x.mul(x).sum().backward();                 // d/dx x^2 = 2x
        assertArrayEquals(new float[] {2, 4, 6}, x.grad().toFloatArray());
        x.mul(3.0).sum().backward();               // accumulates +3
        assertArrayEquals(new float[] {5, 7, 9}, x.grad().toFloatArray());
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void gradModeOffRecordsNothingAndDetachCuts() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        try (var g = GradMode.off()) {
            assertFalse(x.mul(2.0).requiresGrad());
        }
        assertTrue(x.mul(2.0).requiresGrad());
        assertFalse(x.detach().mul(2.0).requiresGrad());
        Tensor y = x.mul(2.0).detach().mul(x).sum();
        y.backward();
        assertArrayEquals(new float[] {2, 4}, x.grad().toFloatArray());
    }

    @Test
    void clearErrorsForMisuse() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]"), e.getMessage());
        // floating operands of different types promote (MixedPrecisionTest); floating with integer does not
        e = assertThrows(IllegalArgumentException.class, () -> a.add(a.to(DType.I64)));
        assertTrue(e.getMessage().contains("dtype"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> Tensor.zeros(2).requiresGrad(true).mul(2.0).backward());
    }

    @Test
    void halfPrecisionStorageRoundTrips() {
        Tensor x = Tensor.of(new float[] {1f, -2.5f, 3.1415927f, 65504f, 1e-3f}, 5);
        float[] bf = x.to(DType.BF16).to(DType.F32).toFloatArray();
        float[] hf = x.to(DType.F16).to(DType.F32).toFloatArray();
        assertEquals(1f, bf[0]); assertEquals(-2.5f, bf[1]);
        assertEquals(3.140625f, bf[2]);           // bf16 keeps 8 significant bits
        assertEquals(3.140625f, hf[2]);           // f16: 10-bit mantissa
        assertEquals(65504f, hf[3]);
        assertEquals(1e-3f, hf[4], 1e-6f);
    }

    @Test
    void nonContiguousInputsGiveTheSameResults() {
        Tensor x = GradCheck.randn(5, 4, 6, 5);
        Tensor xt = x.permute(2, 0, 1).contiguous().permute(1, 2, 0);  // same values, permuted strides
        assertFalse(xt.isContiguous());
        assertArrayEquals(x.exp().toDoubleArray(), xt.exp().toDoubleArray());
        assertArrayEquals(x.sum(new int[] {0, 2}, false).toDoubleArray(), xt.sum(new int[] {0, 2}, false).toDoubleArray(), 1e-12);
        assertArrayEquals(x.matmul(x.mT()).toDoubleArray(), xt.matmul(xt.mT()).toDoubleArray(), 1e-12);
    }
}
