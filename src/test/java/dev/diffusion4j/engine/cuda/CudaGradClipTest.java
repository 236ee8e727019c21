package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Parameter;
import dev.diffusion4j.nn.optim.GradClip;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GradClip.clipGradNormOnDevice on CUDA (the norm and the factor computed there, nothing read back until the test asks)
 * against the CPU's clipGradNorm on the same gradients: clipped and not clipped.
 */
@Tag("gpu")
class CudaGradClipTest {
    @Test
    void onDeviceClippingMatchesTheCpu() {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Backends.get(cuda);
        for (double maxNorm : new double[] {1.0, 1e4}) {
            List<Parameter> cpu = new ArrayList<>(), gpu = new ArrayList<>();
            int[][] shapes = {{384, 1536}, {1536}, {7, 5, 3}, {1}};
            for (int i = 0; i < shapes.length; i++) {
                Tensor g = Tensor.randn(new Generator(40 + i), shapes[i]).mul(0.05);
                Parameter pc = new Parameter("p" + i, Tensor.zeros(shapes[i])), pg = new Parameter("p" + i, Tensor.zeros(shapes[i]).to(cuda));
                pc.setGrad(g);
                pg.setGrad(g.to(cuda));
                cpu.add(pc);
                gpu.add(pg);
            }
            double want = GradClip.clipGradNorm(cpu, maxNorm);
            Tensor norm = GradClip.clipGradNormOnDevice(gpu, maxNorm);
            assertEquals(cuda, norm.device());
            assertEquals(want, norm.item(), 1e-9 * want, "norm, maxNorm " + maxNorm);
            for (int i = 0; i < cpu.size(); i++) {
                double e = CudaParityTest.relErr(cpu.get(i).grad().toDoubleArray(), gpu.get(i).grad().toDoubleArray());
                assertTrue(e <= 1e-6, "gradient " + i + ", maxNorm " + maxNorm + ": " + e);
            }
        }
    }
}
