package dev.diffusion4j.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Rows of a decoded {@link BufferedImage} as floats in [0, 1] with 1 (gray) or 3 (RGB) channels.
 * Transparent pixels are composited over the {@link Background} colour (white by default). Gray images are read from the raster directly:
 * {@code getRGB} would push them through Java's linear-gray colour space and brighten them.
 * 8-bit sRGB images (what PNG and JPEG decode to) are read from the raster too, which is
 * several times faster than {@code getRGB}; other kinds go through {@code getRGB}, except CMYK (JPEGs saved for
 * print): Java's CMYK colour space converts them far too bright, so they are converted here as PIL does,
 * R = (1 - C)(1 - K) and so on.
 */
final class ImageRows implements RowSource {
    private final BufferedImage image;
    private final int channels;
    private final boolean rawGray;
    private final boolean rawRgb;
    private final boolean cmyk;
    private final float cmykMax;
    private final int bands;
    private final int[] samples;
    private final float grayMax;
    private final int[] argb;
    private final int[] gray;
    private final int[] alpha;
    private final float[] bg = Background.current();
    private final float bgGray = bg[0] == bg[1] && bg[1] == bg[2] ? bg[0] : Pixels.luma(bg[0], bg[1], bg[2]);

    ImageRows(BufferedImage image, int channels) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        this.image = image;
        this.channels = channels;
        ColorModel cm = image.getColorModel();
        this.rawGray = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && !(cm instanceof IndexColorModel);
        int w = image.getWidth();
        this.rawRgb = !rawGray && cm.getColorSpace().isCS_sRGB() && !(cm instanceof IndexColorModel)
                && !cm.isAlphaPremultiplied() && eightBit(cm)
                && (cm.getNumComponents() == 3 || (cm.getNumComponents() == 4 && cm.hasAlpha()));
        this.cmyk = !rawGray && cm.getColorSpace().getType() == ColorSpace.TYPE_CMYK && !(cm instanceof IndexColorModel)
                && cm.getNumComponents() == 4 && !cm.hasAlpha();
        this.cmykMax = cmyk ? (float) ((1L << cm.getComponentSize(0)) - 1) : 1f;
        this.bands = cm.getNumComponents();
        this.samples = rawRgb || cmyk ? new int[w * bands] : null;
        if (rawGray) {
            this.grayMax = (float) ((1L << cm.getComponentSize(0)) - 1);
            this.gray = new int[w];
            this.alpha = cm.hasAlpha() ? new int[w] : null;
            this.argb = null;
        } else {
            this.grayMax = 1f;
            this.gray = null;
            this.alpha = null;
            this.argb = new int[w];
        }
    }

    private static boolean eightBit(ColorModel cm) {
        for (int size : cm.getComponentSize()) if (size != 8) return false;
        return true;
    }

    @Override public int width() { return image.getWidth(); }

    @Override public int height() { return image.getHeight(); }

    @Override public int channels() { return channels; }

    @Override
    public void readRow(int y, float[] dst) {
        int w = image.getWidth();
        if (rawGray) {
            Raster r = image.getRaster();
            r.getSamples(0, y, w, 1, 0, gray);
            if (alpha != null) r.getSamples(0, y, w, 1, 1, alpha);
            for (int x = 0; x < w; x++) {
                float v = gray[x] / grayMax;
                if (alpha != null) {
                    float a = alpha[x] / grayMax;
                    if (channels == 1) dst[x] = v * a + bgGray * (1f - a);
                    else put(dst, w, x, v * a + bg[0] * (1f - a), v * a + bg[1] * (1f - a), v * a + bg[2] * (1f - a));
                } else {
                    for (int ch = 0; ch < channels; ch++) dst[ch * w + x] = v;
                }
            }
            return;
        }
        if (rawRgb) {
            // Raster bands of sRGB component and packed models are ordered R, G, B[, A].
            image.getRaster().getPixels(0, y, w, 1, samples);
            for (int x = 0, i = 0; x < w; x++, i += bands) {
                float a = bands == 4 ? samples[i + 3] / 255f : 1f;
                put(dst, w, x, samples[i] / 255f * a + bg[0] * (1f - a), samples[i + 1] / 255f * a + bg[1] * (1f - a),
                        samples[i + 2] / 255f * a + bg[2] * (1f - a));
            }
            return;
        }
        if (cmyk) {
            image.getRaster().getPixels(0, y, w, 1, samples);
            for (int x = 0, i = 0; x < w; x++, i += 4) {
                float k = 1f - samples[i + 3] / cmykMax;
                put(dst, w, x, (1f - samples[i] / cmykMax) * k, (1f - samples[i + 1] / cmykMax) * k,
                        (1f - samples[i + 2] / cmykMax) * k);
            }
            return;
        }
        image.getRGB(0, y, w, 1, argb, 0, w);
        for (int x = 0; x < w; x++) {
            int p = argb[x];
            float a = (p >>> 24) / 255f;
            float r = ((p >> 16) & 0xff) / 255f * a + bg[0] * (1f - a);
            float g = ((p >> 8) & 0xff) / 255f * a + bg[1] * (1f - a);
            float b = (p & 0xff) / 255f * a + bg[2] * (1f - a);
            put(dst, w, x, r, g, b);
        }
    }

    private void put(float[] dst, int w, int x, float r, float g, float b) {
        if (channels == 1) {
            dst[x] = Pixels.luma(r, g, b);
        } else {
            dst[x] = r;
            dst[w + x] = g;
            dst[2 * w + x] = b;
        }
    }
}
