package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The f32 fast paths (SIMD rows, blocked kernels) agree with the f64 reference paths on random inputs. */
class F32ParityTest {
    static void parity(String name, Function<Tensor[], Tensor> f, double tol, Tensor... f64Inputs) {
        Tensor[] lo = new Tensor[f64Inputs.length];
        for (int i = 0; i < lo.length; i++) lo[i] = f64Inputs[i].to(DType.F32);
        double[] ref = f.apply(f64Inputs).toDoubleArray(), got = f.apply(lo).toDoubleArray();
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) { num += (ref[i] - got[i]) * (ref[i] - got[i]); den += ref[i] * ref[i]; }
        double rel = Math.sqrt(num / Math.max(den, 1e-300));
        assertTrue(rel < tol, name + ": relative error " + rel);
    }

    @Test
    void elementwiseFastPaths() {
        Tensor x = GradCheck.randn(1, 3, 5, 37).mul(3), y = GradCheck.randn(2, 3, 5, 37), b = GradCheck.randn(3, 1, 5, 1);
        for (UnaryOp op : new UnaryOp[] {UnaryOp.SILU, UnaryOp.SIGMOID, UnaryOp.EXP, UnaryOp.TANH, UnaryOp.SQUARE, UnaryOp.RELU, UnaryOp.NEG}) {
            parity(op.name(), t -> ElementwiseOps.unary(op, t[0], 0, 0), 1e-6, x);
            parity(op.name() + " backward", t -> t[0].backend().unaryBackward(op, t[0], t[0].backend().unary(op, t[0], 0, 0), t[1], 0, 0), 1e-6, x, y);
        }
        parity("affine", t -> t[0].affine(0.3, -1.2), 1e-6, x);
        for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV}) {
            parity(op.name(), t -> ElementwiseOps.binary(op, t[0], t[1]), 1e-6, x, y);
            parity(op.name() + " broadcast", t -> ElementwiseOps.binary(op, t[0], t[1]), 1e-6, x, b);
            parity(op.name() + " scalar-left", t -> ElementwiseOps.binary(op, t[1], t[0]), 1e-6, x, b);
        }
    }

    @Test
    void reductionsMatmulAndConv() {
        Tensor x = GradCheck.randn(4, 4, 6, 9, 7);
        parity("sum", t -> t[0].sum(new int[] {0, 2, 3}, false), 1e-6, x);
        parity("max", t -> t[0].max(1, true), 1e-7, x);
        parity("matmul", t -> t[0].matmul(t[1]), 1e-6, GradCheck.randn(5, 3, 17, 33), GradCheck.randn(6, 3, 33, 19));
        parity("matmul_tt", t -> t[0].mT().matmul(t[1].mT()), 1e-6, GradCheck.randn(7, 33, 17), GradCheck.randn(8, 19, 33));
        parity("conv2d", t -> F.conv2d(t[0], t[1], t[2], 1, 1), 1e-6, GradCheck.randn(9, 2, 8, 9, 9), GradCheck.randn(10, 6, 8, 3, 3), GradCheck.randn(11, 6));
    }
}
