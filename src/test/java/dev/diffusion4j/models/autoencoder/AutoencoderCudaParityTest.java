package dev.diffusion4j.models.autoencoder;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.Device;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("gpu")
class AutoencoderCudaParityTest {
    static void requireCuda() {
        boolean cuda = Backends.cudaAvailable();
        if (!cuda) System.out.println("AutoencoderCudaParityTest skipped: no CUDA device");
        Assumptions.assumeTrue(cuda, "no CUDA device");
    }

    /** AutoencoderKL and VQModel: reconstruction, loss and every gradient of one step within 1e-4 (f32, TF32 off). */
    @Test
    void aTrainingStepOfBothAutoencodersMatchesTheCpu() {
        requireCuda();
        System.out.println(AutoencoderStepParity.check(Device.cuda(0), 1e-4));
    }

    /** The comparison itself, on the CPU: the same step twice agrees exactly, so a GPU mismatch is the GPU's. */
    @Test
    void theStepIsDeterministicOnTheCpu() {
        String s = AutoencoderStepParity.check(Device.CPU, 0);
        assertTrue(s.contains("kl on cpu vs cpu: reconstruction rel L2 0.00e+00") && s.contains("vq on cpu"), s);
    }
}
