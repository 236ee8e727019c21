package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Philox;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;

/** Fills tensors from Philox streams: element i uses counter offset + i/4, lane i%4. */
final class CpuRandom {
    private CpuRandom() {}

    private interface Fill { void lanes(long counter, int[] bits, double[] tmp, int firstElem, int count, Object out); }

    private static Tensor fill(int[] shape, DType dtype, long seed, long offset, boolean normal) {
        Tensor out = CpuElementwise.alloc(shape, dtype);
        int n = Shape.numelInt(shape);
        Object arr = CpuElementwise.st(out).array();
        int counters = (n + 3) / 4;
        Parallel.forRange(counters, 1024, (lo, hi) -> {
            int[] bits = new int[4];
            double[] z = new double[4];
            for (int c = lo; c < hi; c++) {
                Philox.block(seed, offset + c, bits);
                if (normal) Philox.normals(bits, z);
                else for (int l = 0; l < 4; l++) z[l] = Philox.uniform(bits[l]);
                for (int l = 0; l < 4 && 4 * c + l < n; l++) CpuElementwise.write(arr, dtype, 4 * c + l, z[l]);
            }
        });
        return out;
    }

    static Tensor normal(int[] shape, DType dtype, long seed, long offset) { return fill(shape, dtype, seed, offset, true); }

    static Tensor uniform(int[] shape, DType dtype, long seed, long offset) { return fill(shape, dtype, seed, offset, false); }

    static Tensor randint(int[] shape, long low, long high, long seed, long offset) {
        Tensor out = CpuElementwise.alloc(shape, DType.I64);
        long[] o = CpuElementwise.st(out).i64();
        int n = o.length;
        long range = high - low;
        int[] bits = new int[4];
        for (int c = 0; c < (n + 3) / 4; c++) {
            Philox.block(seed, offset + c, bits);
            for (int l = 0; l < 4 && 4 * c + l < n; l++) o[4 * c + l] = low + Long.remainderUnsigned(bits[l] & 0xFFFFFFFFL, range);
        }
        return out;
    }
}
