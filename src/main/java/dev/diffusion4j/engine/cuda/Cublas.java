package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Matrix products through cuBLAS on the context's stream, in row-major terms. cuBLAS is
 * column-major; a row-major matrix read column-major is its transpose, so C = op(A)·op(B) is
 * computed as Cᵀ = op(B)ᵀ·op(A)ᵀ by swapping the operands (no data moves). Leading dimensions are
 * row-major row lengths. Float32 products are strict FP32 unless {@link #setAllowTf32(boolean)};
 * bf16/f16 inputs always accumulate in float32.
 */
public final class Cublas implements AutoCloseable {
    /** Element types cuBLAS reads and writes here. */
    public enum DataType {
        F32(CublasApi.CUDA_R_32F, 4), F16(CublasApi.CUDA_R_16F, 2), BF16(CublasApi.CUDA_R_16BF, 2), F64(CublasApi.CUDA_R_64F, 8);

        final int cuda;
        public final int bytes;

        DataType(int cuda, int bytes) {
            this.cuda = cuda;
            this.bytes = bytes;
        }
    }

    /** cuBLAS recommends 32 MiB of workspace on Hopper; giving our own keeps it in our allocator's books. */
    static final long WORKSPACE_BYTES = 32L << 20;

    private final CudaContext context;
    private final long handle;
    private final DeviceBuffer workspace;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment alpha = arena.allocate(JAVA_FLOAT);
    private final MemorySegment beta = arena.allocate(JAVA_FLOAT);
    // f64 products (gradient checks, reference runs) take double scalars
    private final MemorySegment alpha64 = arena.allocate(JAVA_DOUBLE);
    private final MemorySegment beta64 = arena.allocate(JAVA_DOUBLE);
    private volatile boolean allowTf32;
    private boolean closed;

    public Cublas(CudaContext context) {
        this.context = context;
        context.makeCurrent();
        this.handle = CublasApi.create();
        CublasApi.setStream(handle, context.stream());
        this.workspace = context.allocate(WORKSPACE_BYTES);
        CublasApi.setWorkspace(handle, workspace.address(), WORKSPACE_BYTES); // after setStream, which resets it
        CublasApi.setMathMode(handle, CublasApi.CUBLAS_DEFAULT_MATH);
    }

    /** cuBLAS's version, e.g. 130100. */
    public int version() {
        return CublasApi.version(handle);
    }

    /** The workspace's device address, for cuBLASLt calls queued on the same stream. */
    long workspaceAddress() { return workspace.address(); }

    /** Let float32 products use TF32 tensor cores (10-bit mantissa inputs, float32 accumulate). */
    public void setAllowTf32(boolean allow) {
        this.allowTf32 = allow;
    }

    public boolean allowTf32() {
        return allowTf32;
    }

    /** Float32 C[m×n] = alpha·op(A)·op(B) + beta·C, all row-major. */
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
            float beta, long c, int ldc) {
        gemm(transA, transB, m, n, k, alpha, a, DataType.F32, lda, b, DataType.F32, ldb, beta, c, DataType.F32, ldc);
    }

    /**
     * C[m×n] = alpha·op(A)·op(B) + beta·C, row-major; op(A) is m×k (A stored k×m when
     * {@code transA}), op(B) is k×n.
     */
    public synchronized void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
            long a, DataType aType, int lda, long b, DataType bType, int ldb, float beta, long c, DataType cType, int ldc) {
        checkShapes(transA, transB, m, n, k, lda, ldb, ldc, 1);
        boolean f64 = prepare(alpha, beta, aType);
        LaunchProfile.Span span = LaunchProfile.ENABLED ? LaunchProfile.begin(context) : null;
        int rc = CublasApi.gemmEx(handle, op(transB), op(transA), n, m, k, f64 ? alpha64 : this.alpha, b, bType.cuda, ldb, a, aType.cuda, lda,
                f64 ? beta64 : this.beta, c, cType.cuda, ldc, computeType(aType, bType), CublasApi.CUBLAS_GEMM_DEFAULT);
        if (rc != 0) CublasApi.check(rc, describe("cublasGemmEx", transA, transB, m, n, k, aType, cType, 1));
        if (span != null) span.end("cublasGemmEx " + m + "x" + n + "x" + k + " " + aType);
    }

    /** {@code batch} independent products; matrix i of each operand starts {@code stride·i} elements in. */
    public synchronized void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
            long a, DataType aType, int lda, long strideA, long b, DataType bType, int ldb, long strideB,
            float beta, long c, DataType cType, int ldc, long strideC, int batch) {
        checkShapes(transA, transB, m, n, k, lda, ldb, ldc, batch);
        boolean f64 = prepare(alpha, beta, aType);
        LaunchProfile.Span span = LaunchProfile.ENABLED ? LaunchProfile.begin(context) : null;
        int rc = CublasApi.gemmStridedBatchedEx(handle, op(transB), op(transA), n, m, k, f64 ? alpha64 : this.alpha,
                b, bType.cuda, ldb, strideB, a, aType.cuda, lda, strideA, f64 ? beta64 : this.beta, c, cType.cuda, ldc, strideC, batch,
                computeType(aType, bType), CublasApi.CUBLAS_GEMM_DEFAULT);
        if (rc != 0) CublasApi.check(rc, describe("cublasGemmStridedBatchedEx", transA, transB, m, n, k, aType, cType, batch));
        if (span != null) span.end("cublasGemmStridedBatchedEx " + batch + "x" + m + "x" + n + "x" + k + " " + aType);
    }

    /** Sets the scalars (read by cuBLAS during the call, host pointer mode); true when they are the double ones. */
    private boolean prepare(float alpha, float beta, DataType aType) {
        if (closed) throw new IllegalStateException("cuBLAS handle used after close()");
        context.makeCurrent();
        this.alpha.set(JAVA_FLOAT, 0, alpha);
        this.beta.set(JAVA_FLOAT, 0, beta);
        alpha64.set(JAVA_DOUBLE, 0, alpha);
        beta64.set(JAVA_DOUBLE, 0, beta);
        return aType == DataType.F64;
    }

    private int computeType(DataType aType, DataType bType) {
        if (aType == DataType.F64 || bType == DataType.F64) return CublasApi.CUBLAS_COMPUTE_64F;
        boolean f32 = aType == DataType.F32 && bType == DataType.F32;
        return f32 && allowTf32 ? CublasApi.CUBLAS_COMPUTE_32F_FAST_TF32 : CublasApi.CUBLAS_COMPUTE_32F;
    }

    private static int op(boolean trans) {
        return trans ? CublasApi.CUBLAS_OP_T : CublasApi.CUBLAS_OP_N;
    }

    static void checkShapes(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc, int batch) {
        if (m < 0 || n < 0 || k < 0 || batch < 0) {
            throw new IllegalArgumentException("gemm sizes must be >= 0: m=" + m + " n=" + n + " k=" + k + " batch=" + batch);
        }
        int needA = Math.max(1, transA ? m : k);
        int needB = Math.max(1, transB ? k : n);
        if (lda < needA) throw new IllegalArgumentException("gemm lda=" + lda + " < " + needA + " (row length of " + (transA ? "Aᵀ" : "A") + ")");
        if (ldb < needB) throw new IllegalArgumentException("gemm ldb=" + ldb + " < " + needB + " (row length of " + (transB ? "Bᵀ" : "B") + ")");
        if (ldc < Math.max(1, n)) throw new IllegalArgumentException("gemm ldc=" + ldc + " < n=" + n);
    }

    private String describe(String call, boolean transA, boolean transB, int m, int n, int k, DataType in, DataType out, int batch) {
        return call + "(m=" + m + ", n=" + n + ", k=" + k + (batch != 1 ? ", batch=" + batch : "") + ", " + in + "->" + out
                + (transA ? ", A transposed" : "") + (transB ? ", B transposed" : "") + (allowTf32 ? ", tf32" : "") + ")";
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        context.makeCurrent();
        CublasApi.destroy(handle);
        workspace.close();
        arena.close();
    }
}
