package dev.diffusion4j.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Fréchet distance, KID and precision/recall against numpy/scipy on the same arrays (bench/fid_reference.py). */
class MetricsReferenceTest {
    private static void assertRel(double expected, double actual) {
        assertEquals(expected, actual, 1e-6 * Math.abs(expected), () -> "expected " + expected + " got " + actual);
    }

    private static double fd(Features a, Features b) {
        return FrechetDistance.between(GaussianStats.of(a), GaussianStats.of(b));
    }

    @Test void frechetMatchesScipy() {
        assertRel(4.7520586347214397, fd(ReferenceFeatures.of(1, 200, 8, 0), ReferenceFeatures.of(2, 150, 8, 0.3)));
        assertRel(281.66440613908685, fd(ReferenceFeatures.of(5, 300, 64, 0), ReferenceFeatures.of(6, 250, 64, 0.05)));
    }

    @Test void singularCovarianceStaysRealAndWarns() {
        GaussianStats a = GaussianStats.of(ReferenceFeatures.of(7, 6, 8, 0)), b = GaussianStats.of(ReferenceFeatures.of(8, 5, 8, 0));
        assertRel(11.434161423574416, FrechetDistance.between(a, b));
        assertNotNull(a.singularWarning());
        assertNull(GaussianStats.of(ReferenceFeatures.of(1, 200, 8, 0)).singularWarning());
    }

    @Test void covarianceIsUnbiased() {
        Features f = Features.ofRows("test", new double[][] {{1, 2}, {3, 6}, {5, 1}});
        GaussianStats s = GaussianStats.of(f);
        assertEquals(3, s.mean()[0], 1e-15);
        assertEquals(4, s.covariance()[0], 1e-15);        // ((-2)^2 + 0 + 2^2) / (3-1)
        assertEquals(-1, s.covariance()[1], 1e-15);       // (-2*-1 + 0*3 + 2*-2) / 2
    }

    @Test void kidMatchesNumpyWhenTheSubsetIsTheWholeSet() {
        // A subset as large as the set is a permutation of it, and the unbiased MMD does not depend on order.
        var r = KernelDistance.between(ReferenceFeatures.of(1, 60, 8, 0), ReferenceFeatures.of(2, 60, 8, 0.2), 3, 1000, 0);
        assertRel(0.54022011358717803, r.mean());
        assertEquals(0, r.std(), 1e-12);
        assertEquals(60, r.subsetSize());
    }

    @Test void kidSubsetsSpreadAndCentreNearTheFullEstimate() {
        Features a = ReferenceFeatures.of(1, 400, 8, 0), b = ReferenceFeatures.of(2, 400, 8, 0.2);
        var full = KernelDistance.between(a, b, 1, 1000, 0);
        var sub = KernelDistance.between(a, b, 100, 100, 0);
        assertTrue(sub.std() > 0);
        assertEquals(full.mean(), sub.mean(), 4 * sub.std() / Math.sqrt(10), "subset mean " + sub.mean() + " vs full " + full.mean());
    }

    @Test void precisionRecallMatchNumpy() {
        var r = PrecisionRecall.between(ReferenceFeatures.of(3, 80, 4, 0), ReferenceFeatures.of(4, 70, 4, 0.5), 3);
        assertEquals(0.18571428571428572, r.precision(), 1e-15);
        assertEquals(0.3, r.recall(), 1e-15);
    }

    @Test void setAgainstItselfIsCloseAndShiftedIsFar() {
        Features all = ReferenceFeatures.of(11, 2000, 16, 0);
        Features h1 = all.slice(0, 1000), h2 = all.slice(1000, 2000);
        double same = fd(h1, h2);
        double[] shifted = h2.values().clone();
        for (int i = 0; i < shifted.length; i++) shifted[i] += 1.0;
        Features moved = new Features("test", 1000, 16, shifted);
        double far = fd(h1, moved);
        assertTrue(same < 0.5, "halves FD " + same);
        assertTrue(far > 15, "shifted FD " + far);   // the mean term alone is 16
        double kidSame = KernelDistance.between(h1, h2, 10, 500, 0).mean(), kidFar = KernelDistance.between(h1, moved, 10, 500, 0).mean();
        assertTrue(Math.abs(kidSame) < 0.01 * kidFar, "halves KID " + kidSame + ", shifted KID " + kidFar);
        var pr = PrecisionRecall.between(h1, h2, 3);
        assertTrue(pr.precision() > 0.8 && pr.recall() > 0.8, pr.toString());
    }

    @Test void differentNetworksDoNotCompare() {
        Features a = Features.ofRows("pixels-8x8", new double[][] {{1}, {2}, {3}, {4}});
        Features b = Features.ofRows("classifier:abc", new double[][] {{1}, {2}, {3}, {4}});
        var e = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.between(GaussianStats.of(a), GaussianStats.of(b)));
        assertTrue(e.getMessage().contains("pixels-8x8"));
    }
}
