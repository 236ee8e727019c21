package dev.diffusion4j.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opening dataset files: checks that a path exists and undoes gzip by content, not by name. */
final class Inputs {
    private Inputs() {}

    /** Fails with a clear message unless {@code file} is an existing regular file. */
    static void requireFile(Path file, String what) {
        if (!Files.exists(file)) {
            throw new DatasetException(what + " " + file + " does not exist",
                    "check the path (and the split name), or download the dataset there");
        }
        if (!Files.isRegularFile(file)) {
            throw new DatasetException(what + " " + file + " is not a regular file",
                    "give the path of the file itself");
        }
        if (!Files.isReadable(file)) {
            throw new DatasetException(what + " " + file + " is not readable",
                    "fix its permissions (chmod a+r)");
        }
    }

    /** True if the file starts with the gzip magic bytes 1f 8b. */
    static boolean isGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    /** A buffered stream of the file's content, decompressed if the file is gzip. */
    static InputStream open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        raw.mark(2);
        boolean gz = raw.read() == 0x1f && raw.read() == 0x8b;
        raw.reset();
        return gz ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
    }
}
