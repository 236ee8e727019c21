package dev.diffusion4j.engine.cuda;

/** NVRTC rejected a kernel source, or the driver rejected the compiled image; carries the log. */
public final class KernelCompileException extends CudaException {
    private final String log;

    public KernelCompileException(String message, String log) {
        super(log == null || log.isBlank() ? message : message + "\n" + log.strip());
        this.log = log == null ? "" : log;
    }

    /** The compiler's or JIT linker's own log text. */
    public String log() {
        return log;
    }
}
