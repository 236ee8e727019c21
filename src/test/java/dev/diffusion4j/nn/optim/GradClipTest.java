package dev.diffusion4j.nn.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Parameter;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradClipTest {
    static Parameter withGrad(float[] g, int... shape) {
        Parameter p = new Parameter("p", Tensor.zeros(shape));
        p.setGrad(Tensor.of(g, shape));
        return p;
    }

    @Test
    void clipsToMaxNormAndReturnsTheNormBefore() {
        // global norm sqrt(9 + 16 + 144) = 13; torch.nn.utils.clip_grad_norm_ gives 13 and scales by 6.5/(13+1e-6)
        Parameter a = withGrad(new float[] {3, 4}, 2), b = withGrad(new float[] {12}, 1, 1), none = new Parameter("n", Tensor.zeros(2));
        double norm = GradClip.clipGradNorm(List.of(a, b, none), 6.5);
        assertEquals(13, norm, 1e-12);
        assertArrayEquals(new float[] {1.49999988f, 1.99999988f}, a.grad().toFloatArray(), 1e-7f);
        assertArrayEquals(new float[] {5.99999952f}, b.grad().toFloatArray(), 1e-6f);
        assertNull(none.grad());
        assertEquals(6.5, GradClip.gradNorm(List.of(a, b)), 1e-5);
    }

    @Test
    void stridedGradientsTakeTheTensorPathWithTheSameResult() {
        Parameter dense = withGrad(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Parameter strided = new Parameter("s", Tensor.zeros(3, 2));
        strided.setGrad(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).mT());
        assertFalse(strided.grad().isContiguous());
        assertEquals(Math.sqrt(2 * 91), GradClip.gradNorm(List.of(dense, strided)), 1e-12);
    }

    @Test
    void leavesSmallGradientsAlone() {
        Parameter a = withGrad(new float[] {0.3f, 0.4f}, 2);
        Tensor before = a.grad();
        assertEquals(0.5, GradClip.clipGradNorm(List.of(a), 1.0), 1e-7);
        assertSame(before, a.grad());
    }

    @Test
    void sharedGradientTensorsAreScaledOnce() {
        // autograd hands both leaves of a + b the same gradient tensor
        Parameter a = new Parameter("a", Tensor.zeros(4)), b = new Parameter("b", Tensor.zeros(4));
        a.data().add(b.data()).mul(Tensor.of(new float[] {1, 2, 3, 4}, 4)).sum().backward();
        double norm = GradClip.clipGradNorm(List.of(a, b), 1);
        assertEquals(Math.sqrt(2 * 30), norm, 1e-6);
        assertEquals(1, GradClip.gradNorm(List.of(a, b)), 1e-5);
    }

    @Test
    void nonFiniteNormIsReported() {
        Parameter a = withGrad(new float[] {Float.NaN, 1}, 2);
        assertTrue(Double.isNaN(GradClip.clipGradNorm(List.of(a), 1)));
        Parameter b = withGrad(new float[] {Float.POSITIVE_INFINITY, 1}, 2);
        assertTrue(Double.isInfinite(GradClip.gradNorm(List.of(b))));
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(List.of(a), 0));
    }

    @Test
    void onDeviceClippingGivesTheSameGradientsAndNormWithoutReadingIt() {
        for (double maxNorm : new double[] {6.5, 100}) {   // clipped, and left alone (a factor of exactly 1)
            Parameter a = withGrad(new float[] {3, 4}, 2), b = withGrad(new float[] {12}, 1, 1), none = new Parameter("n", Tensor.zeros(2));
            Parameter a2 = withGrad(new float[] {3, 4}, 2), b2 = withGrad(new float[] {12}, 1, 1);
            Tensor norm = GradClip.clipGradNormOnDevice(List.of(a, b, none), maxNorm);
            double hostNorm = GradClip.clipGradNorm(List.of(a2, b2), maxNorm);
            assertEquals(0, norm.rank());
            assertEquals(hostNorm, norm.item(), 0);
            assertArrayEquals(a2.grad().toFloatArray(), a.grad().toFloatArray(), 0f);
            assertArrayEquals(b2.grad().toFloatArray(), b.grad().toFloatArray(), 0f);
            assertNull(none.grad());
        }
    }

    @Test
    void onDeviceClippingScalesASharedGradientOnceAndReportsNonFiniteNorms() {
        Parameter a = new Parameter("a", Tensor.zeros(4)), b = new Parameter("b", Tensor.zeros(4));
        a.data().add(b.data()).mul(Tensor.of(new float[] {1, 2, 3, 4}, 4)).sum().backward();
        assertEquals(Math.sqrt(2 * 30), GradClip.clipGradNormOnDevice(List.of(a, b), 1).item(), 1e-6);
        assertEquals(1, GradClip.gradNorm(List.of(a, b)), 1e-5);
        assertTrue(Double.isNaN(GradClip.clipGradNormOnDevice(List.of(withGrad(new float[] {Float.NaN, 1}, 2)), 1).item()));
        assertTrue(Double.isInfinite(GradClip.gradNormOnDevice(List.of(withGrad(new float[] {Float.POSITIVE_INFINITY, 1}, 2))).item()));
        assertEquals(0, GradClip.gradNormOnDevice(List.of(new Parameter("n", Tensor.zeros(2)))).item());
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNormOnDevice(List.of(a), 0));
    }
}
