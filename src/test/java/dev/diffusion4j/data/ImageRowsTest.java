package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageRowsTest {
    /** The reference: getRGB, then alpha over white, as floats in [0, 1]. */
    private static float expected(BufferedImage img, int x, int y, int ch) {
        int p = img.getRGB(x, y);
        float a = (p >>> 24) / 255f;
        return ((p >> (16 - 8 * ch)) & 0xff) / 255f * a + (1f - a);
    }

    private static void assertMatchesGetRgb(BufferedImage img, float tol) {
        int w = img.getWidth();
        ImageRows rows = new ImageRows(img, 3);
        float[] row = new float[3 * w];
        for (int y = 0; y < img.getHeight(); y++) {
            rows.readRow(y, row);
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < 3; ch++) assertEquals(expected(img, x, y, ch), row[ch * w + x], tol, "type " + img.getType());
            }
        }
    }

    private static BufferedImage random(int type, long seed) {
        BufferedImage img = new BufferedImage(7, 5, type);
        Random r = new Random(seed);
        for (int y = 0; y < 5; y++) for (int x = 0; x < 7; x++) img.setRGB(x, y, r.nextInt());
        return img;
    }

    @Test
    void rasterFastPathAgreesWithGetRgbForEveryCommonType() {
        assertMatchesGetRgb(random(BufferedImage.TYPE_INT_RGB, 1), 1e-6f);
        assertMatchesGetRgb(random(BufferedImage.TYPE_INT_BGR, 2), 1e-6f);
        assertMatchesGetRgb(random(BufferedImage.TYPE_3BYTE_BGR, 3), 1e-6f);
        assertMatchesGetRgb(random(BufferedImage.TYPE_INT_ARGB, 4), 1e-6f);
        assertMatchesGetRgb(random(BufferedImage.TYPE_4BYTE_ABGR, 5), 1e-6f);
        // premultiplied and palette images take the getRGB path; premultiplying rounds a little
        assertMatchesGetRgb(random(BufferedImage.TYPE_INT_ARGB_PRE, 6), 1e-6f);
        assertMatchesGetRgb(random(BufferedImage.TYPE_BYTE_INDEXED, 7), 1e-6f);
    }

    @Test
    void halfTransparentRedOverWhiteIsPink() {
        BufferedImage img = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x80FF0000);
        float[] row = new float[3];
        new ImageRows(img, 3).readRow(0, row);
        float a = 128 / 255f;
        assertEquals(1f, row[0], 1e-6f);
        assertEquals(1f - a, row[1], 1e-6f);
        assertEquals(1f - a, row[2], 1e-6f);
    }

    /**
     * A CMYK JPEG as Photoshop and PIL save it: an Adobe APP14 segment (transform 0) and inverted samples.
     * Left 8x8 block C=1 M=1 Y=0.5 K=0 (RGB 0, 0, 127.5), right block K=0.5 only (mid grey).
     */
    private static byte[] adobeCmykJpeg() throws IOException {
        WritableRaster r = Raster.createBandedRaster(DataBuffer.TYPE_BYTE, 16, 8, 4, null);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 16; x++) {
                int[] cmyk = x < 8 ? new int[] {255, 255, 128, 0} : new int[] {0, 0, 0, 128};
                for (int b = 0; b < 4; b++) r.setSample(x, y, b, 255 - cmyk[b]);
            }
        }
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam p = w.getDefaultWriteParam();
        p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        p.setCompressionQuality(1f);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            w.setOutput(out);
            w.write(null, new IIOImage(r, null, null), p);
        } finally {
            w.dispose();
        }
        byte[] jpeg = bytes.toByteArray();
        byte[] app14 = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2); // SOI, then the Adobe segment
        out.write(app14);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    @Test
    void cmykJpegConvertsLikePil(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("print.jpg"), adobeCmykJpeg());
        ImageDecoder.Result decoded = ImageDecoder.decode(file);
        assertEquals(null, decoded.failure());
        float[] rgb = new float[3 * 16];
        new ImageRows(decoded.image(), 3).readRow(4, rgb);
        float tol = 3 / 255f;
        assertEquals(0f, rgb[2], tol);           // left block: R
        assertEquals(0f, rgb[16 + 2], tol);      // G
        assertEquals(127 / 255f, rgb[32 + 2], tol); // B
        for (int ch = 0; ch < 3; ch++) assertEquals(127 / 255f, rgb[ch * 16 + 12], tol, "grey block, channel " + ch);
        float[] gray = new float[16];
        new ImageRows(decoded.image(), 1).readRow(4, gray);
        assertEquals(Pixels.luma(0f, 0f, 127 / 255f), gray[2], tol);
    }
}
