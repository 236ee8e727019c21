package dev.diffusion4j.engine.cuda;

/**
 * A failed call into the CUDA driver, NVRTC, cuBLAS or cuDNN, or a CUDA library that could not be
 * found. The message names the call, its main arguments and the library's error name and text,
 * e.g. {@code cuMemAlloc_v2(268435456 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)}.
 */
public class CudaException extends RuntimeException {
    private final int status;

    public CudaException(String message) {
        this(message, 0, null);
    }

    public CudaException(String message, Throwable cause) {
        this(message, 0, cause);
    }

    public CudaException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The library's status code (CUresult, nvrtcResult, cublasStatus_t, cudnnStatus_t), or 0. */
    public int status() {
        return status;
    }

    /** Formats the standard message: {@code call failed: NAME (text)}. */
    static String failure(String call, String name, String text) {
        return call + " failed: " + name + (text == null || text.isEmpty() ? "" : " (" + text + ")");
    }
}
