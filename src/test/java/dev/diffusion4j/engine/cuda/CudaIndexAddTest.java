package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A class embedding's gradient on a real device, many indices repeated (the null class of label dropout among them):
 * index_add sums them in index order there, so every run gives the same bits (exact resume compares optimizer states
 * byte for byte), and the CPU's sums within f32 rounding.
 */
@Tag("gpu")
class CudaIndexAddTest {
    @Test
    void aClassEmbeddingsGradientIsTheSameEveryRun() {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Backends.get(cuda);
        long[] ids = new long[256];
        for (int i = 0; i < ids.length; i++) ids[i] = i % 3 == 0 ? 10 : i % 11;
        Tensor table = Tensor.randn(new Generator(1), 11, 128), g = Tensor.randn(new Generator(2), 256, 128);
        float[] cpu = gradient(table, Tensor.ofLongs(ids, 256), g), first = null;
        for (int run = 0; run < 3; run++) {
            float[] grad = gradient(table.to(cuda), Tensor.ofLongs(ids, 256).to(cuda), g.to(cuda));
            if (first == null) first = grad;
            else assertArrayEquals(first, grad, "run " + run);
        }
        double[] a = new double[cpu.length], b = new double[cpu.length];
        for (int i = 0; i < cpu.length; i++) { a[i] = cpu[i]; b[i] = first[i]; }
        assertTrue(CudaParityTest.relErr(a, b) <= 1e-6, "against the CPU: " + CudaParityTest.relErr(a, b));
    }

    private static float[] gradient(Tensor table, Tensor ids, Tensor g) {
        Tensor t = table.detach().requiresGrad(true);
        F.embedding(t, ids).mul(g).sum().backward();
        return t.grad().toFloatArray();
    }
}
