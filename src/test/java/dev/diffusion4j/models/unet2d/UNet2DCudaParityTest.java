package dev.diffusion4j.models.unet2d;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.TensorDiff;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The fixture folders on CUDA: f32 (TF32 off) against diffusers' CPU output, and bf16 autocast within bf16's reach. */
@Tag("gpu")
class UNet2DCudaParityTest {
    @Test
    void fixtureFoldersOnCudaMatchDiffusers() throws IOException {
        boolean cuda = Backends.cudaAvailable();
        if (!cuda) System.out.println("UNet2DCudaParityTest skipped: no CUDA device");
        Assumptions.assumeTrue(cuda, "no CUDA device");
        Device gpu = Device.cuda(0);
        for (String name : UNet2DTest.CASES) {
            UNet2D m = UNet2DFolder.load(UNet2DTest.fixture(name).resolve("model"));
            m.to(gpu);
            m.eval();
            Map<String, Tensor> in = StateDicts.load(UNet2DTest.fixture(name).resolve("inputs.safetensors"));
            Tensor ref = StateDicts.load(UNet2DTest.fixture(name).resolve("reference.safetensors")).get("out_float32");
            for (Precision p : new Precision[] {Precision.FP32, Precision.BF16}) {
                p.applyMathMode();
                try (var g = GradMode.off(); var ac = p.autocast()) {
                    double[] e = TensorDiff.errors(UNet2DDiffusersParity.run(m, in, gpu).to(dev.diffusion4j.engine.DType.F32).to(Device.CPU), ref);
                    System.out.printf("%s %s on cuda: max rel %.2e, rel L2 %.2e%n", name, p.id(), e[0], e[1]);
                    assertTrue(p == Precision.BF16 ? e[1] < 5e-2 : e[1] < 1e-5, name + " " + p.id() + ": rel L2 " + e[1]);
                } finally {
                    Precision.FP32.applyMathMode();
                }
            }
        }
    }
}
