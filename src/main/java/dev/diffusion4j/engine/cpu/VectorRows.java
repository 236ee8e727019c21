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

    static void unary(UnaryOp op, float[] a, int ia, float[] o, int io, int n, float p, float q) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, ia + i);
            FloatVector y = switch (op) {
                case SILU -> x.div(VecMath.exp(x.neg()).add(1f));
                case SIGMOID -> ONE.div(VecMath.exp(x.neg()).add(1f));
                case EXP -> VecMath.exp(x);
                case AFFINE -> x.fma(p, q);
                case SQUARE -> x.mul(x);
                case RELU -> x.max(0f);
                case NEG -> x.neg();
                default -> throw new AssertionError(op);
            };
            y.intoArray(o, io + i);
        }
        for (; i < n; i++) o[io + i] = (float) op.apply(a[ia + i], p, q);
    }

    static boolean hasUnaryBackward(UnaryOp op) { return op == UnaryOp.SILU || op == UnaryOp.SIGMOID || op == UnaryOp.TANH; }

    /** o = g * op'(x), with y = op(x). */
    static void unaryBackward(UnaryOp op, float[] x, int ix, float[] y, int iy, float[] g, int ig, float[] o, int io, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector gv = FloatVector.fromArray(S, g, ig + i);
            FloatVector d;
            if (op == UnaryOp.SILU) {
                FloatVector xv = FloatVector.fromArray(S, x, ix + i);
                FloatVector s = ONE.div(VecMath.exp(xv.neg()).add(1f));
                d = s.mul(xv.mul(s.neg().add(1f)).add(1f));           // s (1 + x (1 - s))
            } else {
                FloatVector yv = FloatVector.fromArray(S, y, iy + i);
                d = op == UnaryOp.SIGMOID ? yv.mul(yv.neg().add(1f)) : yv.mul(yv).neg().add(1f);
            }
            gv.mul(d).intoArray(o, io + i);
        }
        for (; i < n; i++) o[io + i] = (float) (g[ig + i] * op.derivative(x[ix + i], y[iy + i], 0, 0));
    }

    static boolean hasBinary(BinaryOp op) {
        return op == BinaryOp.ADD || op == BinaryOp.SUB || op == BinaryOp.MUL || op == BinaryOp.DIV;
    }

    /** o = a op b where each of a, b has stride 1 or 0 (a broadcast scalar along the row). */
    static void binary(BinaryOp op, float[] a, int ia, int sa, float[] b, int ib, int sb, float[] o, int io, int n) {
        int i = 0;
        FloatVector ca = sa == 0 ? FloatVector.broadcast(S, a[ia]) : null, cb = sb == 0 ? FloatVector.broadcast(S, b[ib]) : null;
        for (; i <= n - L; i += L) {
            FloatVector x = ca != null ? ca : FloatVector.fromArray(S, a, ia + i);
            FloatVector y = cb != null ? cb : FloatVector.fromArray(S, b, ib + i);
            FloatVector r = switch (op) {
                case ADD -> x.add(y);
                case SUB -> x.sub(y);
                case MUL -> x.mul(y);
                case DIV -> x.div(y);
                default -> throw new AssertionError(op);
            };
            r.intoArray(o, io + i);
        }
        for (; i < n; i++) o[io + i] = (float) op.apply(a[ia + i * sa], b[ib + i * sb]);
    }
}
