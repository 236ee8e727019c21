package dev.diffusion4j.engine.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** Vector API bodies of {@link FloatKernels}; only loaded when the incubator module is present. */
final class FloatKernelsSimd {
    private FloatKernelsSimd() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Double lanes for the sums, and the float species that converts into exactly one such vector. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> H = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final int HL = H.length();
    /** Vector iterations summed in float lanes before folding into the double total (bounds the float rounding). */
    private static final int FOLD = 8;

    static boolean selfTest() {
        float[] x = new float[2 * L], y = new float[2 * L];
        double s = expShift(x, 0, y, 0, x.length, 0f);
        return Math.abs(s - x.length) < 1e-3 && y[0] == 1f;
    }

    static void affineSilu(float[] x, int xo, float[] y, int yo, int n, float a, float b) {
        FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b), one = FloatVector.broadcast(S, 1f);
        int i = 0, ub = S.loopBound(n);
        for (; i < ub; i += L) {
            FloatVector z = FloatVector.fromArray(S, x, xo + i).fma(va, vb);
            FloatVector e = VecMath.exp(z.neg());
            z.div(e.add(one)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            float z = x[xo + i] * a + b;
            y[yo + i] = z / (1f + (float) Math.exp(-z));
        }
    }

    static double expShift(float[] x, int xo, float[] y, int yo, int n, float shift) {
        FloatVector vs = FloatVector.broadcast(S, shift), acc = FloatVector.zero(S);
        double total = 0;
        int i = 0, ub = S.loopBound(n), k = 0;
        for (; i < ub; i += L) {
            FloatVector e = VecMath.exp(FloatVector.fromArray(S, x, xo + i).sub(vs));
            e.intoArray(y, yo + i);
            acc = acc.add(e);
            if (++k == FOLD) { total += VecMath.sum(acc); acc = FloatVector.zero(S); k = 0; }
        }
        total += VecMath.sum(acc);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[xo + i] - shift);
            y[yo + i] = e;
            total += e;
        }
        return total;
    }

    static void logSoftmaxGrad(float[] y, int yo, float[] gy, int go, float[] dx, int dxo, int n, float s) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0, ub = S.loopBound(n);
        for (; i < ub; i += L) {
            FloatVector e = VecMath.exp(FloatVector.fromArray(S, y, yo + i));
            FloatVector.fromArray(S, gy, go + i).sub(e.mul(vs)).intoArray(dx, dxo + i);
        }
        for (; i < n; i++) dx[dxo + i] = gy[go + i] - (float) Math.exp(y[yo + i]) * s;
    }

    static float max(float[] x, int xo, int n) {
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0, ub = S.loopBound(n);
        for (; i < ub; i += L) m = m.max(FloatVector.fromArray(S, x, xo + i));
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, x[xo + i]);
        return r;
    }

    private static DoubleVector widen(float[] a, int o) {
        return (DoubleVector) FloatVector.fromArray(H, a, o).convertShape(VectorOperators.F2D, D, 0);
    }

    static void shiftedMoments(float[] x, int xo, int n, float shift, double[] out) {
        DoubleVector vs = DoubleVector.broadcast(D, shift), s0 = DoubleVector.zero(D), q0 = s0, s1 = s0, q1 = s0;
        int i = 0;
        for (; i <= n - 2 * HL; i += 2 * HL) {  // two chains so the adds overlap
            DoubleVector d0 = widen(x, xo + i).sub(vs), d1 = widen(x, xo + i + HL).sub(vs);
            s0 = s0.add(d0); q0 = d0.fma(d0, q0);
            s1 = s1.add(d1); q1 = d1.fma(d1, q1);
        }
        double s = VecMath.sum(s0.add(s1)), q = VecMath.sum(q0.add(q1));
        for (; i < n; i++) { double d = (double) x[xo + i] - shift; s += d; q += d * d; }
        out[0] = s;
        out[1] = q;
    }

    static void dotMoments(float[] g, int go, float[] x, int xo, int n, double[] out) {
        DoubleVector s0 = DoubleVector.zero(D), p0 = s0, s1 = s0, p1 = s0;
        int i = 0;
        for (; i <= n - 2 * HL; i += 2 * HL) {
            DoubleVector g0 = widen(g, go + i), g1 = widen(g, go + i + HL);
            s0 = s0.add(g0); p0 = g0.fma(widen(x, xo + i), p0);
            s1 = s1.add(g1); p1 = g1.fma(widen(x, xo + i + HL), p1);
        }
        double s = VecMath.sum(s0.add(s1)), p = VecMath.sum(p0.add(p1));
        for (; i < n; i++) { double gi = g[go + i]; s += gi; p += gi * x[xo + i]; }
        out[0] = s;
        out[1] = p;
    }

    static double dot(float[] a, int ao, float[] b, int bo, int n) {
        DoubleVector p0 = DoubleVector.zero(D), p1 = p0;
        int i = 0;
        for (; i <= n - 2 * HL; i += 2 * HL) {
            p0 = widen(a, ao + i).fma(widen(b, bo + i), p0);
            p1 = widen(a, ao + i + HL).fma(widen(b, bo + i + HL), p1);
        }
        double p = VecMath.sum(p0.add(p1));
        for (; i < n; i++) p += (double) a[ao + i] * b[bo + i];
        return p;
    }

    static void siluGradMoments(float[] x, int xo, float[] gy, int go, float[] out, int oo, int n, float a, float b, double[] mom) {
        FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b), one = FloatVector.broadcast(S, 1f);
        DoubleVector s1 = DoubleVector.zero(D), s2 = s1;
        int i = 0, ub = S.loopBound(n); // a float vector widens into exactly two double vectors (same shape)
        for (; i < ub; i += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i);
            FloatVector z = xv.fma(va, vb);
            FloatVector s = one.div(VecMath.exp(z.neg()).add(one));
            FloatVector gz = FloatVector.fromArray(S, gy, go + i).mul(s.mul(z.mul(one.sub(s)).add(one)));
            gz.intoArray(out, oo + i);
            // parts 0 and 1 as constants: a part index that is a loop variable is not intrinsified (boxes every vector)
            DoubleVector g0 = (DoubleVector) gz.convertShape(VectorOperators.F2D, D, 0);
            DoubleVector g1 = (DoubleVector) gz.convertShape(VectorOperators.F2D, D, 1);
            s1 = s1.add(g0).add(g1);
            s2 = g0.fma((DoubleVector) xv.convertShape(VectorOperators.F2D, D, 0), s2);
            s2 = g1.fma((DoubleVector) xv.convertShape(VectorOperators.F2D, D, 1), s2);
        }
        double t1 = VecMath.sum(s1), t2 = VecMath.sum(s2);
        for (; i < n; i++) {
            float z = x[xo + i] * a + b;
            float s = 1f / (1f + (float) Math.exp(-z));
            float g = gy[go + i] * s * (1f + z * (1f - s));
            out[oo + i] = g;
            t1 += g;
            t2 += (double) g * x[xo + i];
        }
        mom[0] = t1;
        mom[1] = t2;
    }

    static void affine(float[] x, int xo, float[] y, int yo, int n, float a, float b) {
        FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b);
        int i = 0, ub = S.loopBound(n);
        for (; i < ub; i += L) FloatVector.fromArray(S, x, xo + i).fma(va, vb).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = x[xo + i] * a + b;
    }

    static void lincomb(float[] u, int uo, float[] x, int xo, float[] out, int oo, int n, float a, float k, float c) {
        FloatVector va = FloatVector.broadcast(S, a), vk = FloatVector.broadcast(S, k), vc = FloatVector.broadcast(S, c);
        int i = 0, ub = S.loopBound(n);
        for (; i < ub; i += L)
            FloatVector.fromArray(S, u, uo + i).fma(va, FloatVector.fromArray(S, x, xo + i).fma(vk, vc)).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] = a * u[uo + i] + k * x[xo + i] + c;
    }

    static void layerNormRow(float[] x, int xo, float[] w, float[] b, float[] y, int yo, int n, float mu, float rs) {
        FloatVector vmu = FloatVector.broadcast(S, mu), vrs = FloatVector.broadcast(S, rs);
        int i = 0, ub = S.loopBound(n);
        for (; i < ub; i += L)
            FloatVector.fromArray(S, x, xo + i).sub(vmu).mul(vrs).fma(FloatVector.fromArray(S, w, i), FloatVector.fromArray(S, b, i))
                    .intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = (x[xo + i] - mu) * rs * w[i] + b[i];
    }

    static void layerNormGradSums(float[] x, int xo, float[] g, int go, float[] w, float mu, float rs,
                                  double[] pw, double[] pb, int n, double[] mom) {
        FloatVector vmu = FloatVector.broadcast(H, mu), vrs = FloatVector.broadcast(H, rs);
        DoubleVector s1 = DoubleVector.zero(D), s2 = s1;
        int i = 0, ub = H.loopBound(n);
        for (; i < ub; i += HL) {
            FloatVector gv = FloatVector.fromArray(H, g, go + i);
            FloatVector xh = FloatVector.fromArray(H, x, xo + i).sub(vmu).mul(vrs);
            DoubleVector gd = (DoubleVector) gv.convertShape(VectorOperators.F2D, D, 0);
            DoubleVector xd = (DoubleVector) xh.convertShape(VectorOperators.F2D, D, 0);
            DoubleVector dxh = gd.mul(widen(w, i));
            s1 = s1.add(dxh);
            s2 = dxh.fma(xd, s2);
            gd.fma(xd, DoubleVector.fromArray(D, pw, i)).intoArray(pw, i);
            gd.add(DoubleVector.fromArray(D, pb, i)).intoArray(pb, i);
        }
        double t1 = VecMath.sum(s1), t2 = VecMath.sum(s2);
        for (; i < n; i++) {
            double gi = g[go + i], xh = (x[xo + i] - mu) * rs, dxh = gi * w[i];
            t1 += dxh;
            t2 += dxh * xh;
            pw[i] += gi * xh;
            pb[i] += gi;
        }
        mom[0] = t1;
        mom[1] = t2;
    }

    static void layerNormGradRow(float[] x, int xo, float[] g, int go, float[] w, float[] dx, int dxo, int n,
                                 float mu, float rs, float m1, float m2) {
        FloatVector vmu = FloatVector.broadcast(S, mu), vrs = FloatVector.broadcast(S, rs), vm1 = FloatVector.broadcast(S, m1);
        FloatVector vm2 = FloatVector.broadcast(S, m2);
        int i = 0, ub = S.loopBound(n);
        for (; i < ub; i += L) {
            FloatVector xh = FloatVector.fromArray(S, x, xo + i).sub(vmu).mul(vrs);
            FloatVector t = FloatVector.fromArray(S, g, go + i).mul(FloatVector.fromArray(S, w, i)).sub(vm1).sub(xh.mul(vm2));
            t.mul(vrs).intoArray(dx, dxo + i);
        }
        for (; i < n; i++) dx[dxo + i] = rs * (g[go + i] * w[i] - m1 - (x[xo + i] - mu) * rs * m2);
    }

    static void softmaxGradRow(float[] y, int yo, float[] g, int go, float[] dx, int dxo, int n, float dot) {
        FloatVector vd = FloatVector.broadcast(S, dot);
        int i = 0, ub = S.loopBound(n);
        for (; i < ub; i += L) FloatVector.fromArray(S, g, go + i).sub(vd).mul(FloatVector.fromArray(S, y, yo + i)).intoArray(dx, dxo + i);
        for (; i < n; i++) dx[dxo + i] = y[yo + i] * (g[go + i] - dot);
    }
}
