package dev.diffusion4j.data;

/**
 * Signed distances (negative inside) to simple shapes, in pixels. Coverage of a pixel is then
 * {@code clamp(0.5 - d, 0, 1)}: crisp edges with one pixel of anti-aliasing at any resolution.
 */
final class Sdf {
    private Sdf() {}

    static double circle(double px, double py, double cx, double cy, double r) {
        return len(px - cx, py - cy) - r;
    }

    /** A ring of mid radius {@code r} and full thickness {@code t}. */
    static double ring(double px, double py, double cx, double cy, double r, double t) {
        return Math.abs(len(px - cx, py - cy) - r) - t / 2;
    }

    /** Any simple polygon ({@code xs, ys} in order): distance to the nearest edge, signed by even-odd. */
    static double polygon(double px, double py, double[] xs, double[] ys) {
        double best = Double.MAX_VALUE;
        boolean inside = false;
        int n = xs.length;
        for (int i = 0, j = n - 1; i < n; j = i++) {
            double ax = xs[j], ay = ys[j], bx = xs[i], by = ys[i];
            double ex = bx - ax, ey = by - ay;
            double t = Math.clamp(((px - ax) * ex + (py - ay) * ey) / (ex * ex + ey * ey), 0.0, 1.0);
            double qx = px - ax - t * ex, qy = py - ay - t * ey;
            best = Math.min(best, qx * qx + qy * qy);
            if ((ay > py) != (by > py) && px < ax + (py - ay) * ex / ey) inside = !inside;
        }
        double d = Math.sqrt(best);
        return inside ? -d : d;
    }

    /** Plain sqrt: Math.hypot guards against overflow we cannot have here and is several times slower. */
    private static double len(double x, double y) {
        return Math.sqrt(x * x + y * y);
    }

    static double coverage(double d) {
        return Math.clamp(0.5 - d, 0.0, 1.0);
    }
}
