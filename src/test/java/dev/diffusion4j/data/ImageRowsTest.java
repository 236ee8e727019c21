package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.util.Random;
import org.junit.jupiter.api.Test;

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
}
