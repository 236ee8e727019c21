package dev.diffusion4j.train.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The uPlot release bundled through its WebJar (org.webjars.npm:uplot, MIT licence, a dependency in the pom), read
 * from the WebJar's own pom.properties so that the pom stays the one place naming it.
 */
final class UplotVersion {
    static final String VERSION = read();

    private UplotVersion() {}

    private static String read() {
        try (InputStream in = UplotVersion.class.getResourceAsStream("/META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
            if (in == null) return "missing";
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "missing");
        } catch (IOException e) {
            return "missing";
        }
    }
}
