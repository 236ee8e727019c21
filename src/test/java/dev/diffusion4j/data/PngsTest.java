package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngsTest {
    @TempDir Path dir;

    /** n images of c x h x w whose values are exact 8-bit levels, all different. */
    private static float[] levels(int n, int c, int h, int w) {
        float[] x = new float[n * c * h * w];
        for (int i = 0; i < x.length; i++) x[i] = ((i * 7 + 20) % 236 + 10) / 127.5f - 1f;
        return x;
    }

    @Test
    void gridRoundTripPutsEachImageInItsCell() {
        int n = 5, c = 3, h = 4, w = 6, nrow = 2;
        float[] x = levels(n, c, h, w);
        Path f = dir.resolve("out/grid.png");
        Pngs.writeGrid(f, x, n, c, h, w, nrow);
        Pngs.Image g = Pngs.read(f, 3);
        assertEquals(2 * (w + 2) + 2, g.w());
        assertEquals(3 * (h + 2) + 2, g.h());
        for (int i = 0; i < n; i++) {
            int x0 = 2 + (i % nrow) * (w + 2), y0 = 2 + (i / nrow) * (h + 2);
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int xx = 0; xx < w; xx++) {
                        float expected = x[((i * c + ch) * h + y) * w + xx];
                        assertEquals(expected, g.data()[(ch * g.h() + y0 + y) * g.w() + x0 + xx], 1e-5f);
                    }
                }
            }
        }
        // padding and the empty sixth cell are black
        assertEquals(-1f, g.data()[0]);
        assertEquals(-1f, g.data()[(g.h() - 3) * g.w() + g.w() - 3]);
    }

    @Test
    void scaledGridRepeatsEachPixelAsABlockAndKeepsThePadding() {
        int n = 3, c = 3, h = 2, w = 3, nrow = 2, k = 4;
        float[] x = levels(n, c, h, w);
        Path f = dir.resolve("scaled.png");
        Pngs.writeGrid(f, x, n, c, h, w, nrow, k);
        Pngs.Image g = Pngs.read(f, 3);
        assertEquals(2 * (k * w + 2) + 2, g.w());
        assertEquals(2 * (k * h + 2) + 2, g.h());
        for (int i = 0; i < n; i++) {
            int x0 = 2 + (i % nrow) * (k * w + 2), y0 = 2 + (i / nrow) * (k * h + 2);
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < k * h; y++) {
                    for (int xx = 0; xx < k * w; xx++) {
                        float expected = x[((i * c + ch) * h + y / k) * w + xx / k];
                        assertEquals(expected, g.data()[(ch * g.h() + y0 + y) * g.w() + x0 + xx], 1e-5f, "image " + i + " at " + xx + "," + y);
                    }
                }
            }
        }
        assertEquals(-1f, g.data()[2 * g.w() + 2 + k * w]);        // the 2px gap between the first two cells
        assertThrows(IllegalArgumentException.class, () -> Pngs.writeGrid(f, x, n, c, h, w, nrow, 0));
    }

    @Test
    void grayImageRoundTripIsExactAndOutOfRangeIsClamped() {
        float[] x = levels(1, 1, 3, 5);
        x[0] = 5f;
        x[1] = -7f;
        x[2] = Float.NaN;
        Path f = dir.resolve("one.png");
        Pngs.writeImage(f, x, 0, 1, 3, 5);
        Pngs.Image back = Pngs.read(f, 0);
        assertEquals(1, back.c());
        x[0] = 1f;
        x[1] = -1f;
        x[2] = -1f;
        assertArrayEquals(x, back.data(), 1e-5f);
    }

    @Test
    void writesImageAtAnOffsetAndStripsInOneRow() {
        float[] x = levels(4, 3, 2, 2);
        Pngs.writeImage(dir.resolve("third.png"), x, 2 * 12, 3, 2, 2);
        assertArrayEquals(java.util.Arrays.copyOfRange(x, 24, 36), Pngs.read(dir.resolve("third.png"), 3).data(), 1e-5f);
        Pngs.writeStrip(dir.resolve("strip.png"), x, 4, 3, 2, 2);
        Pngs.Image s = Pngs.read(dir.resolve("strip.png"), 3);
        assertEquals(4 * 4 + 2, s.w());
        assertEquals(6, s.h());
    }

    @Test
    void overwriteIsAtomicAndLeavesNoTemporaryFiles() throws IOException {
        Path f = dir.resolve("g.png");
        Pngs.writeGrid(f, levels(2, 1, 2, 2), 2, 1, 2, 2, 2);
        float[] second = new float[8];
        Pngs.writeGrid(f, second, 2, 1, 2, 2, 2);
        assertEquals(0f, Pngs.read(f, 1).data()[2 * 10 + 2], 1f / 127.5f); // 0 is written as level 128
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void readingSomethingElseIsAClearError() throws IOException {
        Path f = TestFiles.bytes(dir.resolve("x.png"), "no".getBytes());
        DatasetException e = assertThrows(DatasetException.class, () -> Pngs.read(f, 3));
        assertTrue(e.getMessage().contains("x.png") && e.getMessage().contains("could not be decoded"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Pngs.writeGrid(f, new float[10], 1, 2, 2, 2, 1));
    }
}
