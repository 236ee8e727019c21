package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.ref.WeakReference;
import org.junit.jupiter.api.Test;

/** What the recorded graph holds on to: only the tensors some backward reads, and retained gradients where asked. */
class AutogradGraphTest {
    @Test
    void anIntermediateNoBackwardReadsIsFreedBeforeTheBackward() throws InterruptedException {
        Tensor x = Tensor.randn(new Generator(1), 4096).requiresGrad(true);
        Tensor a = x.mul(x);                       // mul keeps x (a leaf), not its own output
        WeakReference<Storage> aStorage = new WeakReference<>(a.storage());
        Tensor y = a.add(x.sin()).sum();           // the add keeps neither operand, the sum only the shape
        a = null;
        for (int i = 0; i < 20 && aStorage.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(aStorage.get(), "the graph kept an operand alive that no backward reads");
        y.backward();
        double[] xs = x.toDoubleArray(), g = x.grad().toDoubleArray();
        for (int i = 0; i < xs.length; i++) assertEquals(2 * xs[i] + Math.cos(xs[i]), g[i], 1e-5);
    }

    @Test
    void unaryMapsKeepOnlyTheOperandTheirDerivativeReads() throws InterruptedException {
        Tensor x = Tensor.randn(new Generator(2), 4096).requiresGrad(true);
        Tensor a = x.sin(), b = x.cos();
        WeakReference<Storage> aStorage = new WeakReference<>(a.storage()), bStorage = new WeakReference<>(b.storage());
        Tensor y = a.mul(3.0).add(b.exp()).sum();   // an affine map reads neither x nor y; exp reads only its output
        a = null;
        b = null;
        for (int i = 0; i < 20 && (aStorage.get() != null || bStorage.get() != null); i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(aStorage.get(), "the affine map kept its input");
        assertNull(bStorage.get(), "exp kept its input");
        y.backward();
        double[] xs = x.toDoubleArray(), g = x.grad().toDoubleArray();
        for (int i = 0; i < xs.length; i++)
            assertEquals(3 * Math.cos(xs[i]) - Math.sin(xs[i]) * Math.exp(Math.cos(xs[i])), g[i], 1e-4);
    }

    @Test
    void retainedGradientsAndTheReleasedGraph() {
        Tensor x = Tensor.of(new double[] {1, -2, 3}, 3).requiresGrad(true);
        Tensor y = x.mul(x).retainGrad();
        Tensor z = y.mul(y).sum();                 // dz/dy = 2y
        z.backward();
        assertArrayEquals(new double[] {2, 8, 18}, y.grad().toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {4, -32, 108}, x.grad().toDoubleArray(), 1e-12);   // 2y * 2x
        assertNull(y.gradFn(), "the backward released y's node");
        assertTrue(y.isLeaf());
        assertFalse(y.requiresGrad());
        assertThrows(IllegalStateException.class, z::backward, "the released graph cannot run again");
    }

    @Test
    void aLeafRootGetsTheSeedAsItsGradientInItsDtype() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        x.backward(Tensor.of(new double[] {0.5, -1}, 2));
        assertArrayEquals(new double[] {0.5, -1}, x.grad().toDoubleArray(), 1e-12);
        Tensor f = Tensor.of(new double[] {2}, 1).to(DType.F32).requiresGrad(true);
        f.backward(Tensor.of(new double[] {1.5}, 1));
        assertEquals(DType.F32, f.grad().dtype());
    }

    @Test
    void aLeafFrozenAfterTheForwardGetsNoGradient() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor w = Tensor.of(new double[] {3, 4}, 2).requiresGrad(true);
        Tensor y = x.mul(w).sum();
        w.requiresGrad(false);
        y.backward();
        assertNull(w.grad(), "as in PyTorch, the flag at backward time counts");
        assertArrayEquals(new double[] {3, 4}, x.grad().toDoubleArray(), 1e-12);
    }
}
