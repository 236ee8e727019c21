package dev.diffusion4j.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.Device;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("gpu")
class DiTCudaParityTest {
    static void requireCuda() {
        boolean cuda = Backends.cudaAvailable();
        if (!cuda) System.out.println("DiTCudaParityTest skipped: no CUDA device");
        Assumptions.assumeTrue(cuda, "no CUDA device");
    }

    @Test
    void aWholeTrainingStepMatchesTheCpu() {
        requireCuda();
        System.out.println(DiTStepParity.check(Device.cuda(0), 1e-4));
    }

    @Test
    void aStepUnderBf16AutocastStaysCloseToF32() {
        requireCuda();
        System.out.println(DiTStepParity.checkAutocast(Device.cuda(0)));
    }

    /** The comparison itself, on the CPU: the same step twice agrees exactly, so a GPU mismatch is the GPU's. */
    @Test
    void theStepIsDeterministicOnTheCpu() {
        String s = DiTStepParity.check(Device.CPU, 0);
        assertTrue(s.contains("loss rel 0.00e+00"), s);
    }
}
