package dev.diffusion4j.data;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Turns a typed path into a {@link Path}, explaining the one way that fails on Linux: under a
 * locale whose encoding is not UTF-8 (LANG=C) the JVM reads file names and arguments as ASCII, so
 * a non-ASCII name arrives as replacement characters that no file can have.
 */
final class FileNames {
    private FileNames() {}

    static Path toPath(String typed, String what) {
        try {
            return Path.of(typed);
        } catch (InvalidPathException e) {
            String enc = System.getProperty("sun.jnu.encoding", "?");
            boolean locale = !enc.equalsIgnoreCase("UTF-8") && (typed.indexOf('\uFFFD') >= 0 || typed.indexOf('?') >= 0);
            throw new DatasetException(what + " '" + typed + "' is not a usable file name ("
                    + e.getReason() + (locale ? "; Java reads file names as " + enc + " under the current locale,"
                    + " so non-ASCII characters are lost" : "") + ")",
                    locale ? "run under a UTF-8 locale, e.g. LC_ALL=C.UTF-8 (bin/diffuse does this by itself)"
                            : "check the path");
        }
    }
}
