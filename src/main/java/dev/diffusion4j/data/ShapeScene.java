package dev.diffusion4j.data;

/**
 * What one generated image shows, in pixel units: a shape of one colour at (cx, cy) with
 * "radius" r and rotation angle, over a background that blends bg0 into bg1 along (dx, dy).
 */
record ShapeScene(ShapesDataset.Shape shape, double cx, double cy, double r, double angle,
                  float[] fg, float[] bg0, float[] bg1, double dx, double dy) {

    /** Signed distance from pixel centre (px, py) to the shape's edge. */
    double distance(double px, double py, double[] xs, double[] ys) {
        return switch (shape) {
            case CIRCLE -> Sdf.circle(px, py, cx, cy, 0.9 * r);
            case RING -> Sdf.ring(px, py, cx, cy, 0.76 * r, 0.36 * r);
            default -> Sdf.polygon(px, py, xs, ys);
        };
    }

    /** Polygon vertices in pixels (unused for round shapes). */
    double[][] vertices() {
        double[][] unit = switch (shape) {
            case SQUARE -> new double[][] {{-0.78, 0.78, 0.78, -0.78}, {-0.78, -0.78, 0.78, 0.78}};
            case TRIANGLE -> triangle();
            case CROSS -> cross(0.3, 0.95);
            default -> new double[][] {{}, {}};
        };
        double c = Math.cos(angle), s = Math.sin(angle);
        int n = unit[0].length;
        double[] xs = new double[n], ys = new double[n];
        for (int i = 0; i < n; i++) {
            double ux = unit[0][i] * r, uy = unit[1][i] * r;
            xs[i] = cx + c * ux - s * uy;
            ys[i] = cy + s * ux + c * uy;
        }
        return new double[][] {xs, ys};
    }

    /** Equilateral, pointing up, centroid at the centre; a little larger so it looks as big as the others. */
    private static double[][] triangle() {
        double[] xs = new double[3], ys = new double[3];
        for (int i = 0; i < 3; i++) {
            double a = -Math.PI / 2 + i * 2 * Math.PI / 3;
            xs[i] = 1.08 * Math.cos(a);
            ys[i] = 1.08 * Math.sin(a);
        }
        return new double[][] {xs, ys};
    }

    /** A plus sign of arm half-width a and arm length l, as a 12-gon. */
    private static double[][] cross(double a, double l) {
        return new double[][] {
            {a, a, l, l, a, a, -a, -a, -l, -l, -a, -a},
            {-l, -a, -a, a, a, l, l, a, a, -a, -a, -l}};
    }
}
