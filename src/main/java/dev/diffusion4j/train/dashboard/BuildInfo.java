package dev.diffusion4j.train.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The program's version and the git commit it was built from, as far as the jar knows them. */
public final class BuildInfo {
    private static final Properties GIT = load();

    private BuildInfo() {}

    /** The jar's Implementation-Version, or "dev" when run from classes. */
    public static String version() {
        String v = BuildInfo.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** The abbreviated commit (with "-dirty" for uncommitted changes) from the build's git.properties, or "unknown". */
    public static String commit() {
        String id = GIT.getProperty("git.commit.id.abbrev");
        if (id == null || id.isBlank()) return "unknown";
        return "true".equals(GIT.getProperty("git.dirty")) ? id + "-dirty" : id;
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/dev/diffusion4j/git.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            // no commit known
        }
        return p;
    }
}
