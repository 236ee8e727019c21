package dev.diffusion4j.train;

/**
 * How the user started the program, so that printed hints run as printed: {@code bin/diffuse} passes its own path as
 * the system property {@value #PROPERTY}; a bare {@code java -jar} run says {@code diffuse}. Help footers read the same
 * property through picocli's {@code ${sys:...}} interpolation.
 */
public final class Invocation {
    public static final String PROPERTY = "diffuse.command";

    private Invocation() {}

    /** The command word(s) a hint should start with, e.g. {@code bin/diffuse}. */
    public static String command() {
        String c = System.getProperty(PROPERTY);
        return c == null || c.isBlank() ? "diffuse" : c;
    }

    /** {@code word} (a path, a prompt) as one shell word: as it is when that is safe, else in single quotes. */
    public static String quote(Object word) { return dev.diffusion4j.io.ShellWords.quote(word); }
}
