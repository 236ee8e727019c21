package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * cuDNN 9's backend ("graph") API: opaque descriptors built attribute by attribute, finalized, and an execution
 * plan run with a variant pack of device pointers. Unlike the legacy convolution calls, which redo much of their
 * planning on every call (measured on an H200: 130-400 us of host time per call), a finalized plan executes with
 * only the variant pack to build. Enum values are those of cudnn_graph.h (stable across cuDNN 9).
 */
final class CudnnGraphApi {
    private CudnnGraphApi() {}

    // cudnnBackendDescriptorType_t
    static final int POINTWISE_DESCRIPTOR = 0;
    static final int CONVOLUTION_DESCRIPTOR = 1;
    static final int ENGINE_DESCRIPTOR = 2;
    static final int ENGINECFG_DESCRIPTOR = 3;
    static final int ENGINEHEUR_DESCRIPTOR = 4;
    static final int EXECUTION_PLAN_DESCRIPTOR = 5;
    static final int OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR = 10;
    static final int OPERATION_CONVOLUTION_BACKWARD_FILTER_DESCRIPTOR = 11;
    static final int OPERATION_CONVOLUTION_BACKWARD_DATA_DESCRIPTOR = 12;
    static final int OPERATION_POINTWISE_DESCRIPTOR = 13;
    static final int OPERATIONGRAPH_DESCRIPTOR = 15;
    static final int VARIANT_PACK_DESCRIPTOR = 16;
    static final int TENSOR_DESCRIPTOR = 17;
    static final int MATMUL_DESCRIPTOR = 18;
    static final int OPERATION_MATMUL_DESCRIPTOR = 19;
    static final int REDUCTION_DESCRIPTOR = 21;
    static final int OPERATION_REDUCTION_DESCRIPTOR = 22;
    static final int OPERATION_RESHAPE_DESCRIPTOR = 31;

    // cudnnBackendAttributeType_t
    static final int TYPE_HANDLE = 0;
    static final int TYPE_DATA_TYPE = 1;
    static final int TYPE_BOOLEAN = 2;
    static final int TYPE_INT64 = 3;
    static final int TYPE_FLOAT = 4;
    static final int TYPE_DOUBLE = 5;
    static final int TYPE_VOID_PTR = 6;
    static final int TYPE_CONVOLUTION_MODE = 7;
    static final int TYPE_HEUR_MODE = 8;
    static final int TYPE_NUMERICAL_NOTE = 11;
    static final int TYPE_POINTWISE_MODE = 14;
    static final int TYPE_REDUCTION_OPERATOR = 18;
    static final int TYPE_BEHAVIOR_NOTE = 19;
    static final int TYPE_BACKEND_DESCRIPTOR = 15;

    // cudnnBackendAttributeName_t
    static final int ATTR_POINTWISE_MODE = 0;
    static final int ATTR_POINTWISE_MATH_PREC = 1;
    static final int ATTR_CONVOLUTION_COMP_TYPE = 100;
    static final int ATTR_CONVOLUTION_CONV_MODE = 101;
    static final int ATTR_CONVOLUTION_DILATIONS = 102;
    static final int ATTR_CONVOLUTION_FILTER_STRIDES = 103;
    static final int ATTR_CONVOLUTION_POST_PADDINGS = 104;
    static final int ATTR_CONVOLUTION_PRE_PADDINGS = 105;
    static final int ATTR_CONVOLUTION_SPATIAL_DIMS = 106;
    static final int ATTR_ENGINEHEUR_MODE = 200;
    static final int ATTR_ENGINEHEUR_OPERATION_GRAPH = 201;
    static final int ATTR_ENGINEHEUR_RESULTS = 202;
    static final int ATTR_ENGINECFG_ENGINE = 300;
    static final int ATTR_EXECUTION_PLAN_HANDLE = 400;
    static final int ATTR_EXECUTION_PLAN_ENGINE_CONFIG = 401;
    static final int ATTR_EXECUTION_PLAN_WORKSPACE_SIZE = 402;
    /** FORWARD's alpha; BWD_DATA's is +6 and BWD_FILTER's +12, and so on for the other five (see {@link #opAttr}). */
    static final int ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA = 700;
    static final int ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR = 750;
    static final int ATTR_OPERATION_POINTWISE_XDESC = 751;
    static final int ATTR_OPERATION_POINTWISE_BDESC = 752;
    static final int ATTR_OPERATION_POINTWISE_YDESC = 753;
    static final int ATTR_OPERATIONGRAPH_HANDLE = 800;
    static final int ATTR_OPERATIONGRAPH_OPS = 801;
    static final int ATTR_TENSOR_BYTE_ALIGNMENT = 900;
    static final int ATTR_TENSOR_DATA_TYPE = 901;
    static final int ATTR_TENSOR_DIMENSIONS = 902;
    static final int ATTR_TENSOR_STRIDES = 903;
    static final int ATTR_TENSOR_UNIQUE_ID = 906;
    static final int ATTR_TENSOR_IS_VIRTUAL = 907;
    static final int ATTR_TENSOR_IS_BY_VALUE = 908;
    static final int ATTR_VARIANT_PACK_UNIQUE_IDS = 1000;
    static final int ATTR_VARIANT_PACK_DATA_POINTERS = 1001;
    static final int ATTR_VARIANT_PACK_WORKSPACE = 1003;
    static final int ATTR_ENGINE_GLOBAL_INDEX = 1301;
    static final int ATTR_ENGINE_NUMERICAL_NOTE = 1303;
    static final int ATTR_ENGINE_BEHAVIOR_NOTE = 1305;
    static final int ATTR_MATMUL_COMP_TYPE = 1500;
    static final int ATTR_OPERATION_MATMUL_ADESC = 1520;
    static final int ATTR_OPERATION_MATMUL_BDESC = 1521;
    static final int ATTR_OPERATION_MATMUL_CDESC = 1522;
    static final int ATTR_OPERATION_MATMUL_DESC = 1523;
    static final int ATTR_REDUCTION_OPERATOR = 1600;
    static final int ATTR_REDUCTION_COMP_TYPE = 1601;
    static final int ATTR_OPERATION_REDUCTION_XDESC = 1610;
    static final int ATTR_OPERATION_REDUCTION_YDESC = 1611;
    static final int ATTR_OPERATION_REDUCTION_DESC = 1612;
    static final int ATTR_OPERATION_RESHAPE_XDESC = 2200;
    static final int ATTR_OPERATION_RESHAPE_YDESC = 2201;

    // cudnnPointwiseMode_t
    static final int POINTWISE_ADD = 0;
    static final int POINTWISE_MUL = 1;
    static final int POINTWISE_DIV = 6;
    static final int POINTWISE_SUB = 9;
    static final int POINTWISE_EXP = 13;
    static final int POINTWISE_LOG = 15;

    // cudnnReduceTensorOp_t
    static final int REDUCE_ADD = 0;
    static final int REDUCE_MAX = 3;

    // cudnnBackendHeurMode_t
    static final int HEUR_MODE_FALLBACK = 2;
    static final int HEUR_MODE_A = 3;

    // cudnnBackendNumericalNote_t
    static final int NOTE_TENSOR_CORE = 0;
    static final int NOTE_DOWN_CONVERT_INPUTS = 1;

    // cudnnBackendBehaviorNote_t
    static final int BEHAVIOR_RUNTIME_COMPILATION = 0;

    static final int CUDNN_CROSS_CORRELATION = 1;

    private static final NativeLibrary LIB = CudaLibraries.cudnn();
    private static final MethodHandle create = LIB.downcall("cudnnBackendCreateDescriptor", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle destroy = LIB.downcall("cudnnBackendDestroyDescriptor", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle finalizeDesc = LIB.downcall("cudnnBackendFinalize", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle setAttribute = LIB.downcall("cudnnBackendSetAttribute",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle getAttribute = LIB.downcall("cudnnBackendGetAttribute",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle execute = LIB.downcall("cudnnBackendExecute", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));

    /** The attribute {@code forwardName} of a convolution operation, translated to {@code dir}'s operation. */
    static int opAttr(CudnnApi.Direction dir, int forwardName) {
        return forwardName + 6 * dir.ordinal();
    }

    static int operationType(CudnnApi.Direction dir) {
        return switch (dir) {
            case FORWARD -> OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR;
            case BACKWARD_DATA -> OPERATION_CONVOLUTION_BACKWARD_DATA_DESCRIPTOR;
            case BACKWARD_FILTER -> OPERATION_CONVOLUTION_BACKWARD_FILTER_DESCRIPTOR;
        };
    }

    static long create(int type) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            CudnnApi.check((int) create.invokeExact(type, out), "cudnnBackendCreateDescriptor(" + type + ")");
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void destroy(long desc) {
        if (desc == 0) return;
        try {
            CudnnApi.check((int) destroy.invokeExact(desc), "cudnnBackendDestroyDescriptor");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    /** Finalizes; returns the cuDNN status instead of throwing (an engine that cannot run a graph is not an error). */
    static int tryFinalize(long desc) {
        try {
            return (int) finalizeDesc.invokeExact(desc);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void finish(long desc, String what) {
        CudnnApi.check(tryFinalize(desc), "cudnnBackendFinalize(" + what + ")");
    }

    /** Sets an attribute from {@code values} already laid out in native memory. */
    static void set(long desc, int name, int type, long count, MemorySegment values) {
        try {
            CudnnApi.check((int) setAttribute.invokeExact(desc, name, type, count, values), "cudnnBackendSetAttribute(" + name + ")");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void setLongs(long desc, int name, int type, long... values) {
        try (Arena a = Arena.ofConfined()) {
            set(desc, name, type, values.length, a.allocateFrom(JAVA_LONG, values));
        }
    }

    static void setInt(long desc, int name, int type, int value) {
        try (Arena a = Arena.ofConfined()) {
            set(desc, name, type, 1, a.allocateFrom(JAVA_INT, value));
        }
    }

    /** alpha or beta: FLOAT for float and bf16 data, DOUBLE for double. */
    static void setScalar(long desc, int name, boolean isDouble, double value) {
        try (Arena a = Arena.ofConfined()) {
            if (isDouble) set(desc, name, TYPE_DOUBLE, 1, a.allocateFrom(JAVA_DOUBLE, value));
            else set(desc, name, TYPE_FLOAT, 1, a.allocateFrom(JAVA_FLOAT, (float) value));
        }
    }

    /** Reads up to {@code max} elements of 8 bytes (INT64, handles, descriptors) or 4 (enums) into {@code out}; the count read. */
    static long get(long desc, int name, int type, long max, MemorySegment out) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(JAVA_LONG);
            CudnnApi.check((int) getAttribute.invokeExact(desc, name, type, max, count, out), "cudnnBackendGetAttribute(" + name + ")");
            return count.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    /** Whether the enum-valued attribute {@code name} (notes: at most 16 values) lists {@code value}. */
    static boolean lists(long desc, int name, int type, int value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment values = a.allocate(JAVA_INT, 16);
            long n = Math.min(16, get(desc, name, type, 16, values));
            for (int i = 0; i < n; i++) if (values.getAtIndex(JAVA_INT, i) == value) return true;
            return false;
        }
    }

    static long getLong(long desc, int name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            get(desc, name, TYPE_INT64, 1, v);
            return v.get(JAVA_LONG, 0);
        }
    }

    static void execute(long handle, long plan, long variantPack) {
        try {
            CudnnApi.check((int) execute.invokeExact(handle, plan, variantPack), "cudnnBackendExecute");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    /**
     * A finalized tensor descriptor of any dims and strides: {@code virtual} for an intermediate that lives only inside
     * the fused kernels, {@code byValue} for a scalar whose variant-pack pointer is host memory (read at execution).
     */
    static long tensor(int dataType, long uid, long[] dims, long[] strides, int alignment, boolean virtual, boolean byValue) {
        long d = create(TENSOR_DESCRIPTOR);
        try (Arena a = Arena.ofConfined()) {
            setInt(d, ATTR_TENSOR_DATA_TYPE, TYPE_DATA_TYPE, dataType);
            setLongs(d, ATTR_TENSOR_DIMENSIONS, TYPE_INT64, dims);
            setLongs(d, ATTR_TENSOR_STRIDES, TYPE_INT64, strides);
            setLongs(d, ATTR_TENSOR_UNIQUE_ID, TYPE_INT64, uid);
            setLongs(d, ATTR_TENSOR_BYTE_ALIGNMENT, TYPE_INT64, alignment);
            if (virtual) set(d, ATTR_TENSOR_IS_VIRTUAL, TYPE_BOOLEAN, 1, a.allocateFrom(JAVA_BYTE, (byte) 1));
            if (byValue) set(d, ATTR_TENSOR_IS_BY_VALUE, TYPE_BOOLEAN, 1, a.allocateFrom(JAVA_BYTE, (byte) 1));
            finish(d, "tensor " + uid + " " + java.util.Arrays.toString(dims) + " strides " + java.util.Arrays.toString(strides));
            return d;
        } catch (RuntimeException e) {
            destroy(d);
            throw e;
        }
    }

    /** The most workspace a graph plan may ask for (plans that want more are passed over). */
    static final long WORKSPACE_LIMIT = 1L << 30;

    /** A plan built for an engine configuration: its descriptor, workspace and the engine's global index. */
    record Built(long plan, long workspaceBytes, long engineIndex) {}

    /**
     * The heuristics' engine configurations for {@code graph} in rank order, mode A's then the fallback list's, those
     * whose engine {@code admit} accepts; every descriptor made goes into {@code owned}.
     */
    static List<Long> engineConfigs(long graph, List<Long> owned, LongPredicate admit) {
        List<Long> out = new ArrayList<>();
        for (int mode : new int[] {HEUR_MODE_A, HEUR_MODE_FALLBACK}) {
            long heur = create(ENGINEHEUR_DESCRIPTOR);
            owned.add(heur);
            setLongs(heur, ATTR_ENGINEHEUR_OPERATION_GRAPH, TYPE_BACKEND_DESCRIPTOR, graph);
            setInt(heur, ATTR_ENGINEHEUR_MODE, TYPE_HEUR_MODE, mode);
            if (tryFinalize(heur) != 0) continue;
            int n = (int) get(heur, ATTR_ENGINEHEUR_RESULTS, TYPE_BACKEND_DESCRIPTOR, 0, MemorySegment.NULL);
            if (n <= 0) continue;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment cfgs = a.allocate(JAVA_LONG, n);
                for (int i = 0; i < n; i++) {
                    long cfg = create(ENGINECFG_DESCRIPTOR);
                    owned.add(cfg);
                    cfgs.setAtIndex(JAVA_LONG, i, cfg);
                }
                int got = (int) get(heur, ATTR_ENGINEHEUR_RESULTS, TYPE_BACKEND_DESCRIPTOR, n, cfgs);
                for (int i = 0; i < Math.min(n, got); i++) {
                    long cfg = cfgs.getAtIndex(JAVA_LONG, i);
                    if (admit.test(engineOf(cfg, owned))) out.add(cfg);
                }
            }
        }
        return out;
    }

    /** The engine of an engine configuration (a new descriptor, kept in {@code owned}). */
    static long engineOf(long cfg, List<Long> owned) {
        long engine = create(ENGINE_DESCRIPTOR);
        owned.add(engine);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocateFrom(JAVA_LONG, engine);
            get(cfg, ATTR_ENGINECFG_ENGINE, TYPE_BACKEND_DESCRIPTOR, 1, e);
        }
        return engine;
    }

    /** A finalized plan for {@code cfg}, or null when the engine cannot run the graph or wants more than {@code maxWorkspace}. */
    static Built tryPlan(long handle, long cfg, List<Long> owned, long maxWorkspace) {
        long plan = create(EXECUTION_PLAN_DESCRIPTOR);
        setLongs(plan, ATTR_EXECUTION_PLAN_HANDLE, TYPE_HANDLE, handle);
        setLongs(plan, ATTR_EXECUTION_PLAN_ENGINE_CONFIG, TYPE_BACKEND_DESCRIPTOR, cfg);
        if (tryFinalize(plan) != 0) {
            destroy(plan);
            return null;
        }
        try {
            long ws = getLong(plan, ATTR_EXECUTION_PLAN_WORKSPACE_SIZE);
            if (ws > maxWorkspace) {
                destroy(plan);
                return null;
            }
            return new Built(plan, ws, getLong(engineOf(cfg, owned), ATTR_ENGINE_GLOBAL_INDEX));
        } catch (RuntimeException e) {
            destroy(plan);
            throw e;
        }
    }

    /**
     * A fully packed 4-D tensor descriptor of dims [n, c, h, w] (or [k, c, r, s]), finalized: NCHW, or with
     * {@code channelsLast} NHWC (KRSC) memory, the channels innermost.
     */
    static long tensor(int dataType, long uid, int alignment, boolean channelsLast, long... dims) {
        long[] strides;
        if (channelsLast) {   // dense over (n, h, w, c)
            long[] t = denseStrides(dims[0], dims[2], dims[3], dims[1]);
            strides = new long[] {t[0], t[3], t[1], t[2]};
        } else {
            strides = denseStrides(dims);
        }
        return tensor(dataType, uid, dims, strides, alignment, false, false);
    }

    /** The strides of a row-major dense tensor of these dims. */
    static long[] denseStrides(long... dims) {
        long[] st = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            st[i] = acc;
            acc *= dims[i];
        }
        return st;
    }
}
