package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.Backend;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Storage;

/** Host memory: a Java array whose type follows the dtype (float[], double[], long[], int[], or short[] bits for bf16/f16). */
public final class CpuStorage extends Storage {
    final Object data;

    CpuStorage(DType dtype, Object data, int length) {
        super(dtype, length);
        this.data = data;
    }

    static CpuStorage allocate(DType dtype, int n) {
        Object a = switch (dtype) {
            case F32 -> new float[n];
            case F64 -> new double[n];
            case I64 -> new long[n];
            case I32 -> new int[n];
            case BF16, F16 -> new short[n];
        };
        return new CpuStorage(dtype, a, n);
    }

    @Override public Backend backend() { return CpuBackend.INSTANCE; }

    public Object array() { return data; }
    public float[] f32() { return (float[]) data; }
    public double[] f64() { return (double[]) data; }
    public long[] i64() { return (long[]) data; }
    public int[] i32() { return (int[]) data; }
    public short[] half() { return (short[]) data; }
}
