package dev.diffusion4j.train;

import dev.diffusion4j.data.Pngs;
import dev.diffusion4j.engine.Tensor;
import java.nio.file.Path;

/** Writes image tensors [N, C, H, W] in [-1, 1] as PNG grids (about square) and strips. */
public final class SampleImages {
    private SampleImages() {}

    public static void writeGrid(Path png, Tensor images) {
        int[] s = images.shape();
        writeGrid(png, images, (int) Math.ceil(Math.sqrt(s[0])), 1);
    }

    /** A grid of {@code nrow} images per row, each enlarged {@code scale} times (nearest neighbour). */
    public static void writeGrid(Path png, Tensor images, int nrow, int scale) {
        int[] s = images.shape();
        Pngs.writeGrid(png, images.toFloatArray(), s[0], s[1], s[2], s[3], nrow, scale);
    }

    /** The images side by side in one row, each enlarged {@code scale} times like a grid's cells. */
    public static void writeStrip(Path png, Tensor images, int scale) {
        int[] s = images.shape();
        Pngs.writeGrid(png, images.toFloatArray(), s[0], s[1], s[2], s[3], s[0], scale);
    }
}
