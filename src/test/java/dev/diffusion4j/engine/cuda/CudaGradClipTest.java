package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
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
    private static final int BF16 = 4;   // the index of the bf16 gradient

    @Test
    void onDeviceClippingMatchesTheCpu() {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Backends.get(cuda);
        for (double maxNorm : new double[] {1.0, 1e4}) {
            List<Parameter> cpu = new ArrayList<>(), gpu = new ArrayList<>();
            int[][] shapes = {{384, 1536}, {1536}, {7, 5, 3}, {1}, {33, 70}};
            for (int i = 0; i < shapes.length; i++) {
                Tensor g = Tensor.randn(new Generator(40 + i), shapes[i]).mul(0.05);
                Parameter pc = new Parameter("p" + i, Tensor.zeros(shapes[i])), pg = new Parameter("p" + i, Tensor.zeros(shapes[i]).to(cuda));
                if (i == BF16) {   // a second dtype: its own launch, the factor rounded to bf16 (the CPU takes the same values in f32)
                    g = g.to(DType.BF16).to(DType.F32);
                    pg.setGrad(g.to(cuda).to(DType.BF16));
                } else {
                    pg.setGrad(g.to(cuda));
                }
                pc.setGrad(g);
                cpu.add(pc);
                gpu.add(pg);
            }
            double want = GradClip.clipGradNorm(cpu, maxNorm);
            Tensor norm = GradClip.clipGradNormOnDevice(gpu, maxNorm);
            assertEquals(cuda, norm.device());
            assertEquals(want, norm.item(), 1e-9 * want, "norm, maxNorm " + maxNorm);
            for (int i = 0; i < cpu.size(); i++) {
                double e = CudaParityTest.relErr(cpu.get(i).grad().toDoubleArray(), gpu.get(i).grad().toDoubleArray());
                assertTrue(e <= (i == BF16 ? 8e-3 : 1e-6), "gradient " + i + ", maxNorm " + maxNorm + ": " + e);
                assertEquals(i == BF16 ? DType.BF16 : DType.F32, gpu.get(i).grad().dtype());
            }
        }
    }

    @Test
    void aNanNormMakesEveryGradientNan() {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Parameter a = new Parameter("a", Tensor.zeros(2).to(cuda)), b = new Parameter("b", Tensor.zeros(3).to(cuda));
        a.setGrad(Tensor.of(new float[] {Float.NaN, 1}, 2).to(cuda));
        b.setGrad(Tensor.of(new float[] {1, 2, 3}, 3).to(cuda));
        assertTrue(Double.isNaN(GradClip.clipGradNormOnDevice(List.of(a, b), 1).item()));
        for (double v : b.grad().toDoubleArray()) assertTrue(Double.isNaN(v), "as the CPU's NaN factor gives");
    }
}
