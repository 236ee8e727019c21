package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.Backend;

/** Found reflectively by {@link dev.diffusion4j.engine.Backends}, so CPU-only code never touches CUDA classes. */
public final class CudaBackendFactory {
    private CudaBackendFactory() {}

    /** True where the driver loads and reports a device; never throws. */
    public static boolean available() { return CudaLibraries.isAvailable(); }

    /** A backend for device {@code deviceIndex}; throws with the reason where CUDA cannot start. */
    public static Backend create(int deviceIndex) {
        CudaLibraries.requireAvailable();
        return new CudaBackend(deviceIndex);
    }
}
