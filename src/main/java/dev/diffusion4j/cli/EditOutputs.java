package dev.diffusion4j.cli;

import dev.diffusion4j.data.Pngs;
import dev.diffusion4j.engine.Tensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes an edit's results into the output folder: each result as {@code <input name>-<kind>.png} and one
 * {@code <kind>-side-by-side.png} with a row per input (input | mask | result, or input | latent | reconstruction).
 */
final class EditOutputs {
    private EditOutputs() {}

    /** The file name without its extension: results are named after their input. */
    static String stem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** Writes every image of {@code results} [N, C, H, W] as {@code <stem>-<kind>.png}, in the order of {@code pics}. */
    static void writeEach(Path dir, String kind, List<EditInputs.Picture> pics, Tensor results, PrintWriter out) {
        float[] data = results.toFloatArray();
        int[] s = results.shape();
        int per = s[1] * s[2] * s[3];
        for (int i = 0; i < s[0]; i++) Pngs.writeImage(dir.resolve(pics.get(i).stem() + "-" + kind + ".png"), data, i * per, s[1], s[2], s[3]);
        out.println(kind + ": " + dir.toAbsolutePath().resolve(pics.get(0).stem() + "-" + kind + ".png")
                + (s[0] > 1 ? " and " + (s[0] - 1) + " more" : ""));
    }

    /**
     * One row per image: columns[k] is an [N, C, H, W] tensor (or [1, C, H, W], repeated on every row, e.g. the mask),
     * all in [-1, 1]. Cells are enlarged {@code scale} times (0: until at least 64 pixels).
     */
    static Path writeSideBySide(Path dir, String kind, int scale, PrintWriter out, String legend, Tensor... columns) {
        int n = columns[0].shape(0), c = columns[0].shape(1), h = columns[0].shape(2), w = columns[0].shape(3);
        int cells = columns.length, per = c * h * w;
        float[][] col = new float[cells][];
        for (int k = 0; k < cells; k++) col[k] = columns[k].toFloatArray();
        float[] grid = new float[n * cells * per];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < cells; k++)
                System.arraycopy(col[k], columns[k].shape(0) == 1 ? 0 : i * per, grid, (i * cells + k) * per, per);
        int s = scale > 0 ? scale : Math.max(1, (64 + Math.max(h, w) - 1) / Math.max(h, w));
        Path file = dir.resolve(kind + "-side-by-side.png");
        Pngs.writeGrid(file, grid, n * cells, c, h, w, cells, s);
        out.println("side by side: " + file.toAbsolutePath() + " (" + legend + ")");
        return file;
    }
}
