package dev.diffusion4j.metrics;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Fréchet distance between two Gaussians fitted to feature sets (FID when the features are Inception's):
 * {@code |mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 Tr sqrt(S1 S2)}.
 *
 * <p>{@code Tr sqrt(S1 S2)} is computed as {@code sum sqrt(eig(A S2 A))} with {@code A = S1^(1/2)}: A S2 A is symmetric
 * positive semi-definite and similar to S1 S2's square root's square, so only a symmetric eigendecomposition is needed
 * and nothing is ever complex. Tiny negative eigenvalues (round-off of a singular covariance) are clamped to zero.
 */
public final class FrechetDistance {
    private FrechetDistance() {}

    public static double between(GaussianStats a, GaussianStats b) {
        if (!a.network().equals(b.network()) || a.dim() != b.dim())
            throw new IllegalArgumentException("cannot compare statistics of " + a.network() + " (" + a.dim() + "-d) with "
                    + b.network() + " (" + b.dim() + "-d): use one feature network for both sets");
        int d = a.dim();
        double meanTerm = 0;
        for (int j = 0; j < d; j++) {
            double t = a.mean()[j] - b.mean()[j];
            meanTerm += t * t;
        }
        DMatrixRMaj s1 = DMatrixRMaj.wrap(d, d, a.covariance().clone());
        DMatrixRMaj s2 = DMatrixRMaj.wrap(d, d, b.covariance().clone());
        DMatrixRMaj root1 = sqrtPsd(s1);
        DMatrixRMaj tmp = new DMatrixRMaj(d, d), m = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(root1, s2, tmp);
        CommonOps_DDRM.mult(tmp, root1, m);
        symmetrise(m);
        double traceSqrt = 0;
        for (double e : eigenvalues(m)) traceSqrt += Math.sqrt(Math.max(e, 0));
        return meanTerm + CommonOps_DDRM.trace(s1) + CommonOps_DDRM.trace(s2) - 2 * traceSqrt;
    }

    /** The symmetric square root V diag(sqrt(max(l, 0))) V^T of a symmetric positive semi-definite matrix. */
    static DMatrixRMaj sqrtPsd(DMatrixRMaj s) {
        int d = s.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = decompose(s);
        DMatrixRMaj scaled = new DMatrixRMaj(d, d), v = new DMatrixRMaj(d, d);
        for (int k = 0; k < d; k++) {
            DMatrixRMaj vk = eig.getEigenVector(k);
            double r = Math.sqrt(Math.max(eig.getEigenvalue(k).real, 0));
            for (int i = 0; i < d; i++) {
                v.set(i, k, vk.get(i));
                scaled.set(i, k, vk.get(i) * r);
            }
        }
        DMatrixRMaj out = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransB(scaled, v, out);
        symmetrise(out);
        return out;
    }

    static double[] eigenvalues(DMatrixRMaj s) {
        EigenDecomposition_F64<DMatrixRMaj> eig = decompose(s);
        double[] out = new double[s.numRows];
        for (int k = 0; k < out.length; k++) out[k] = eig.getEigenvalue(k).real;
        return out;
    }

    private static EigenDecomposition_F64<DMatrixRMaj> decompose(DMatrixRMaj s) {
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(s.numRows, true, true);
        if (!eig.decompose(s.copy())) throw new ArithmeticException("the symmetric eigendecomposition of a covariance did not converge");
        return eig;
    }

    /** Averages M and M^T so round-off does not break the symmetry the eigen solver relies on. */
    private static void symmetrise(DMatrixRMaj m) {
        int d = m.numRows;
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++) {
                double v = 0.5 * (m.get(i, j) + m.get(j, i));
                m.set(i, j, v);
                m.set(j, i, v);
            }
    }
}
