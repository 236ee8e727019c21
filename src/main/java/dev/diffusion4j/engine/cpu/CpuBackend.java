package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.AdamUpdate;
import dev.diffusion4j.engine.Backend;
import dev.diffusion4j.engine.BinaryOp;
import dev.diffusion4j.engine.Conv2dParams;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.ReduceOp;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.UnaryOp;

/** The pure-Java backend: always available; each kernel family lives in its own class. */
public final class CpuBackend implements Backend {
    public static final CpuBackend INSTANCE = new CpuBackend();

    private CpuBackend() {}

    @Override public Device device() { return Device.CPU; }

    @Override public Tensor full(int[] shape, DType dtype, double value) {
        Tensor t = CpuElementwise.alloc(shape, dtype);
        if (value != 0) {
            Object a = CpuElementwise.st(t).array();
            int n = (int) t.numel();
            switch (dtype) {
                case F32 -> java.util.Arrays.fill((float[]) a, (float) value);
                case F64 -> java.util.Arrays.fill((double[]) a, value);
                case I64 -> java.util.Arrays.fill((long[]) a, (long) value);
                case I32 -> java.util.Arrays.fill((int[]) a, (int) value);
                default -> { for (int i = 0; i < n; i++) CpuElementwise.write(a, dtype, i, value); }
            }
        }
        return t;
    }

    @Override public Tensor fromArray(Object hostArray, int[] shape, DType dtype) {
        int n = Shape.numelInt(shape);
        Object copy = switch (dtype) {
            case F32 -> ((float[]) hostArray).clone();
            case F64 -> ((double[]) hostArray).clone();
            case I64 -> ((long[]) hostArray).clone();
            case I32 -> ((int[]) hostArray).clone();
            case BF16, F16 -> ((short[]) hostArray).clone();
        };
        if (java.lang.reflect.Array.getLength(copy) != n)
            throw new IllegalArgumentException(java.lang.reflect.Array.getLength(copy) + " values do not fill shape " + Shape.str(shape));
        return new Tensor(new CpuStorage(dtype, copy, n), shape);
    }

    @Override public Object toArray(Tensor t) {
        Tensor c = CpuElementwise.contiguous(t);
        Object a = CpuElementwise.st(c).array();
        int n = (int) t.numel();
        if (c.offset() == 0 && java.lang.reflect.Array.getLength(a) == n && c != t) return a;
        Object out = java.lang.reflect.Array.newInstance(a.getClass().getComponentType(), n);
        System.arraycopy(a, c.offset(), out, 0, n);
        return out;
    }

    @Override public Tensor contiguous(Tensor x) { return CpuElementwise.contiguous(x); }
    @Override public Tensor cast(Tensor x, DType to) { return CpuElementwise.cast(x, to); }
    @Override public void copyInto(Tensor dst, Tensor src) { CpuElementwise.copyInto(dst, src); }

    @Override public Tensor normal(int[] shape, DType dtype, long seed, long offset) { return CpuRandom.normal(shape, dtype, seed, offset); }
    @Override public Tensor uniform(int[] shape, DType dtype, long seed, long offset) { return CpuRandom.uniform(shape, dtype, seed, offset); }
    @Override public Tensor randint(int[] shape, long low, long high, long seed, long offset) { return CpuRandom.randint(shape, low, high, seed, offset); }

    @Override public Tensor unary(UnaryOp op, Tensor x, double p, double q) { return CpuElementwise.unary(op, x, p, q); }
    @Override public Tensor unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gy, double p, double q) {
        return CpuElementwise.unaryBackward(op, x, y, gy, p, q);
    }
    @Override public Tensor binary(BinaryOp op, Tensor a, Tensor b) { return CpuElementwise.binary(op, a, b); }
    @Override public Tensor where(Tensor cond, Tensor a, Tensor b) { return CpuElementwise.where(cond, a, b); }
    @Override public Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) { return CpuReduce.reduce(op, x, dims, keepDim); }
    @Override public Tensor matmul(Tensor a, Tensor b) { return CpuLinalg.matmul(a, b); }
    @Override public Tensor indexSelect(Tensor x, int dim, Tensor index) { return CpuIndex.indexSelect(x, dim, index); }
    @Override public Tensor indexAdd(int[] shape, int dim, Tensor index, Tensor src) { return CpuIndex.indexAdd(shape, dim, index, src); }

    @Override public Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) { return CpuConv.conv2d(x, w, bias, p); }
    @Override public Tensor conv2dBackwardInput(Tensor gy, Tensor w, int[] xShape, Conv2dParams p) {
        return CpuConv.conv2dBackwardInput(gy, w, xShape, p);
    }
    @Override public Tensor conv2dBackwardWeight(Tensor x, Tensor gy, int[] wShape, Conv2dParams p) {
        return CpuConv.conv2dBackwardWeight(x, gy, wShape, p);
    }
    @Override public Tensor avgPool2d(Tensor x, int kernel, int stride) { return CpuConv.avgPool2d(x, kernel, stride); }
    @Override public Tensor avgPool2dBackward(Tensor gy, int[] xShape, int kernel, int stride) {
        return CpuConv.avgPool2dBackward(gy, xShape, kernel, stride);
    }
    @Override public Tensor upsampleNearest2d(Tensor x, int factor) { return CpuConv.upsampleNearest(x, factor); }
    @Override public Tensor upsampleNearest2dBackward(Tensor gy, int factor) { return CpuConv.upsampleNearestBackward(gy, factor); }
    @Override public Tensor upsampleBilinear2d(Tensor x, int outH, int outW) { return CpuConv.upsampleBilinear(x, outH, outW); }
    @Override public Tensor upsampleBilinear2dBackward(Tensor gy, int[] xShape) { return CpuConv.upsampleBilinearBackward(gy, xShape); }
    @Override public Tensor[] groupNormForward(Tensor x, int groups, Tensor weight, Tensor bias, double eps, boolean silu) {
        return CpuNorm.groupNormForward(x, groups, weight, bias, eps, silu);
    }
    @Override public Tensor[] groupNormBackward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor weight, Tensor bias, int groups, boolean silu) {
        return CpuNorm.groupNormBackward(gy, x, mean, rstd, weight, bias, groups, silu);
    }
    @Override public Tensor[] layerNormForward(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        return CpuNorm.layerNormForward(x, normalizedDims, weight, bias, eps);
    }
    @Override public Tensor[] layerNormBackward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor weight, Tensor bias, int normalizedDims) {
        return CpuNorm.layerNormBackward(gy, x, mean, rstd, weight, bias, normalizedDims);
    }
    @Override public Tensor softmax(Tensor x, int dim, boolean log) { return CpuSoftmax.forward(x, dim, log); }
    @Override public Tensor softmaxBackward(Tensor y, Tensor gy, int dim, boolean log) { return CpuSoftmax.backward(y, gy, dim, log); }

    @Override public void adamUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, AdamUpdate s) {
        if (CpuUpdates.fusable(param, grad, expAvg, expAvgSq)) CpuUpdates.adam(param, grad, expAvg, expAvgSq, s);
        else Backend.super.adamUpdate(param, grad, expAvg, expAvgSq, s);
    }

    @Override public void lerpInto(Tensor dst, Tensor src, double weight) {
        if (CpuUpdates.fusable(dst, src)) CpuUpdates.lerp(dst, src, weight);
        else Backend.super.lerpInto(dst, src, weight);
    }

    @Override public Tensor sumOfSquares(java.util.List<Tensor> xs) {
        double sum = 0;
        java.util.List<Tensor> rest = new java.util.ArrayList<>();
        for (Tensor x : xs) {
            if (CpuUpdates.fusable(x)) sum += CpuUpdates.sumOfSquares(x);
            else rest.add(x);
        }
        if (!rest.isEmpty()) sum += Backend.super.sumOfSquares(rest).item();
        return full(new int[0], DType.F64, sum);
    }
}
