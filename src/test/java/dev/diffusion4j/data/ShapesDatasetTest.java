package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ShapesDatasetTest {
    private static float[] load(ImageDataset ds, int i) {
        float[] x = new float[ds.imageLength()];
        ds.load(i, x, 0);
        return x;
    }

    @Test
    void sameSeedAndIndexGiveSameImageWhateverTheOrder() {
        ShapesDataset a = new ShapesDataset(1000, 32, 3, 7), b = new ShapesDataset(1000, 32, 3, 7);
        float[] late = load(b, 999);
        for (int i = 0; i < 20; i++) {
            assertArrayEquals(load(a, i), load(b, i));
            assertEquals(a.label(i), b.label(i));
        }
        assertArrayEquals(load(a, 999), late);
        assertFalse(Arrays.equals(load(a, 0), load(a, 1)));
        assertFalse(Arrays.equals(load(a, 0), load(new ShapesDataset(1000, 32, 3, 8), 0)));
    }

    @Test
    void valuesInRangeWithShapeAndBackground() {
        ShapesDataset ds = new ShapesDataset(200, 32, 3, 1);
        for (int i = 0; i < 200; i++) {
            float[] x = load(ds, i);
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (float v : x) {
                assertTrue(v >= -1f && v <= 1f, "value " + v);
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            assertTrue(max - min > 0.3f, "image " + i + " has too little contrast: " + (max - min));
        }
    }

    @Test
    void shapeCoversAPlausibleAreaWithAntiAliasedEdges() {
        ShapesDataset ds = new ShapesDataset(300, 32, 3, 2);
        for (int i = 0; i < 300; i++) {
            ShapeScene s = ds.scene(i);
            double[][] poly = s.vertices();
            int inside = 0, edge = 0;
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    double a = Sdf.coverage(s.distance(x + 0.5, y + 0.5, poly[0], poly[1]));
                    if (a == 1) inside++;
                    else if (a > 0) edge++;
                }
            }
            assertTrue(inside >= 12 && inside < 32 * 32 / 2, s.shape() + " covers " + inside + " pixels");
            assertTrue(edge >= 8, s.shape() + " has only " + edge + " partly covered pixels");
        }
    }

    @Test
    void cutOffRadiusNeverClipsAShape() {
        // load() skips the distance function beyond 1.15 r + 1 from the centre: check it is exact.
        ShapesDataset ds = new ShapesDataset(2000, 24, 3, 3);
        for (int i = 0; i < 2000; i++) {
            ShapeScene s = ds.scene(i);
            double[][] poly = s.vertices();
            double reach = 1.15 * s.r() + 1;
            for (int y = 0; y < 24; y++) {
                for (int x = 0; x < 24; x++) {
                    double px = x + 0.5, py = y + 0.5;
                    if (Math.hypot(px - s.cx(), py - s.cy()) > reach) {
                        assertEquals(0.0, Sdf.coverage(s.distance(px, py, poly[0], poly[1])), s.shape() + " at " + x + "," + y);
                    }
                }
            }
        }
    }

    @Test
    void uprightShapesInSixColoursOnTwoPlainBackgrounds() {
        // what the README promises of the demo data, which keeps it learnable in minutes
        ShapesDataset ds = new ShapesDataset(500, 16, 3, 6);
        java.util.Set<String> backgrounds = new java.util.HashSet<>(), colours = new java.util.HashSet<>();
        for (int i = 0; i < 500; i++) {
            ShapeScene s = ds.scene(i);
            assertEquals(0.0, s.angle());
            assertArrayEquals(s.bg0(), s.bg1(), "plain background");
            assertTrue(s.r() >= 0.3 * 16 && s.r() <= 0.38 * 16, "radius " + s.r());
            backgrounds.add(Arrays.toString(s.bg0()));
            colours.add(Arrays.toString(s.fg()));
            float[] x = load(ds, i);
            for (int ch = 0; ch < 3; ch++) {
                for (int corner : new int[] {0, 15, 16 * 15, 16 * 16 - 1})
                    assertEquals(2f * s.bg0()[ch] - 1f, x[ch * 256 + corner], 1e-6f, "corners show the background");
            }
        }
        assertEquals(2, backgrounds.size());
        assertEquals(12, colours.size(), "six hues, brighter on dark backgrounds and darker on light ones");
    }

    @Test
    void labelsAreTheShapeTypeAndRoughlyBalanced() {
        ShapesDataset ds = new ShapesDataset(5000, 16, 3, 4);
        int[] count = new int[ds.numClasses()];
        for (int i = 0; i < 5000; i++) {
            assertEquals(ds.scene(i).shape().ordinal(), ds.label(i));
            count[ds.label(i)]++;
        }
        for (int c : count) assertTrue(c > 850 && c < 1150, Arrays.toString(count));
    }

    @Test
    void grayIsTheLumaOfColour() {
        ShapesDataset rgb = new ShapesDataset(10, 16, 3, 5), gray = new ShapesDataset(10, 16, 1, 5);
        float[] c = load(rgb, 3), g = load(gray, 3);
        for (int p = 0; p < 256; p++) {
            float expected = 0.299f * c[p] + 0.587f * c[256 + p] + 0.114f * c[512 + p];
            assertEquals(expected, g[p], 1e-5f);
        }
    }

    @Test
    void anyResolutionAndBadArgumentsExplained() {
        ShapesDataset big = new ShapesDataset(3, 64, 3, 0);
        assertEquals(64, big.height());
        assertEquals(3 * 64 * 64, load(big, 2).length);
        assertTrue(assertThrows(DatasetException.class, () -> new ShapesDataset(10, 4, 3, 0)).getMessage().contains("at least 8x8"));
        assertThrows(IndexOutOfBoundsException.class, () -> big.load(3, new float[3 * 64 * 64], 0));
    }
}
