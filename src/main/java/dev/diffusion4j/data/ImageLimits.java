package dev.diffusion4j.data;

/**
 * The largest image (width x height, read from its header before any pixel is decoded) that the
 * data layer will decode. A tiny file can declare a huge image and decoders allocate the whole
 * raster up front, so larger images are refused instead. Set here (e.g. from a CLI option) or by
 * the system property {@value #PROPERTY}; the default is {@value #DEFAULT_MAX_PIXELS} (8192 x 8192).
 */
public final class ImageLimits {
    public static final String PROPERTY = "diffusion4j.maxImagePixels";
    public static final long DEFAULT_MAX_PIXELS = 8192L * 8192;

    private static volatile long maxPixels; // 0: not set here, read the property
    private static volatile String setBy;

    private ImageLimits() {}

    /** The limit in force: the one set here, else the system property, else the default. */
    public static long maxPixels() {
        long set = maxPixels;
        if (set > 0) return set;
        String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank()) return DEFAULT_MAX_PIXELS;
        try {
            long v = Long.parseLong(p.strip());
            if (v > 0) return v;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new DatasetException("system property " + PROPERTY + "=" + p + " is not a positive whole number of pixels",
                "give e.g. -D" + PROPERTY + "=" + DEFAULT_MAX_PIXELS);
    }

    /**
     * Sets the limit; {@code setting} names where the user chose it (e.g. "--max-image-pixels"),
     * so that a refusal can tell how to raise it.
     */
    public static void setMaxPixels(long pixels, String setting) {
        if (pixels <= 0) throw new IllegalArgumentException("the image pixel limit must be positive, got " + pixels);
        setBy = setting;
        maxPixels = pixels;
    }

    /** Goes back to the system property or the default. */
    public static void reset() {
        maxPixels = 0;
        setBy = null;
    }

    /** How the user raises the limit, for messages. */
    static String howToRaise() {
        String s = setBy;
        return s != null && maxPixels > 0 ? "raise " + s : "raise it with -D" + PROPERTY + "=PIXELS";
    }
}
