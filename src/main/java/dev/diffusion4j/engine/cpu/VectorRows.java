package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.BinaryOp;
import dev.diffusion4j.engine.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD inner loops for contiguous f32 rows of the hottest elementwise ops (Vector API; exp/tanh map to the
 * JDK's vector math intrinsics). Everything else goes through the scalar reference loops in CpuElementwise.
 */
final class VectorRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    private VectorRows() {}

    static boolean hasUnary(UnaryOp op) {
        return switch (op) {
            case SILU, SIGMOID, EXP, AFFINE, SQUARE, RELU, NEG -> true;
            default -> false;
        };
    }

    /*
     * Every op and broadcast case has a loop of its own: a vector that reaches its use through a
     * branch (a switch over ops, a broadcast-or-load choice) is a phi that C2 cannot always unbox,
     * and once the profile has seen several ops it boxes every vector (measured 20-80x slower).
     */
    static void unary(UnaryOp op, float[] a, int ia, float[] o, int io, int n, float p, float q) {
        int i = switch (op) {
            case SILU -> silu(a, ia, o, io, n);
            case SIGMOID -> sigmoid(a, ia, o, io, n);
            case EXP -> exp(a, ia, o, io, n);
            case AFFINE -> affine(a, ia, o, io, n, p, q);
            case SQUARE -> square(a, ia, o, io, n);
            case RELU -> relu(a, ia, o, io, n);
            case NEG -> neg(a, ia, o, io, n);
            default -> throw new AssertionError(op);
        };
        for (; i < n; i++) o[io + i] = (float) op.apply(a[ia + i], p, q);
    }

    // Each returns the index where its vector loop stopped; the caller finishes the tail.
    private static int silu(float[] a, int ia, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, ia + i);
            x.div(VecMath.exp(x.neg()).add(1f)).intoArray(o, io + i);
        }
        return i;
    }

    private static int sigmoid(float[] a, int ia, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) ONE.div(VecMath.exp(FloatVector.fromArray(S, a, ia + i).neg()).add(1f)).intoArray(o, io + i);
        return i;
    }

    private static int exp(float[] a, int ia, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) VecMath.exp(FloatVector.fromArray(S, a, ia + i)).intoArray(o, io + i);
        return i;
    }

    private static int affine(float[] a, int ia, float[] o, int io, int n, float p, float q) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, a, ia + i).fma(p, q).intoArray(o, io + i);
        return i;
    }

    private static int square(float[] a, int ia, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, ia + i);
            x.mul(x).intoArray(o, io + i);
        }
        return i;
    }

    private static int relu(float[] a, int ia, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, a, ia + i).max(0f).intoArray(o, io + i);
        return i;
    }

    private static int neg(float[] a, int ia, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, a, ia + i).neg().intoArray(o, io + i);
        return i;
    }

    static boolean hasUnaryBackward(UnaryOp op) { return op == UnaryOp.SILU || op == UnaryOp.SIGMOID || op == UnaryOp.TANH; }

    /** o = g * op'(x), with y = op(x). */
    static void unaryBackward(UnaryOp op, float[] x, int ix, float[] y, int iy, float[] g, int ig, float[] o, int io, int n) {
        int i = switch (op) {
            case SILU -> siluBackward(x, ix, g, ig, o, io, n);
            case SIGMOID -> sigmoidBackward(y, iy, g, ig, o, io, n);
            case TANH -> tanhBackward(y, iy, g, ig, o, io, n);
            default -> throw new AssertionError(op);
        };
        for (; i < n; i++) o[io + i] = (float) (g[ig + i] * op.derivative(x[ix + i], y[iy + i], 0, 0));
    }

    private static int siluBackward(float[] x, int ix, float[] g, int ig, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector xv = FloatVector.fromArray(S, x, ix + i);
            FloatVector s = ONE.div(VecMath.exp(xv.neg()).add(1f));
            FloatVector d = s.mul(xv.mul(s.neg().add(1f)).add(1f));           // s (1 + x (1 - s))
            FloatVector.fromArray(S, g, ig + i).mul(d).intoArray(o, io + i);
        }
        return i;
    }

    private static int sigmoidBackward(float[] y, int iy, float[] g, int ig, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector yv = FloatVector.fromArray(S, y, iy + i);
            FloatVector.fromArray(S, g, ig + i).mul(yv.mul(yv.neg().add(1f))).intoArray(o, io + i);
        }
        return i;
    }

    private static int tanhBackward(float[] y, int iy, float[] g, int ig, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector yv = FloatVector.fromArray(S, y, iy + i);
            FloatVector.fromArray(S, g, ig + i).mul(yv.mul(yv).neg().add(1f)).intoArray(o, io + i);
        }
        return i;
    }

    static boolean hasBinary(BinaryOp op) {
        return op == BinaryOp.ADD || op == BinaryOp.SUB || op == BinaryOp.MUL || op == BinaryOp.DIV;
    }

    /** o = a op b where each of a, b has stride 1 or 0 (a broadcast scalar along the row). */
    static void binary(BinaryOp op, float[] a, int ia, int sa, float[] b, int ib, int sb, float[] o, int io, int n) {
        if (n <= 0) return; // the scalar cases read their operand up front
        int i;
        if (sa != 0 && sb != 0) i = switch (op) {
            case ADD -> add(a, ia, b, ib, o, io, n);
            case SUB -> sub(a, ia, b, ib, o, io, n);
            case MUL -> mul(a, ia, b, ib, o, io, n);
            case DIV -> div(a, ia, b, ib, o, io, n);
            default -> throw new AssertionError(op);
        };
        else if (sa != 0) i = switch (op) { // b is one scalar
            case ADD -> addScalar(a, ia, b[ib], o, io, n);
            case SUB -> addScalar(a, ia, -b[ib], o, io, n);
            case MUL -> mulScalar(a, ia, b[ib], o, io, n);
            case DIV -> divScalar(a, ia, b[ib], o, io, n);
            default -> throw new AssertionError(op);
        };
        else if (sb != 0) i = switch (op) { // a is one scalar
            case ADD -> addScalar(b, ib, a[ia], o, io, n);
            case SUB -> scalarSub(a[ia], b, ib, o, io, n);
            case MUL -> mulScalar(b, ib, a[ia], o, io, n);
            case DIV -> scalarDiv(a[ia], b, ib, o, io, n);
            default -> throw new AssertionError(op);
        };
        else i = 0;
        for (; i < n; i++) o[io + i] = (float) op.apply(a[ia + i * sa], b[ib + i * sb]);
    }

    private static int add(float[] a, int ia, float[] b, int ib, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, a, ia + i).add(FloatVector.fromArray(S, b, ib + i)).intoArray(o, io + i);
        return i;
    }

    private static int sub(float[] a, int ia, float[] b, int ib, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, a, ia + i).sub(FloatVector.fromArray(S, b, ib + i)).intoArray(o, io + i);
        return i;
    }

    private static int mul(float[] a, int ia, float[] b, int ib, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, a, ia + i).mul(FloatVector.fromArray(S, b, ib + i)).intoArray(o, io + i);
        return i;
    }

    private static int div(float[] a, int ia, float[] b, int ib, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, a, ia + i).div(FloatVector.fromArray(S, b, ib + i)).intoArray(o, io + i);
        return i;
    }

    private static int addScalar(float[] a, int ia, float s, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, a, ia + i).add(s).intoArray(o, io + i);
        return i;
    }

    private static int mulScalar(float[] a, int ia, float s, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, a, ia + i).mul(s).intoArray(o, io + i);
        return i;
    }

    private static int divScalar(float[] a, int ia, float s, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, a, ia + i).div(s).intoArray(o, io + i);
        return i;
    }

    private static int scalarSub(float s, float[] b, int ib, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, b, ib + i).neg().add(s).intoArray(o, io + i);
        return i;
    }

    private static int scalarDiv(float s, float[] b, int ib, float[] o, int io, int n) {
        FloatVector sv = FloatVector.broadcast(S, s);
        int i = 0;
        for (; i <= n - L; i += L) sv.div(FloatVector.fromArray(S, b, ib + i)).intoArray(o, io + i);
        return i;
    }
}
