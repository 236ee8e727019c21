package dev.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.ReduceOp;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/** Reductions whose kept dims sit between reduced ones (bias gradients) are read in place; checked against f64 loops. */
class CpuReduceTest {
    private static final int N = 3, C = 5, H = 4, W = 7;

    private static float[] data() {
        float[] x = new float[N * C * H * W];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(0.37 * i + 0.1) * (1 + i % 5);
        return x;
    }

    /** Reference over [N][C][H*W], reducing N and H*W for each c. */
    private static double[] reference(ReduceOp op, float[] x) {
        double[] out = new double[C];
        for (int c = 0; c < C; c++) {
            double acc = op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : op == ReduceOp.MIN ? Double.POSITIVE_INFINITY : 0;
            for (int n = 0; n < N; n++)
                for (int q = 0; q < H * W; q++) {
                    double v = x[(n * C + c) * H * W + q];
                    acc = switch (op) {
                        case SUM, MEAN -> acc + v;
                        case MAX -> Double.isNaN(v) || v > acc ? v : acc;
                        case MIN -> Double.isNaN(v) || v < acc ? v : acc;
                    };
                }
            out[c] = op == ReduceOp.MEAN ? acc / (N * H * W) : acc;
        }
        return out;
    }

    @Test void keptMiddleDimsMatchLoops() {
        float[] x = data();
        Tensor t = Tensor.of(x, N, C, H, W);
        for (ReduceOp op : ReduceOp.values()) {
            double[] want = reference(op, x);
            Tensor got = switch (op) {
                case SUM -> t.sum(new int[] {0, 2, 3}, false);
                case MEAN -> t.mean(new int[] {0, 2, 3}, false);
                case MAX -> t.max(new int[] {0, 2, 3}, false);
                case MIN -> t.neg().max(new int[] {0, 2, 3}, false).neg();
            };
            assertArrayEquals(new int[] {C}, got.shape(), op.name());
            float[] g = got.toFloatArray();
            for (int c = 0; c < C; c++) assertEquals(want[c], g[c], 1e-5 * (1 + Math.abs(want[c])), op + " c=" + c);
        }
        Tensor kept = t.sum(new int[] {0, 3}, true);
        assertArrayEquals(new int[] {1, C, H, 1}, kept.shape());
        float[] k = kept.toFloatArray();
        for (int c = 0; c < C; c++)
            for (int h = 0; h < H; h++) {
                double s = 0;
                for (int n = 0; n < N; n++) for (int w = 0; w < W; w++) s += x[((n * C + c) * H + h) * W + w];
                assertEquals(s, k[c * H + h], 1e-5 * (1 + Math.abs(s)));
            }
    }

    @Test void nanPropagatesThroughMax() {
        float[] x = data();
        x[(2 * C + 1) * H * W + 3] = Float.NaN;
        float[] g = Tensor.of(x, N, C, H, W).max(new int[] {0, 2, 3}, false).toFloatArray();
        assertTrue(Float.isNaN(g[1]));
        assertEquals(reference(ReduceOp.MAX, x)[0], g[0], 1e-6);
    }

    @Test void viewsWithAnOffsetReduceTheirOwnElements() {
        float[] x = data();
        Tensor t = Tensor.of(x, N, C, H, W).slice(0, 1, 3); // contiguous, offset C*H*W
        float[] g = t.sum(new int[] {0, 2, 3}, false).toFloatArray();
        for (int c = 0; c < C; c++) {
            double s = 0;
            for (int n = 1; n < 3; n++) for (int q = 0; q < H * W; q++) s += x[(n * C + c) * H * W + q];
            assertEquals(s, g[c], 1e-5 * (1 + Math.abs(s)));
        }
    }
}
