package dev.diffusion4j.engine.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * exp on float vectors from exactly-rounded operations only (add, mul, fma, bit shifts). The Vector API's own
 * lanewise(EXP) gives different last bits interpreted (scalar fallback) and compiled (vector math stubs), which
 * made training runs differ depending on JIT timing; this version is the same bits everywhere.
 */
final class VecMath {
    private VecMath() {}

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693145751953125f, LN2_LO = 1.42860676533018e-06f;
    private static final float ROUND = 12582912f;          // 1.5 * 2^23: adding and subtracting it rounds to an integer
    private static final float LO = -87.3f, HI = 88.3f;    // keeps 2^k a normal float

    /** e^x to about 2 ulp for x in [-87.3, 88.3] (clamped outside). */
    static FloatVector exp(FloatVector x) {
        FloatVector v = x.max(LO).min(HI);
        FloatVector k = v.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = k.fma(FloatVector.broadcast(x.species(), -LN2_HI), v);
        r = k.fma(FloatVector.broadcast(x.species(), -LN2_LO), r);
        // Taylor series of e^r on |r| <= ln2/2 to degree 7 (truncation below 1e-8 relative)
        FloatVector p = r.fma(FloatVector.broadcast(x.species(), 1f / 5040), FloatVector.broadcast(x.species(), 1f / 720));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f / 120));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f / 24));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f / 6));
        p = p.fma(r, FloatVector.broadcast(x.species(), 0.5f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f));
        IntVector bits = ((IntVector) k.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /**
     * Sum of the lanes in lane order. reduceLanes(ADD) leaves the order unspecified, and the interpreter and the
     * compiled intrinsic do differ, so it is avoided wherever results must repeat bit for bit.
     */
    static float sum(FloatVector v) {
        float s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i); // lane extracts: no toArray() allocation per call
        return s;
    }

    static double sum(DoubleVector v) {
        double s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }
}
