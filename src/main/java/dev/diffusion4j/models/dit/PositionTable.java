package dev.diffusion4j.models.dit;

/**
 * The fixed 2-D sin-cos position table [g*g, D] of the DiT reference: for token (i, j) of the g x g grid (row-major),
 * the first D/2 columns encode the row i and the last D/2 the column j, each as [sin(pos w_k), cos(pos w_k)] with
 * w_k = 10000^(-k / (D/4)), k {@literal <} D/4. Computed in float64 like the reference's numpy code.
 */
public final class PositionTable {
    private PositionTable() {}

    public static double[] sinCos2d(int dim, int grid) { return sinCos2d(dim, grid, false, 1); }

    /**
     * The table with the column (columnFirst) or the row encoded in the first D/2 columns, at positions index / scale.
     * Column first is what the released DiT code's meshgrid and diffusers' PatchEmbed compute (diffusers recomputes it
     * and never saves it); interpolationScale is diffusers' (the positions are divided by it).
     */
    public static double[] sinCos2d(int dim, int grid, boolean columnFirst, double interpolationScale) {
        if (dim % 4 != 0) throw new IllegalArgumentException("2-D sin-cos positions need a width divisible by 4, got " + dim);
        int quarter = dim / 4, half = dim / 2;
        double[] out = new double[grid * grid * dim];
        for (int i = 0; i < grid; i++) {
            for (int j = 0; j < grid; j++) {
                int row = (i * grid + j) * dim;
                double a = (columnFirst ? j : i) / interpolationScale, b = (columnFirst ? i : j) / interpolationScale;
                for (int k = 0; k < quarter; k++) {
                    double w = 1.0 / Math.pow(10000, k / (double) quarter);
                    out[row + k] = Math.sin(a * w);
                    out[row + quarter + k] = Math.cos(a * w);
                    out[row + half + k] = Math.sin(b * w);
                    out[row + half + quarter + k] = Math.cos(b * w);
                }
            }
        }
        return out;
    }
}
