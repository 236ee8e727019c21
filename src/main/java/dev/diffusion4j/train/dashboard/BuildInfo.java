package dev.diffusion4j.train.dashboard;

/** The program's version as the jar names it. */
public final class BuildInfo {
    private BuildInfo() {}

    /** The jar's Implementation-Version, or "dev" when the build does not set one. */
    public static String version() {
        String v = BuildInfo.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
