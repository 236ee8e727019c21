package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every CUDA-backend kernel module (each family with each set of defines) compiles with NVRTC for
 * sm_90. Needs only NVRTC, no GPU: runs wherever libnvrtc loads (e.g. DIFFUSION4J_CUDA_LIBS pointing
 * at pip's nvidia/cu13/lib), else skips with the reason.
 */
class KernelSourcesCompileTest {
    @Test
    void everyModuleCompiles() {
        int[] version;
        try {
            version = NvrtcApi.version();
        } catch (Throwable t) {
            System.out.println("KernelSourcesCompileTest skipped: NVRTC not found (" + t.getMessage() + ")");
            Assumptions.abort("NVRTC not found");
            return;
        }
        List<String> failures = new ArrayList<>();
        long t0 = System.nanoTime();
        List<CudaKernels.Variant> all = CudaKernels.allVariants();
        all.parallelStream().forEach(v -> {
            List<String> options = new ArrayList<>(List.of("-arch=sm_90", "--std=c++17", "-lineinfo"));
            options.addAll(CudaKernels.options(v.defines()));
            try {
                NvrtcApi.compile(CudaKernels.moduleName(v.family(), v.defines()), CudaKernels.source(v.family()), options, true);
            } catch (RuntimeException e) {
                synchronized (failures) { failures.add(e.getMessage()); }
            }
        });
        System.out.printf("NVRTC %d.%d compiled %d modules in %.1f s%n", version[0], version[1], all.size(), (System.nanoTime() - t0) / 1e9);
        assertTrue(failures.isEmpty(), String.join("\n\n", failures));
    }
}
