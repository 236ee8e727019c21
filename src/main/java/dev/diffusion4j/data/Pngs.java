package dev.diffusion4j.data;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;

/**
 * PNG output of float images in [-1, 1] (values outside are clamped, NaN shows black): sample
 * grids, single images and denoising strips, plus reading a PNG back into floats. Writes go to
 * a temporary file in the same folder and are renamed over the target, so a reader never sees
 * half a PNG and a crash never destroys the previous one.
 */
public final class Pngs {
    /** Pixels of black border around and between grid cells (torchvision's default). */
    public static final int PADDING = 2;

    private Pngs() {}

    /** A decoded image: CHW floats in [-1, 1]. */
    public record Image(float[] data, int c, int h, int w) {}

    /** Writes {@code n} NCHW images as a grid with {@code nrow} images per row and 2px padding. */
    public static void writeGrid(Path file, float[] nchw, int n, int c, int h, int w, int nrow) {
        writeGrid(file, nchw, n, c, h, w, nrow, 1);
    }

    /**
     * Writes {@code n} NCHW images as a grid with {@code nrow} images per row, each image enlarged {@code scale}
     * times by pixel repetition (nearest neighbour, so tiny images stay sharp and no pixel is invented), with 2px padding.
     */
    public static void writeGrid(Path file, float[] nchw, int n, int c, int h, int w, int nrow, int scale) {
        write(file, grid(nchw, n, c, h, w, nrow, scale));
    }

    /** Writes {@code n} images side by side in one row, e.g. the steps of a denoising chain. */
    public static void writeStrip(Path file, float[] nchw, int n, int c, int h, int w) {
        writeGrid(file, nchw, n, c, h, w, n);
    }

    /** Writes one CHW image starting at {@code off}, without padding. */
    public static void writeImage(Path file, float[] chw, int off, int c, int h, int w) {
        checkShape(chw, off, 1, c, h, w);
        BufferedImage img = newImage(c, w, h);
        paint(img.getRaster(), chw, off, c, h, w, 0, 0, 1);
        write(file, img);
    }

    /**
     * Reads a PNG (or JPEG, BMP...) as {@code channels} channels (1 gray, 3 RGB; 0 keeps gray
     * images gray and makes everything else RGB). Transparency is composited over white.
     */
    public static Image read(Path file, int channels) {
        Inputs.requireFile(file, "image file");
        ImageDecoder.Result r = ImageDecoder.decode(file);
        if (r.image() == null) {
            throw new DatasetException("image file " + file + " could not be decoded (" + r.failure().describe() + ")",
                    r.failure().fix());
        }
        BufferedImage img = r.image();
        int c = channels > 0 ? channels : (img.getColorModel().getNumColorComponents() == 1
                && !(img.getColorModel() instanceof java.awt.image.IndexColorModel) ? 1 : 3);
        int h = img.getHeight(), w = img.getWidth();
        HeapBudget.require(4L * c * h * w, "image file " + file + " (" + w + "x" + h + " as " + c + " float channels)");
        ImageRows rows = new ImageRows(img, c);
        float[] row = new float[c * w];
        float[] out = new float[c * h * w];
        for (int y = 0; y < h; y++) {
            rows.readRow(y, row);
            for (int ch = 0; ch < c; ch++) {
                for (int x = 0; x < w; x++) out[(ch * h + y) * w + x] = 2f * row[ch * w + x] - 1f;
            }
        }
        return new Image(out, c, h, w);
    }

    /** The grid as an image: rows of {@code nrow} cells, each cell framed by PADDING black pixels. */
    static BufferedImage grid(float[] nchw, int n, int c, int h, int w, int nrow) {
        return grid(nchw, n, c, h, w, nrow, 1);
    }

    /** The grid with every image pixel drawn as a scale x scale block. */
    static BufferedImage grid(float[] nchw, int n, int c, int h, int w, int nrow, int scale) {
        if (n <= 0 || nrow <= 0) throw new IllegalArgumentException("need n > 0 and nrow > 0: n=" + n + ", nrow=" + nrow);
        if (scale < 1) throw new IllegalArgumentException("grid scale must be >= 1, got " + scale);
        checkShape(nchw, 0, n, c, h, w);
        int cols = Math.min(nrow, n), rows = (n + cols - 1) / cols;
        int sh = h * scale, sw = w * scale;
        if ((long) cols * (sw + PADDING) * rows * (sh + PADDING) > Integer.MAX_VALUE / 4)
            throw new IllegalArgumentException("grid of " + n + " images of " + sh + "x" + sw + " is too large; use a smaller scale");
        BufferedImage img = newImage(c, cols * (sw + PADDING) + PADDING, rows * (sh + PADDING) + PADDING);
        for (int i = 0; i < n; i++) {
            int x0 = PADDING + (i % cols) * (sw + PADDING), y0 = PADDING + (i / cols) * (sh + PADDING);
            paint(img.getRaster(), nchw, i * c * h * w, c, h, w, x0, y0, scale);
        }
        return img;
    }

    private static BufferedImage newImage(int c, int w, int h) {
        return new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
    }

    /** Sets raster samples directly, so no colour-space conversion alters the values; each pixel becomes a scale x scale block. */
    private static void paint(WritableRaster r, float[] src, int off, int c, int h, int w, int x0, int y0, int scale) {
        int[] row = new int[w * scale];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                int base = off + (ch * h + y) * w;
                for (int x = 0; x < w; x++) java.util.Arrays.fill(row, x * scale, (x + 1) * scale, Pixels.signedToByte(src[base + x]));
                for (int k = 0; k < scale; k++) r.setSamples(x0, y0 + y * scale + k, w * scale, 1, ch, row);
            }
        }
    }

    private static void checkShape(float[] data, int off, int n, int c, int h, int w) {
        if (c != 1 && c != 3) throw new IllegalArgumentException("PNG output needs 1 or 3 channels, got " + c);
        if (h <= 0 || w <= 0) throw new IllegalArgumentException("empty image " + h + "x" + w);
        if (off < 0 || (long) off + (long) n * c * h * w > data.length) {
            throw new IllegalArgumentException("array of " + data.length + " floats is too short for "
                    + n + "x" + c + "x" + h + "x" + w + " at offset " + off);
        }
    }

    /** Atomic PNG write: temp file in the target folder, then rename over the target. */
    static void write(Path file, BufferedImage img) {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer available");
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write PNG " + abs + ": " + e.getMessage()
                    + "; check that the folder is writable and the disk not full", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: a stray .tmp file is harmless
                }
            }
        }
    }
}
