package dev.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diffusion4j.engine.BinaryOp;
import dev.diffusion4j.engine.UnaryOp;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Each per-op SIMD row loop against the float64 formula: every op, every broadcast case (vector-vector,
 * scalar on either side), lengths 0..70 so the vector tails run, offset operands, and nothing written past n.
 */
class VectorRowsTest {
    private static float[] data(Random r, int n, float scale, float shift) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale + shift);
        return a;
    }

    private static void near(String what, double want, float got) {
        assertEquals(want, got, 3e-6 * Math.max(1, Math.abs(want)), what);
    }

    @Test
    void unaryRowsMatchFloat64() {
        Random r = new Random(1);
        for (UnaryOp op : new UnaryOp[] {UnaryOp.SILU, UnaryOp.SIGMOID, UnaryOp.EXP, UnaryOp.AFFINE, UnaryOp.SQUARE, UnaryOp.RELU, UnaryOp.NEG})
            for (int n = 0; n <= 70; n++) {
                int off = n % 3;
                float[] x = data(r, n + off, 3, 0), o = new float[n + 2];
                o[n + 1] = 42f;
                VectorRows.unary(op, x, off, o, 1, n, 1.5f, -0.25f);
                for (int i = 0; i < n; i++) near(op + " n=" + n + " i=" + i, op.apply(x[off + i], 1.5, -0.25), o[1 + i]);
                assertEquals(42f, o[n + 1], op + " wrote past n");
            }
    }

    @Test
    void unaryBackwardRowsMatchFloat64() {
        Random r = new Random(2);
        for (UnaryOp op : new UnaryOp[] {UnaryOp.SILU, UnaryOp.SIGMOID, UnaryOp.TANH})
            for (int n = 0; n <= 70; n++) {
                float[] x = data(r, n + 1, 3, 0), g = data(r, n + 2, 1, 0), y = new float[n + 1], o = new float[n];
                for (int i = 0; i < n; i++) y[1 + i] = (float) op.apply(x[1 + i], 0, 0);
                VectorRows.unaryBackward(op, x, 1, y, 1, g, 2, o, 0, n);
                for (int i = 0; i < n; i++)
                    near(op + "' n=" + n + " i=" + i, g[2 + i] * op.derivative(x[1 + i], y[1 + i], 0, 0), o[i]);
            }
    }

    @Test
    void binaryRowsMatchFloat64InEveryBroadcastCase() {
        Random r = new Random(3);
        for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV})
            for (int[] s : new int[][] {{1, 1}, {1, 0}, {0, 1}, {0, 0}})
                for (int n = 0; n <= 70; n++) {
                    float[] a = data(r, n + 2, 2, 0), b = data(r, n + 1, 1, 3), o = new float[n + 1];
                    o[n] = 42f;
                    VectorRows.binary(op, a, 2, s[0], b, 1, s[1], o, 0, n);
                    for (int i = 0; i < n; i++)
                        near(op + " strides " + s[0] + "," + s[1] + " n=" + n + " i=" + i,
                                op.apply(a[2 + i * s[0]], b[1 + i * s[1]]), o[i]);
                    assertEquals(42f, o[n], op + " wrote past n");
                }
    }
}
