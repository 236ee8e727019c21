package dev.diffusion4j.metrics;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019). Each set's manifold is the union of balls around its
 * feature vectors with radius the distance to the k-th nearest other vector of the same set; precision is the share of
 * generated vectors inside the real manifold, recall the share of real vectors inside the generated one.
 */
public final class PrecisionRecall {
    public static final int DEFAULT_K = 3;

    public record Result(String network, double precision, double recall, int k) {}

    private PrecisionRecall() {}

    public static Result between(Features real, Features fake, int k) {
        real.checkComparable(fake);
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
        if (real.count() <= k || fake.count() <= k)
            throw new IllegalArgumentException("precision/recall with k=" + k + " needs more than " + k + " vectors in each set");
        double[] realRadii = kthNeighbourDistances(real, k), fakeRadii = kthNeighbourDistances(fake, k);
        return new Result(real.network(), coverage(real, realRadii, fake), coverage(fake, fakeRadii, real), k);
    }

    /** Share of {@code queries} within some ball of {@code centres} (squared distances compared, so no sqrt round-off). */
    static double coverage(Features centres, double[] radii2, Features queries) {
        long inside = IntStream.range(0, queries.count()).parallel().filter(q -> {
            for (int c = 0; c < centres.count(); c++) if (distance2(queries, q, centres, c) <= radii2[c]) return true;
            return false;
        }).count();
        return (double) inside / queries.count();
    }

    /** Squared distance of each vector to its k-th nearest other vector of the same set. */
    static double[] kthNeighbourDistances(Features f, int k) {
        double[] out = new double[f.count()];
        IntStream.range(0, f.count()).parallel().forEach(i -> {
            double[] d = new double[f.count() - 1];
            int n = 0;
            for (int j = 0; j < f.count(); j++) if (j != i) d[n++] = distance2(f, i, f, j);
            Arrays.sort(d);
            out[i] = d[k - 1];
        });
        return out;
    }

    static double distance2(Features a, int i, Features b, int j) {
        int d = a.dim();
        double[] av = a.values(), bv = b.values();
        double s = 0;
        for (int t = 0; t < d; t++) {
            double x = av[i * d + t] - bv[j * d + t];
            s += x * x;
        }
        return s;
    }
}
