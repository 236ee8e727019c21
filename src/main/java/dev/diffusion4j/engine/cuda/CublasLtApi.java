package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * cuBLASLt's matmul API (libcublasLt): descriptors, the algorithm heuristic and cublasLtMatmul, for products with a
 * fused epilogue. Handles and device pointers travel as long; statuses are cuBLAS's (named by {@link CublasApi#check}).
 * Enum values are those of cublasLt.h (stable since CUDA 11).
 */
final class CublasLtApi {
    private CublasLtApi() {}

    // cublasLtMatmulDescAttributes_t
    static final int DESC_TRANSA = 3;
    static final int DESC_TRANSB = 4;
    static final int DESC_EPILOGUE = 7;
    static final int DESC_BIAS_POINTER = 8;
    static final int DESC_EPILOGUE_AUX_POINTER = 11, DESC_EPILOGUE_AUX_LD = 12;
    // cublasLtEpilogue_t
    static final int EPILOGUE_DEFAULT = 1, EPILOGUE_BIAS = 4;
    static final int EPILOGUE_GELU_BIAS = 36;
    static final int EPILOGUE_GELU_AUX_BIAS = 164;
    static final int EPILOGUE_BGRADB = 512;
    static final int EPILOGUE_DGELU = 192;
    // cublasLtMatmulPreferenceAttributes_t
    static final int PREF_MAX_WORKSPACE_BYTES = 1;
    static final int PREF_MIN_ALIGNMENT_A = 5, PREF_MIN_ALIGNMENT_B = 6, PREF_MIN_ALIGNMENT_C = 7, PREF_MIN_ALIGNMENT_D = 8;
    /** cublasLtMatmulHeuristicResult_t: algo (8 x uint64), size_t workspaceSize, status, float waves, int[4]. */
    static final long HEURISTIC_RESULT_BYTES = 96, ALGO_BYTES = 64, HEURISTIC_WORKSPACE_OFFSET = 64, HEURISTIC_STATE_OFFSET = 72;

    private static final NativeLibrary LIB = CudaLibraries.cublasLt();
    private static final MethodHandle create = LIB.downcall("cublasLtCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle destroy = LIB.downcall("cublasLtDestroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle descCreate = LIB.downcall("cublasLtMatmulDescCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle descDestroy = LIB.downcall("cublasLtMatmulDescDestroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle descSet = LIB.downcall("cublasLtMatmulDescSetAttribute",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle layoutCreate = LIB.downcall("cublasLtMatrixLayoutCreate",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle layoutDestroy = LIB.downcall("cublasLtMatrixLayoutDestroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle prefCreate = LIB.downcall("cublasLtMatmulPreferenceCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle prefDestroy = LIB.downcall("cublasLtMatmulPreferenceDestroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle prefSet = LIB.downcall("cublasLtMatmulPreferenceSetAttribute",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle heuristic = LIB.downcall("cublasLtMatmulAlgoGetHeuristic", FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle matmul = LIB.downcall("cublasLtMatmul", FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG,
            JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG));

    private static final MethodHandle version = LIB.downcall("cublasLtGetVersion", FunctionDescriptor.of(JAVA_LONG));

    static long create() { return created(create, "cublasLtCreate"); }

    /** The library's version, e.g. 130100. */
    static long version() {
        try {
            return (long) version.invokeExact();
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void destroy(long handle) { call(destroy, "cublasLtDestroy", handle); }

    static long matmulDesc(int computeType, int scaleType) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            CublasApi.check((int) descCreate.invokeExact(out, computeType, scaleType), "cublasLtMatmulDescCreate");
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void destroyMatmulDesc(long desc) { call(descDestroy, "cublasLtMatmulDescDestroy", desc); }

    /** Sets a 4-byte attribute (int32 / uint32 enums) of a matmul descriptor. */
    static void setDescInt(long desc, int attr, int value) { setInt(descSet, "cublasLtMatmulDescSetAttribute", desc, attr, value); }

    /** Sets an attribute of a matmul descriptor from {@code value}'s first {@code bytes} bytes. */
    static void setDesc(long desc, int attr, MemorySegment value, long bytes) { set(descSet, "cublasLtMatmulDescSetAttribute", desc, attr, value, bytes); }

    /** A column-major layout of rows x cols elements of {@code type}, columns {@code ld} elements apart. */
    static long layout(int type, long rows, long cols, long ld) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            CublasApi.check((int) layoutCreate.invokeExact(out, type, rows, cols, ld),
                    "cublasLtMatrixLayoutCreate(" + rows + "x" + cols + ", ld " + ld + ")");
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void destroyLayout(long layout) { call(layoutDestroy, "cublasLtMatrixLayoutDestroy", layout); }

    /** A preference allowing up to {@code workspaceBytes} of workspace. */
    static long preference(long workspaceBytes) {
        long p = created(prefCreate, "cublasLtMatmulPreferenceCreate");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            v.set(JAVA_LONG, 0, workspaceBytes);
            set(prefSet, "cublasLtMatmulPreferenceSetAttribute", p, PREF_MAX_WORKSPACE_BYTES, v, 8);
            return p;
        } catch (RuntimeException e) {
            call(prefDestroy, "cublasLtMatmulPreferenceDestroy", p);
            throw e;
        }
    }

    /** Sets a 4-byte attribute (e.g. a minimum alignment in bytes) of a matmul preference. */
    static void setPreferenceInt(long pref, int attr, int value) { setInt(prefSet, "cublasLtMatmulPreferenceSetAttribute", pref, attr, value); }

    /** Calls a SetAttribute function (descriptor, attribute, buffer, size) with a 4-byte value. */
    private static void setInt(MethodHandle setter, String name, long target, int attr, int value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, value);
            set(setter, name, target, attr, v, 4);
        }
    }

    private static void set(MethodHandle setter, String name, long target, int attr, MemorySegment value, long bytes) {
        try {
            CublasApi.check((int) setter.invokeExact(target, attr, value, bytes), name + "(" + attr + ")");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void destroyPreference(long pref) { call(prefDestroy, "cublasLtMatmulPreferenceDestroy", pref); }

    /**
     * Up to {@code max} of the heuristic's algorithms for the product, best first, written into {@code results} (max
     * times HEURISTIC_RESULT_BYTES); returns how many (0 when cuBLASLt has none for it).
     */
    static int algorithms(long handle, long desc, long a, long b, long c, long d, long pref, int max, MemorySegment results) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_INT);
            int rc = (int) heuristic.invokeExact(handle, desc, a, b, c, d, pref, max, results, count);
            if (rc == CUBLAS_STATUS_NOT_SUPPORTED) return 0;
            CublasApi.check(rc, "cublasLtMatmulAlgoGetHeuristic");
            return count.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static final int CUBLAS_STATUS_NOT_SUPPORTED = 15;

    static int matmul(long handle, long desc, MemorySegment alpha, long a, long aDesc, long b, long bDesc, MemorySegment beta,
            long c, long cDesc, long d, long dDesc, MemorySegment algo, long workspace, long workspaceBytes, long stream) {
        try {
            return (int) matmul.invokeExact(handle, desc, alpha, a, aDesc, b, bDesc, beta, c, cDesc, d, dDesc, algo, workspace,
                    workspaceBytes, stream);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    private static long created(MethodHandle h, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            CublasApi.check((int) h.invokeExact(out), name);
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    private static void call(MethodHandle h, String name, long handle) {
        try {
            CublasApi.check((int) h.invokeExact(handle), name);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }
}
