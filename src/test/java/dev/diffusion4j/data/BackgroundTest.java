package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BackgroundTest {
    @AfterEach void reset() { Background.set(Background.WHITE); }

    @Test void parsesTheThreeForms() {
        assertArrayEquals(new float[] {1, 1, 1}, Background.parse("white"));
        assertArrayEquals(new float[] {0, 0, 0}, Background.parse("BLACK"));
        assertArrayEquals(new float[] {1f, 128 / 255f, 0f}, Background.parse("#ff8000"));
        assertThrows(IllegalArgumentException.class, () -> Background.parse("#ff80"));
        assertThrows(IllegalArgumentException.class, () -> Background.parse("grey"));
    }

    /** A pixel of red at alpha 64/255 over white, black and blue: c * a + bg * (1 - a) per channel. */
    @Test void transparentPixelsTakeTheBackground() {
        BufferedImage img = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, (64 << 24) | (255 << 16));
        float a = 64 / 255f;
        for (String bg : new String[] {"white", "black", "#0000ff"}) {
            Background.set(bg);
            float[] c = Background.parse(bg), row = new float[3];
            new ImageRows(img, 3).readRow(0, row);
            assertEquals(a + c[0] * (1 - a), row[0], 1e-6f, bg);
            assertEquals(c[1] * (1 - a), row[1], 1e-6f, bg);
            assertEquals(c[2] * (1 - a), row[2], 1e-6f, bg);
        }
    }
}
