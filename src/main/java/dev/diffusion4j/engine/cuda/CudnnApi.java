package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * cuDNN 9: handle, version, and the legacy convolution API (descriptors, algorithm choice,
 * forward / backward-data / backward-filter). Deprecated in cuDNN 9 but present (libcudnn_cnn);
 * kept behind {@link Convolution2d} so the graph API can replace it.
 */
final class CudnnApi {
    private CudnnApi() {}

    static final int CUDNN_TENSOR_NCHW = 0;
    static final int CUDNN_TENSOR_NHWC = 1;
    static final int CUDNN_DATA_FLOAT = 0;
    static final int CUDNN_DATA_HALF = 2;
    static final int CUDNN_DATA_BFLOAT16 = 9;
    static final int CUDNN_CROSS_CORRELATION = 1;
    static final int CUDNN_DEFAULT_MATH = 0;
    static final int CUDNN_TENSOR_OP_MATH = 1;
    static final int CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2;
    static final int CUDNN_FMA_MATH = 3;

    /** One row of cuDNN's algorithm ranking (cudnnConvolution*AlgoPerf_t, 48 bytes). */
    record AlgoPerf(int algo, int status, float timeMs, long workspaceBytes, int determinism, int mathType) {}

    private static final long PERF_BYTES = 48;

    private static final NativeLibrary LIB = CudaLibraries.cudnn();
    private static final MethodHandle cudnnGetVersion = LIB.downcall("cudnnGetVersion", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle cudnnGetErrorString = LIB.downcall("cudnnGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle cudnnGetLastErrorString = LIB.downcallOrNull("cudnnGetLastErrorString", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG));
    private static final MethodHandle cudnnCreate = LIB.downcall("cudnnCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cudnnDestroy = LIB.downcall("cudnnDestroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle cudnnSetStream = LIB.downcall("cudnnSetStream", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));

    private static final FunctionDescriptor CREATE = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    private static final FunctionDescriptor DESTROY = FunctionDescriptor.of(JAVA_INT, JAVA_LONG);
    private static final FunctionDescriptor INT_OUT = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS);
    private static final MethodHandle createTensor = LIB.downcall("cudnnCreateTensorDescriptor", CREATE);
    private static final MethodHandle destroyTensor = LIB.downcall("cudnnDestroyTensorDescriptor", DESTROY);
    private static final MethodHandle setTensor4d = LIB.downcall("cudnnSetTensor4dDescriptor",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle createFilter = LIB.downcall("cudnnCreateFilterDescriptor", CREATE);
    private static final MethodHandle destroyFilter = LIB.downcall("cudnnDestroyFilterDescriptor", DESTROY);
    private static final MethodHandle setFilter4d = LIB.downcall("cudnnSetFilter4dDescriptor",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle createConv = LIB.downcall("cudnnCreateConvolutionDescriptor", CREATE);
    private static final MethodHandle destroyConv = LIB.downcall("cudnnDestroyConvolutionDescriptor", DESTROY);
    private static final MethodHandle setConv2d = LIB.downcall("cudnnSetConvolution2dDescriptor",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle setConvMathType = LIB.downcall("cudnnSetConvolutionMathType", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle setConvGroupCount = LIB.downcall("cudnnSetConvolutionGroupCount", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle outputDim = LIB.downcall("cudnnGetConvolution2dForwardOutputDim",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle fwdMaxCount = LIB.downcall("cudnnGetConvolutionForwardAlgorithmMaxCount", INT_OUT);
    private static final MethodHandle bwdDataMaxCount = LIB.downcall("cudnnGetConvolutionBackwardDataAlgorithmMaxCount", INT_OUT);
    private static final MethodHandle bwdFilterMaxCount = LIB.downcall("cudnnGetConvolutionBackwardFilterAlgorithmMaxCount", INT_OUT);
    /** (handle, in1, in2, conv, out, requested, int* returned, perf*) for all three directions. */
    private static final FunctionDescriptor GET_V7 = FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle fwdGetV7 = LIB.downcall("cudnnGetConvolutionForwardAlgorithm_v7", GET_V7);
    private static final MethodHandle bwdDataGetV7 = LIB.downcall("cudnnGetConvolutionBackwardDataAlgorithm_v7", GET_V7);
    private static final MethodHandle bwdFilterGetV7 = LIB.downcall("cudnnGetConvolutionBackwardFilterAlgorithm_v7", GET_V7);
    /** (handle, d1, p1, d2, p2, conv, dOut, pOut, requested, int* returned, perf*, workspace, bytes). */
    private static final FunctionDescriptor FIND_EX = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle fwdFindEx = LIB.downcall("cudnnFindConvolutionForwardAlgorithmEx", FIND_EX);
    private static final MethodHandle bwdDataFindEx = LIB.downcall("cudnnFindConvolutionBackwardDataAlgorithmEx", FIND_EX);
    private static final MethodHandle bwdFilterFindEx = LIB.downcall("cudnnFindConvolutionBackwardFilterAlgorithmEx", FIND_EX);
    /** (handle, in1, in2, conv, out, algo, size_t*) for all three directions. */
    private static final FunctionDescriptor WS_SIZE = FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS);
    private static final MethodHandle fwdWorkspace = LIB.downcall("cudnnGetConvolutionForwardWorkspaceSize", WS_SIZE);
    private static final MethodHandle bwdDataWorkspace = LIB.downcall("cudnnGetConvolutionBackwardDataWorkspaceSize", WS_SIZE);
    private static final MethodHandle bwdFilterWorkspace = LIB.downcall("cudnnGetConvolutionBackwardFilterWorkspaceSize", WS_SIZE);
    /** (handle, alpha*, d1, p1, d2, p2, conv, algo, workspace, bytes, beta*, dOut, pOut) for all three directions. */
    private static final FunctionDescriptor RUN = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle convForward = LIB.downcall("cudnnConvolutionForward", RUN);
    private static final MethodHandle convBackwardData = LIB.downcall("cudnnConvolutionBackwardData", RUN);
    private static final MethodHandle convBackwardFilter = LIB.downcall("cudnnConvolutionBackwardFilter", RUN);

    /** The three directions of a convolution, each with its own algorithm family. */
    enum Direction {
        FORWARD("Forward", fwdMaxCount, fwdGetV7, fwdFindEx, fwdWorkspace, convForward),
        BACKWARD_DATA("BackwardData", bwdDataMaxCount, bwdDataGetV7, bwdDataFindEx, bwdDataWorkspace, convBackwardData),
        BACKWARD_FILTER("BackwardFilter", bwdFilterMaxCount, bwdFilterGetV7, bwdFilterFindEx, bwdFilterWorkspace, convBackwardFilter);

        final String label;
        final MethodHandle maxCount;
        final MethodHandle getV7;
        final MethodHandle findEx;
        final MethodHandle workspace;
        final MethodHandle run;

        Direction(String label, MethodHandle maxCount, MethodHandle getV7, MethodHandle findEx, MethodHandle workspace, MethodHandle run) {
            this.label = label;
            this.maxCount = maxCount;
            this.getV7 = getV7;
            this.findEx = findEx;
            this.workspace = workspace;
            this.run = run;
        }
    }

    static String errorString(int status) {
        try {
            MemorySegment s = (MemorySegment) cudnnGetErrorString.invokeExact(status);
            return s.equals(MemorySegment.NULL) ? "cudnnStatus " + status : s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return "cudnnStatus " + status;
        }
    }

    /** cuDNN 9's own explanation of the last failure on this thread, or "". */
    private static String lastError() {
        if (cudnnGetLastErrorString == null) return "";
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(1024);
            cudnnGetLastErrorString.invokeExact(buf, 1024L);
            return buf.getString(0).strip();
        } catch (Throwable t) {
            return "";
        }
    }

    static void check(int status, String call) {
        if (status == 0) return;
        String detail = lastError();
        throw new CudaException(call + " failed: " + errorString(status) + " (status " + status + ")"
                + (detail.isEmpty() ? "" : ": " + detail), status, null);
    }

    /** e.g. 91000 for 9.10.0. */
    static long version() {
        try {
            return (long) cudnnGetVersion.invokeExact();
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static long create() {
        return handleOut(cudnnCreate, "cudnnCreate");
    }

    static void destroy(long handle) {
        call(cudnnDestroy, handle, "cudnnDestroy");
    }

    static void setStream(long handle, long stream) {
        try {
            check((int) cudnnSetStream.invokeExact(handle, stream), "cudnnSetStream");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    // ---- descriptors ----

    /** A packed tensor descriptor of dims n, c, h, w in the given format (CUDNN_TENSOR_NCHW or _NHWC). */
    static long tensor4d(int format, int dataType, int n, int c, int h, int w) {
        long d = handleOut(createTensor, "cudnnCreateTensorDescriptor");
        try {
            check((int) setTensor4d.invokeExact(d, format, dataType, n, c, h, w),
                    "cudnnSetTensor4dDescriptor(" + n + "x" + c + "x" + h + "x" + w + ")");
            return d;
        } catch (Throwable t) {
            destroyTensor(d);
            throw DriverApi.unexpected(t);
        }
    }

    static void destroyTensor(long d) {
        call(destroyTensor, d, "cudnnDestroyTensorDescriptor");
    }

    /** A filter descriptor of dims k, c, r, s in the given format (NCHW: KCRS memory; NHWC: KRSC). */
    static long filter4d(int format, int dataType, int k, int c, int r, int s) {
        long d = handleOut(createFilter, "cudnnCreateFilterDescriptor");
        try {
            check((int) setFilter4d.invokeExact(d, dataType, format, k, c, r, s),
                    "cudnnSetFilter4dDescriptor(" + k + "x" + c + "x" + r + "x" + s + ")");
            return d;
        } catch (Throwable t) {
            destroyFilter(d);
            throw DriverApi.unexpected(t);
        }
    }

    static void destroyFilter(long d) {
        call(destroyFilter, d, "cudnnDestroyFilterDescriptor");
    }

    static long convolution2d(int padH, int padW, int strideH, int strideW, int dilH, int dilW, int computeType, int mathType, int groups) {
        long d = handleOut(createConv, "cudnnCreateConvolutionDescriptor");
        try {
            check((int) setConv2d.invokeExact(d, padH, padW, strideH, strideW, dilH, dilW, CUDNN_CROSS_CORRELATION, computeType),
                    "cudnnSetConvolution2dDescriptor");
            check((int) setConvMathType.invokeExact(d, mathType), "cudnnSetConvolutionMathType(" + mathType + ")");
            if (groups != 1) check((int) setConvGroupCount.invokeExact(d, groups), "cudnnSetConvolutionGroupCount(" + groups + ")");
            return d;
        } catch (Throwable t) {
            destroyConvolution(d);
            throw DriverApi.unexpected(t);
        }
    }

    static void destroyConvolution(long d) {
        call(destroyConv, d, "cudnnDestroyConvolutionDescriptor");
    }

    /** {n, c, h, w} of the forward output, as cuDNN computes it. */
    static int[] outputDim(long conv, long x, long w) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT, 4);
            check((int) outputDim.invokeExact(conv, x, w, out, out.asSlice(4), out.asSlice(8), out.asSlice(12)),
                    "cudnnGetConvolution2dForwardOutputDim");
            return out.toArray(JAVA_INT);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    // ---- algorithms ----

    /** cuDNN's heuristic ranking (no kernels run), best first. Descriptors in the direction's order. */
    static List<AlgoPerf> heuristics(Direction dir, long handle, long in1, long in2, long conv, long out) {
        try (Arena a = Arena.ofConfined()) {
            int max = maxCount(dir, handle, a);
            MemorySegment returned = a.allocate(JAVA_INT);
            MemorySegment perf = a.allocate(PERF_BYTES * max, 8);
            check((int) dir.getV7.invokeExact(handle, in1, in2, conv, out, max, returned, perf),
                    "cudnnGetConvolution" + dir.label + "Algorithm_v7");
            return perfs(perf, returned.get(JAVA_INT, 0));
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    /** Times every algorithm on the given buffers (it writes the output), fastest first. */
    static List<AlgoPerf> benchmark(Direction dir, long handle, long d1, long p1, long d2, long p2, long conv, long dOut, long pOut,
            long workspace, long workspaceBytes) {
        try (Arena a = Arena.ofConfined()) {
            int max = maxCount(dir, handle, a);
            MemorySegment returned = a.allocate(JAVA_INT);
            MemorySegment perf = a.allocate(PERF_BYTES * max, 8);
            check((int) dir.findEx.invokeExact(handle, d1, p1, d2, p2, conv, dOut, pOut, max, returned, perf, workspace, workspaceBytes),
                    "cudnnFindConvolution" + dir.label + "AlgorithmEx");
            return perfs(perf, returned.get(JAVA_INT, 0));
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static long workspaceSize(Direction dir, long handle, long in1, long in2, long conv, long out, int algo) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check((int) dir.workspace.invokeExact(handle, in1, in2, conv, out, algo, size),
                    "cudnnGetConvolution" + dir.label + "WorkspaceSize(algo " + algo + ")");
            return size.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    /** out = alpha·op(in1, in2) + beta·out; alpha and beta are host floats. */
    static void run(Direction dir, long handle, MemorySegment alpha, long d1, long p1, long d2, long p2, long conv, int algo,
            long workspace, long workspaceBytes, MemorySegment beta, long dOut, long pOut) {
        try {
            check((int) dir.run.invokeExact(handle, alpha, d1, p1, d2, p2, conv, algo, workspace, workspaceBytes, beta, dOut, pOut),
                    "cudnnConvolution" + dir.label + "(algo " + algo + ", workspace " + workspaceBytes + " B)");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    private static int maxCount(Direction dir, long handle, Arena a) throws Throwable {
        MemorySegment n = a.allocate(JAVA_INT);
        check((int) dir.maxCount.invokeExact(handle, n), "cudnnGetConvolution" + dir.label + "AlgorithmMaxCount");
        return Math.max(1, n.get(JAVA_INT, 0));
    }

    private static List<AlgoPerf> perfs(MemorySegment perf, int count) {
        List<AlgoPerf> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long o = i * PERF_BYTES;
            out.add(new AlgoPerf(perf.get(JAVA_INT, o), perf.get(JAVA_INT, o + 4), perf.get(JAVA_FLOAT, o + 8),
                    perf.get(JAVA_LONG, o + 16), perf.get(JAVA_INT, o + 24), perf.get(JAVA_INT, o + 28)));
        }
        return out;
    }

    // ---- helpers ----

    private static long handleOut(MethodHandle create, String call) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            check((int) create.invokeExact(out), call);
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    private static void call(MethodHandle h, long arg, String call) {
        try {
            check((int) h.invokeExact(arg), call);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }
}
