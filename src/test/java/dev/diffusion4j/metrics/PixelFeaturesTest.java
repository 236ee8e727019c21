package dev.diffusion4j.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

class PixelFeaturesTest {
    @Test void integerFactorIsTheBlockMean() {
        float[] img = new float[16];
        for (int i = 0; i < 16; i++) img[i] = i;
        float[] f = new PixelFeatures(2, 1).features(Tensor.of(img, 1, 1, 4, 4));
        assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f}, f, 1e-6f);
    }

    @Test void fractionalCellsShareBoundaryPixels() {
        // 3 pixels into 2 cells: cell 0 = p0 + p1/2 over 1.5, cell 1 = p1/2 + p2 over 1.5
        float[] f = new PixelFeatures(2, 1).features(Tensor.of(new float[] {3, 6, 9, 3, 6, 9, 3, 6, 9}, 1, 1, 3, 3));
        assertEquals((3 + 3) / 1.5, f[0], 1e-5);
        assertEquals((3 + 9) / 1.5, f[1], 1e-5);
    }

    @Test void weightsOfEachCellSumToOne() {
        double[] w = new double[8 * 28];
        PixelFeatures.areaWeights(28, 8, w);
        for (int o = 0; o < 8; o++) {
            double s = 0;
            for (int i = 0; i < 28; i++) s += w[o * 28 + i];
            assertEquals(1, s, 1e-12);
        }
    }

    @Test void channelsAndNameAreKept() {
        PixelFeatures p = new PixelFeatures(8, 3);
        assertEquals(192, p.dim());
        assertEquals("pixels-8x8", p.name());
        assertEquals(192 * 2, p.features(Tensor.zeros(2, 3, 16, 16)).length);
        assertThrows(IllegalArgumentException.class, () -> p.features(Tensor.zeros(2, 1, 16, 16)));
    }
}
