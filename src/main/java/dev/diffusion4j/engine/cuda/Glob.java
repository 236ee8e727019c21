package dev.diffusion4j.engine.cuda;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Expands absolute paths whose segments may hold '*' into the folders that exist. */
final class Glob {
    private Glob() {}

    static List<Path> expand(String pattern) {
        List<Path> current = List.of(Path.of("/"));
        for (String segment : pattern.split("/")) {
            if (segment.isEmpty()) continue;
            List<Path> next = new ArrayList<>();
            for (Path base : current) {
                if (segment.indexOf('*') < 0) {
                    Path p = base.resolve(segment);
                    if (Files.exists(p)) next.add(p);
                    continue;
                }
                if (!Files.isDirectory(base)) continue;
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(base, segment)) {
                    for (Path p : ds) next.add(p);
                } catch (IOException e) {
                    // unreadable folder: nothing to find there
                }
            }
            next.sort(null);
            current = next;
        }
        return current;
    }

    /** Compares names like cuda-12.4 and cuda-13.0 by their numbers, so 12.10 sorts after 12.9. */
    static int compareVersions(String a, String b) {
        String[] x = a.replaceAll("[^0-9.]", "").split("\\.");
        String[] y = b.replaceAll("[^0-9.]", "").split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            long xi = number(x, i);
            long yi = number(y, i);
            if (xi != yi) return Long.compare(xi, yi);
        }
        return a.compareTo(b);
    }

    private static long number(String[] parts, int i) {
        if (i >= parts.length || parts[i].isEmpty() || parts[i].length() > 18) return 0;
        return Long.parseLong(parts[i]);
    }
}
