package dev.diffusion4j.models;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.Device;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("gpu")
class UNetCudaParityTest {
    @Test
    void aWholeTrainingStepMatchesTheCpu() {
        boolean cuda = Backends.cudaAvailable();
        if (!cuda) System.out.println("UNetCudaParityTest skipped: no CUDA device");
        Assumptions.assumeTrue(cuda, "no CUDA device");
        System.out.println(UNetStepParity.check(Device.cuda(0), 1e-4));
    }

    @Test
    void aStepUnderBf16AutocastStaysCloseToF32() {
        boolean cuda = Backends.cudaAvailable();
        if (!cuda) System.out.println("UNetCudaParityTest skipped: no CUDA device");
        Assumptions.assumeTrue(cuda, "no CUDA device");
        System.out.println(UNetStepParity.checkAutocast(Device.cuda(0)));
    }
}
