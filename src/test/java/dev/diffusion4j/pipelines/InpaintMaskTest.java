package dev.diffusion4j.pipelines;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class InpaintMaskTest {
    @Test
    void whiteRegeneratesByDefaultAndTheCutAndGreyShareAreAsDocumented() {
        float[] b = {0f, 0.05f, 0.3f, 0.5f, 0.7f, 0.95f, 1f, 0.49f};
        InpaintMask m = InpaintMask.threshold(b, 2, 4, 0.5, false);
        assertArrayEquals(new float[] {1, 1, 1, 0, 0, 0, 0, 1}, m.keep());
        assertEquals(4 / 8.0, m.greyFraction(), 1e-12);        // 0.3, 0.5, 0.7, 0.49
        assertEquals(4 / 8.0, m.regenerateFraction(), 1e-12);
        InpaintMask inv = InpaintMask.threshold(b, 2, 4, 0.5, true);
        assertArrayEquals(new float[] {0, 0, 0, 1, 1, 1, 1, 0}, inv.keep());
        assertArrayEquals(new float[] {1, 1, 0, 0, 0, 0, 0, 0}, InpaintMask.threshold(b, 2, 4, 0.25, false).keep());
        assertArrayEquals(new int[] {1, 1, 2, 4}, m.tensor().shape());
        assertThrows(IllegalArgumentException.class, () -> InpaintMask.threshold(b, 2, 4, 1.0, false));
        assertThrows(IllegalArgumentException.class, () -> InpaintMask.threshold(b, 3, 3, 0.5, false));
    }
}
