package dev.diffusion4j.io;

import java.nio.file.Path;

/**
 * A safetensors file that is malformed, truncated or does not match what the caller expects. The
 * message names the file and the tensor (where there is one) and says what is wrong.
 */
public class SafeTensorsException extends java.io.IOException {
    private final transient Path file;
    private final String tensor;

    public SafeTensorsException(Path file, String tensor, String problem) {
        super(prefix(file, tensor) + problem);
        this.file = file;
        this.tensor = tensor;
    }

    /** The file concerned, or null where the check was not about a file (e.g. comparing key sets). */
    public Path file() {
        return file;
    }

    /** The tensor concerned, or null where the problem is with the file as a whole. */
    public String tensor() {
        return tensor;
    }

    private static String prefix(Path file, String tensor) {
        String p = file == null ? "" : file + ": ";
        return tensor == null ? p : p + "tensor '" + tensor + "': ";
    }

    /** "20 bytes", or the exact count plus a readable size for large counts. */
    static String bytes(long n) {
        if (n < 1024) return n + (n == 1 ? " byte" : " bytes");
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%,d bytes (%.1f %s)", n, v, units[u]);
    }
}
