package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The backward keeps only the operands a derivative reads: each op's flags must match what derivative() uses. */
class UnaryOpReadsTest {
    @Test
    void derivativesIgnoreTheOperandsTheirFlagsLeaveOut() {
        double[][] points = {{0.7, 1.3}, {2.1, 0.4}, {-0.6, 0.9}, {1.5, 2.5}};
        for (UnaryOp op : UnaryOp.values()) {
            double p = op == UnaryOp.CLAMP ? -1 : 1.7, q = 1;
            for (double[] xy : points) {
                double x = xy[0], y = xy[1], ref = op.derivative(x, y, p, q);
                if (!op.derivativeReadsInput()) assertEquals(ref, op.derivative(x + 0.37, y, p, q), 0, op + " reads x");
                if (!op.derivativeReadsOutput()) assertEquals(ref, op.derivative(x, y + 0.37, p, q), 0, op + " reads y");
            }
        }
    }
}
