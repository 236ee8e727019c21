package dev.diffusion4j.data;

import java.util.Locale;

/**
 * The colour transparent pixels (RGBA, gray + alpha) are composited on when images are read: white unless a command
 * sets another (train / train-autoencoder {@code --background}, recorded in the run's config). Process-wide, like
 * {@link ImageLimits}: set it before opening data.
 */
public final class Background {
    public static final String WHITE = "white";
    private static volatile float[] rgb = {1f, 1f, 1f};
    private static volatile String spec = WHITE;

    private Background() {}

    /** Parses white, black or #rrggbb into [0, 1] RGB, or refuses with the accepted forms. */
    public static float[] parse(String spec) {
        String s = spec.strip().toLowerCase(Locale.ROOT);
        if (s.equals("white")) return new float[] {1f, 1f, 1f};
        if (s.equals("black")) return new float[] {0f, 0f, 0f};
        if (s.matches("#[0-9a-f]{6}")) {
            int v = Integer.parseInt(s.substring(1), 16);
            return new float[] {((v >> 16) & 0xff) / 255f, ((v >> 8) & 0xff) / 255f, (v & 0xff) / 255f};
        }
        throw new IllegalArgumentException("background '" + spec + "' is not white, black or #rrggbb (e.g. #808080)");
    }

    /** Sets the colour for images read from now on. */
    public static void set(String spec) {
        rgb = parse(spec);
        Background.spec = spec.strip().toLowerCase(Locale.ROOT);
    }

    /** The colour in force as it was given (white, black or #rrggbb). */
    public static String spec() { return spec; }

    /** The colour in force, as [0, 1] RGB (a copy). */
    static float[] current() { return rgb.clone(); }
}
