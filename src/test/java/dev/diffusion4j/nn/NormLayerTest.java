package dev.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.GradCheck;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.MemoryFormat;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

class NormLayerTest {
    @Test
    void groupNormStartsAsPlainNormalisation() {
        GroupNorm gn = new GroupNorm(2, 4);
        assertArrayEquals(new float[] {1, 1, 1, 1}, gn.weight().data().toFloatArray());
        assertArrayEquals(new float[] {0, 0, 0, 0}, gn.bias().data().toFloatArray());
        assertEquals("GroupNorm(2, 4, eps=1e-05, affine=True)", gn.toString());
        Tensor x = Tensor.randn(new Generator(2), 3, 4, 5, 5).mul(3).add(1);
        Tensor y = gn.forward(x);
        Tensor groups = y.reshape(3, 2, 50);
        for (double m : groups.mean(2, false).toDoubleArray()) assertEquals(0, m, 1e-5);
        for (double v : groups.var(new int[] {2}, false, false).toDoubleArray()) assertEquals(1, v, 1e-3);
        assertArrayEquals(F.silu(y).toFloatArray(), gn.forwardSilu(x).toFloatArray(), 1e-6f);
        assertEquals(0, new GroupNorm(2, 4, 1e-6, false).numParameters());
        assertThrows(IllegalArgumentException.class, () -> new GroupNorm(3, 4));
        ModuleGradCheck.check("groupnorm", gn, Tensor.randn(new Generator(3), 2, 4, 2, 2));
    }

    @Test
    void groupNormOfAShiftedInputInBothFormats() {
        GroupNorm gn = new GroupNorm(2, 4);
        Tensor x = Tensor.randn(new Generator(6), 2, 4, 3, 3).to(DType.F64), shift = Tensor.randn(new Generator(7), 2, 4).mul(2).to(DType.F64);
        Tensor want = gn.forward(x.add(shift.reshape(2, 4, 1, 1)), true, MemoryFormat.CHANNELS_FIRST);
        assertArrayEquals(want.toDoubleArray(), gn.forward(x, shift, true, MemoryFormat.CHANNELS_FIRST).toDoubleArray(), 1e-12);
        Tensor last = gn.forward(x.permute(0, 2, 3, 1), shift, true, MemoryFormat.CHANNELS_LAST).permute(0, 3, 1, 2);
        assertArrayEquals(want.toDoubleArray(), last.contiguous().toDoubleArray(), 1e-12);
        GradCheck.check("groupNorm shifted, channels-last", t -> F.groupNorm(t[0], t[1], 2, t[2], t[3], 1e-5, true, MemoryFormat.CHANNELS_LAST),
                Tensor.randn(new Generator(8), 2, 3, 3, 4).to(DType.F64), Tensor.randn(new Generator(9), 2, 4).to(DType.F64),
                Tensor.randn(new Generator(10), 4).add(1).to(DType.F64), Tensor.randn(new Generator(11), 4).to(DType.F64));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gn.forward(x, Tensor.zeros(2, 3), false, MemoryFormat.CHANNELS_FIRST));
        assertTrue(e.getMessage().contains("shift must be [N, C] = [2, 4]"), e.getMessage());
    }

    @Test
    void layerNormOverTrailingDims() {
        LayerNorm ln = new LayerNorm(6);
        assertEquals("LayerNorm((6,), eps=1e-05, elementwise_affine=True)", ln.toString());
        assertEquals("LayerNorm((2, 3), eps=1e-06, elementwise_affine=False)", new LayerNorm(new int[] {2, 3}, 1e-6, false).toString());
        Tensor y = ln.forward(Tensor.randn(new Generator(4), 5, 6).mul(2).add(3));
        for (double m : y.mean(1, false).toDoubleArray()) assertEquals(0, m, 1e-5);
        assertEquals(0, new LayerNorm(new int[] {6}, 1e-6, false).numParameters());
        assertThrows(IllegalArgumentException.class, () -> ln.forward(Tensor.zeros(2, 5)));
        ModuleGradCheck.check("layernorm", ln, Tensor.randn(new Generator(5), 3, 6));
    }
}
