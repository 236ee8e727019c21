package dev.diffusion4j.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API bodies of {@link FloatKernels}; only loaded when the incubator module is present. */
final class FloatKernelsSimd {
    private FloatKernelsSimd() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
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
            FloatVector e = z.neg().lanewise(VectorOperators.EXP);
            z.div(e.add(one)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            float z = x[xo + i] * a + b;
            y[yo + i] = z / (1f + (float) Math.exp(-z));
        }
    }

    static void siluGrad(float[] x, int xo, float[] gy, int go, float[] out, int oo, int n, float a, float b) {
        FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b), one = FloatVector.broadcast(S, 1f);
        int i = 0, ub = S.loopBound(n);
        for (; i < ub; i += L) {
            FloatVector z = FloatVector.fromArray(S, x, xo + i).fma(va, vb);
            FloatVector s = one.div(z.neg().lanewise(VectorOperators.EXP).add(one));
            // silu'(z) = s (1 + z (1 - s))
            FloatVector d = s.mul(z.mul(one.sub(s)).add(one));
            FloatVector.fromArray(S, gy, go + i).mul(d).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            float z = x[xo + i] * a + b;
            float s = 1f / (1f + (float) Math.exp(-z));
            out[oo + i] = gy[go + i] * s * (1f + z * (1f - s));
        }
    }

    static double expShift(float[] x, int xo, float[] y, int yo, int n, float shift) {
        FloatVector vs = FloatVector.broadcast(S, shift), acc = FloatVector.zero(S);
        double total = 0;
        int i = 0, ub = S.loopBound(n), k = 0;
        for (; i < ub; i += L) {
            FloatVector e = FloatVector.fromArray(S, x, xo + i).sub(vs).lanewise(VectorOperators.EXP);
            e.intoArray(y, yo + i);
            acc = acc.add(e);
            if (++k == FOLD) { total += acc.reduceLanes(VectorOperators.ADD); acc = FloatVector.zero(S); k = 0; }
        }
        total += acc.reduceLanes(VectorOperators.ADD);
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
            FloatVector e = FloatVector.fromArray(S, y, yo + i).lanewise(VectorOperators.EXP);
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
}
