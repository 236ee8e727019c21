package dev.diffusion4j.data;

import java.util.Objects;

/**
 * Built-in generated data that needs no download: one large, upright, anti-aliased geometric
 * shape (circle, square, triangle, cross or ring) in one of six colours, of random size and
 * position near the centre, on a plain dark or light background. Image {@code i} is a
 * pure function of (seed, i), so the dataset can be any size and every run sees the same pixels.
 * The label is the shape type. Rendering costs microseconds, so nothing is cached.
 */
public final class ShapesDataset implements ImageDataset {
    public static final int DEFAULT_SIZE = 10_000;
    public static final int DEFAULT_RESOLUTION = 32;

    /** The classes, in label order. */
    public enum Shape { CIRCLE, SQUARE, TRIANGLE, CROSS, RING }

    private static final Shape[] SHAPES = Shape.values();
    private final int size;
    private final int resolution;
    private final int channels;
    private final long seed;

    /** 10,000 RGB images of 32x32, seed 0: the README demo. */
    public ShapesDataset() {
        this(DEFAULT_SIZE, DEFAULT_RESOLUTION, 3, 0L);
    }

    public ShapesDataset(int size, int resolution, int channels, long seed) {
        if (size <= 0) throw new DatasetException("shapes dataset size must be positive, got " + size,
                "ask for at least one image, e.g. shapes:10000");
        if (resolution < 8) throw new DatasetException("shapes need at least 8x8 pixels, got " + resolution,
                "use an image size of 8 or more (32 is the default)");
        if (channels != 1 && channels != 3) throw new DatasetException("shapes come in 1 or 3 channels, not "
                + channels, "ask for 1 (gray) or 3 (RGB) channels");
        this.size = size;
        this.resolution = resolution;
        this.channels = channels;
        this.seed = seed;
    }

    /** Shape colours: six saturated hues (red, orange, yellow, green, blue, purple). */
    private static final double[] PALETTE_HUES = {0.0, 0.08, 0.15, 0.33, 0.6, 0.78};
    /** The two plain backgrounds: a dark blue-gray and an off-white. */
    private static final float[] DARK_BG = hsv(0.62, 0.35, 0.14), LIGHT_BG = hsv(0.1, 0.06, 0.93);

    /**
     * The random choices behind image {@code index}; the first draw is the label. The scenes are deliberately
     * easy to learn, so that a small model trained for minutes on a CPU draws recognisable shapes: one large,
     * upright shape near the centre, in one of six colours, on a plain dark or light background.
     */
    ShapeScene scene(int index) {
        SplitMix64 rng = SplitMix64.of(seed, index);
        Shape shape = SHAPES[rng.nextInt(SHAPES.length)];
        double res = resolution;
        double r = res * rng.uniform(0.3, 0.38);
        double margin = r + res * 0.04;
        double cx = rng.uniform(margin, res - margin), cy = rng.uniform(margin, res - margin);
        // Dark backgrounds get bright shapes and light ones darker shapes, so every shape stands out.
        boolean darkBg = rng.nextBoolean();
        float[] bg = darkBg ? DARK_BG : LIGHT_BG;
        float[] fg = hsv(PALETTE_HUES[rng.nextInt(PALETTE_HUES.length)], 0.85, darkBg ? 0.95 : 0.62);
        return new ShapeScene(shape, cx, cy, r, 0, fg, bg, bg, 1, 0);
    }

    private static final String[] COLOUR_NAMES = {"red", "orange", "yellow", "green", "blue", "purple"};

    /** What image {@code index} shows, e.g. "a green triangle on a light background" (the same draws as {@link #scene}). */
    @Override
    public String caption(int index) {
        SplitMix64 rng = SplitMix64.of(seed, Objects.checkIndex(index, size));
        Shape shape = SHAPES[rng.nextInt(SHAPES.length)];
        rng.uniform(0.3, 0.38);
        rng.uniform(0, 1);
        rng.uniform(0, 1);
        boolean darkBg = rng.nextBoolean();
        String colour = COLOUR_NAMES[rng.nextInt(PALETTE_HUES.length)];
        return caption(shape, colour, darkBg);
    }

    public static String caption(Shape shape, String colour, boolean darkBackground) {
        return ("aeiou".indexOf(colour.charAt(0)) >= 0 ? "an " : "a ") + colour + " " + shape.name().toLowerCase(java.util.Locale.ROOT) + " on a " + (darkBackground ? "dark" : "light") + " background";
    }

    /** Hue wraps around; saturation and value in [0, 1]. */
    static float[] hsv(double h, double s, double v) {
        h = (h % 1 + 1) % 1 * 6;
        int sector = (int) h;
        double f = h - sector;
        double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
        double[] rgb = switch (sector) {
            case 0 -> new double[] {v, t, p};
            case 1 -> new double[] {q, v, p};
            case 2 -> new double[] {p, v, t};
            case 3 -> new double[] {p, q, v};
            case 4 -> new double[] {t, p, v};
            default -> new double[] {v, p, q};
        };
        return new float[] {(float) rgb[0], (float) rgb[1], (float) rgb[2]};
    }

    @Override
    public void load(int index, float[] dst, int dstOff) {
        ShapeScene s = scene(Objects.checkIndex(index, size));
        double[][] poly = s.vertices();
        int res = resolution, plane = res * res;
        double half = res / 2.0;
        float[] rgb = new float[3];
        // Every shape lies within 1.11 r of its centre; beyond that plus the AA pixel coverage is 0.
        double reach2 = Math.pow(1.15 * s.r() + 1, 2);
        for (int y = 0; y < res; y++) {
            for (int x = 0; x < res; x++) {
                double px = x + 0.5, py = y + 0.5;
                double t = Math.clamp(((px - half) * s.dx() + (py - half) * s.dy()) / res + 0.5, 0.0, 1.0);
                double ox = px - s.cx(), oy = py - s.cy();
                float a = ox * ox + oy * oy > reach2 ? 0f : (float) Sdf.coverage(s.distance(px, py, poly[0], poly[1]));
                for (int ch = 0; ch < 3; ch++) {
                    float bg = (float) (s.bg0()[ch] + t * (s.bg1()[ch] - s.bg0()[ch]));
                    rgb[ch] = bg + a * (s.fg()[ch] - bg);
                }
                int o = dstOff + y * res + x;
                if (channels == 1) {
                    dst[o] = 2f * Pixels.luma(rgb[0], rgb[1], rgb[2]) - 1f;
                } else {
                    for (int ch = 0; ch < 3; ch++) dst[o + ch * plane] = 2f * rgb[ch] - 1f;
                }
            }
        }
    }

    @Override
    public int label(int index) {
        return SplitMix64.of(seed, Objects.checkIndex(index, size)).nextInt(SHAPES.length);
    }

    @Override public int size() { return size; }

    @Override public int channels() { return channels; }

    @Override public int height() { return resolution; }

    @Override public int width() { return resolution; }

    @Override public int numClasses() { return SHAPES.length; }

    public long seed() { return seed; }

    @Override
    public String describe() {
        return "shapes (generated, seed " + seed + "): " + size + " images, " + channels + "x" + resolution
                + "x" + resolution + ", " + SHAPES.length + " classes (circle, square, triangle, cross, ring)";
    }
}
