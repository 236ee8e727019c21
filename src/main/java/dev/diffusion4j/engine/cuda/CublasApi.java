package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** cuBLAS (libcublas) and cuBLASLt's version; handles and device pointers travel as long. */
final class CublasApi {
    private CublasApi() {}

    static final int CUBLAS_OP_N = 0;
    static final int CUBLAS_OP_T = 1;
    static final int CUBLAS_DEFAULT_MATH = 0;
    static final int CUBLAS_COMPUTE_32F = 68;
    static final int CUBLAS_COMPUTE_32F_FAST_TF32 = 77;
    static final int CUBLAS_COMPUTE_64F = 70;
    static final int CUBLAS_GEMM_DEFAULT = -1;
    static final int CUDA_R_32F = 0;
    static final int CUDA_R_16F = 2;
    static final int CUDA_R_64F = 1;
    static final int CUDA_R_16BF = 14;

    private static final NativeLibrary LIB = CudaLibraries.cublas();
    private static final MethodHandle cublasGetStatusName = LIB.downcall("cublasGetStatusName", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle cublasGetStatusString = LIB.downcall("cublasGetStatusString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle cublasCreate = LIB.downcall("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cublasDestroy = LIB.downcall("cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle cublasGetVersion = LIB.downcall("cublasGetVersion_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle cublasSetStream = LIB.downcall("cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle cublasSetWorkspace = LIB.downcall("cublasSetWorkspace_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle cublasSetMathMode = LIB.downcall("cublasSetMathMode", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle cublasGemmEx = LIB.downcall("cublasGemmEx", FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS,
            JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS,
            JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle cublasGemmStridedBatchedEx = LIB.downcall("cublasGemmStridedBatchedEx", FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS,
            JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS,
            JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT));

    static String statusName(int status) {
        return text(cublasGetStatusName, status, "cublasStatus " + status);
    }

    static String statusString(int status) {
        return text(cublasGetStatusString, status, "");
    }

    private static String text(MethodHandle h, int status, String fallback) {
        try {
            MemorySegment s = (MemorySegment) h.invokeExact(status);
            return s.equals(MemorySegment.NULL) ? fallback : s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return fallback;
        }
    }

    static void check(int status, String call) {
        if (status != 0) throw new CudaException(CudaException.failure(call, statusName(status), statusString(status)), status, null);
    }

    static long create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            check((int) cublasCreate.invokeExact(out), "cublasCreate_v2");
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void destroy(long handle) {
        try {
            check((int) cublasDestroy.invokeExact(handle), "cublasDestroy_v2");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    /** e.g. 130100 for 13.1.0. */
    static int version(long handle) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((int) cublasGetVersion.invokeExact(handle, out), "cublasGetVersion_v2");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void setStream(long handle, long stream) {
        try {
            check((int) cublasSetStream.invokeExact(handle, stream), "cublasSetStream_v2");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void setWorkspace(long handle, long workspace, long bytes) {
        try {
            check((int) cublasSetWorkspace.invokeExact(handle, workspace, bytes), "cublasSetWorkspace_v2(" + bytes + " bytes)");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void setMathMode(long handle, int mode) {
        try {
            check((int) cublasSetMathMode.invokeExact(handle, mode), "cublasSetMathMode(" + mode + ")");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static int gemmEx(long handle, int opA, int opB, int m, int n, int k, MemorySegment alpha,
            long a, int aType, int lda, long b, int bType, int ldb, MemorySegment beta,
            long c, int cType, int ldc, int computeType, int algo) {
        try {
            return (int) cublasGemmEx.invokeExact(handle, opA, opB, m, n, k, alpha, a, aType, lda, b, bType, ldb, beta,
                    c, cType, ldc, computeType, algo);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static int gemmStridedBatchedEx(long handle, int opA, int opB, int m, int n, int k, MemorySegment alpha,
            long a, int aType, int lda, long strideA, long b, int bType, int ldb, long strideB, MemorySegment beta,
            long c, int cType, int ldc, long strideC, int batch, int computeType, int algo) {
        try {
            return (int) cublasGemmStridedBatchedEx.invokeExact(handle, opA, opB, m, n, k, alpha, a, aType, lda, strideA,
                    b, bType, ldb, strideB, beta, c, cType, ldc, strideC, batch, computeType, algo);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    /** cuBLASLt's version (e.g. 130100), proving the library loads; its matmul API is a later step. */
    static long ltVersion() {
        try {
            MethodHandle h = CudaLibraries.cublasLt().downcall("cublasLtGetVersion", FunctionDescriptor.of(JAVA_LONG));
            return (long) h.invokeExact();
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }
}
