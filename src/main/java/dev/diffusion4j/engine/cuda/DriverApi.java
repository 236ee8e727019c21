package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * The CUDA driver API (libcuda), bound with the versioned symbols ({@code cuMemAlloc_v2}, ...)
 * because the unversioned exports are the legacy 32-bit ABI. Every call's status is checked.
 * Opaque handles (CUcontext, CUstream, CUmodule, CUfunction, CUevent) and device pointers travel
 * as {@code long}: a pointer and a 64-bit integer share a register class on the 64-bit ABIs we run
 * on, and a long needs no MemorySegment per call.
 */
final class DriverApi {
    private DriverApi() {}

    static final int CUDA_SUCCESS = 0;
    static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
    static final int CU_STREAM_NON_BLOCKING = 1;
    static final int CU_EVENT_DEFAULT = 0;
    /** Capture mode: other threads may make calls that are unsafe during capture (this one is guarded by CudaContext). */
    static final int CU_STREAM_CAPTURE_MODE_RELAXED = 2;
    static final int CU_EVENT_DISABLE_TIMING = 2;

    static final int ATTR_MAX_THREADS_PER_BLOCK = 1;
    static final int ATTR_WARP_SIZE = 10;
    static final int ATTR_MULTIPROCESSOR_COUNT = 16;
    static final int ATTR_MEMORY_CLOCK_RATE = 36;
    static final int ATTR_GLOBAL_MEMORY_BUS_WIDTH = 37;
    static final int ATTR_L2_CACHE_SIZE = 38;
    static final int ATTR_COMPUTE_CAPABILITY_MAJOR = 75;
    static final int ATTR_COMPUTE_CAPABILITY_MINOR = 76;
    static final int ATTR_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81;
    static final int ATTR_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

    static final int FUNC_ATTR_MAX_THREADS_PER_BLOCK = 0;
    static final int FUNC_ATTR_NUM_REGS = 4;
    static final int FUNC_ATTR_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

    private static final int CU_JIT_INFO_LOG_BUFFER = 3;
    private static final int CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
    private static final int CU_JIT_ERROR_LOG_BUFFER = 5;
    private static final int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
    private static final int JIT_LOG_BYTES = 16384;

    private static final NativeLibrary LIB = CudaLibraries.driver();

    private static final MethodHandle cuGetErrorName = LIB.downcall("cuGetErrorName", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle cuGetErrorString = LIB.downcall("cuGetErrorString", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle cuInit = LIB.downcall("cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle cuDriverGetVersion = LIB.downcall("cuDriverGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cuDeviceGetCount = LIB.downcall("cuDeviceGetCount", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cuDeviceGet = LIB.downcall("cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle cuDeviceGetAttribute = LIB.downcall("cuDeviceGetAttribute", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle cuDeviceGetName = LIB.downcall("cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle cuDeviceTotalMem = LIB.downcall("cuDeviceTotalMem_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle cuDevicePrimaryCtxRetain = LIB.downcall("cuDevicePrimaryCtxRetain", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle cuDevicePrimaryCtxRelease = LIB.downcall("cuDevicePrimaryCtxRelease_v2", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle cuCtxSetCurrent = LIB.downcall("cuCtxSetCurrent", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle cuCtxSynchronize = LIB.downcall("cuCtxSynchronize", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle cuStreamCreate = LIB.downcall("cuStreamCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle cuStreamDestroy = LIB.downcall("cuStreamDestroy_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle cuStreamSynchronize = LIB.downcall("cuStreamSynchronize", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle cuMemAlloc = LIB.downcall("cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle cuMemFree = LIB.downcall("cuMemFree_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle cuMemGetInfo = LIB.downcall("cuMemGetInfo_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle cuMemAllocHost = LIB.downcall("cuMemAllocHost_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle cuMemFreeHost = LIB.downcall("cuMemFreeHost", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cuMemcpyHtoDAsync = LIB.downcall("cuMemcpyHtoDAsync_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle cuMemcpyDtoHAsync = LIB.downcall("cuMemcpyDtoHAsync_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle cuMemcpyDtoDAsync = LIB.downcall("cuMemcpyDtoDAsync_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle cuMemsetD32Async = LIB.downcall("cuMemsetD32Async", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle cuModuleLoadDataEx = LIB.downcall("cuModuleLoadDataEx", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle cuModuleGetFunction = LIB.downcall("cuModuleGetFunction", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle cuModuleUnload = LIB.downcall("cuModuleUnload", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final FunctionDescriptor LAUNCH = FunctionDescriptor.of(JAVA_INT, JAVA_LONG,
            JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
    private static final MethodHandle cuLaunchKernel = LIB.downcall("cuLaunchKernel", LAUNCH);
    /** The same call without the Java thread-state transition; measured by the probe, not the default. */
    private static final MethodHandle cuLaunchKernelCritical = LIB.downcall("cuLaunchKernel", LAUNCH, Linker.Option.critical(false));
    private static final MethodHandle cuFuncSetAttribute = LIB.downcall("cuFuncSetAttribute", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
    private static final MethodHandle cuFuncGetAttribute = LIB.downcall("cuFuncGetAttribute", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle cuStreamBeginCapture = LIB.downcall("cuStreamBeginCapture_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle cuStreamEndCapture = LIB.downcall("cuStreamEndCapture", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle cuGraphGetNodes = LIB.downcall("cuGraphGetNodes", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle cuGraphInstantiate = LIB.downcall("cuGraphInstantiateWithFlags", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle cuGraphLaunch = LIB.downcall("cuGraphLaunch", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle cuGraphExecDestroy = LIB.downcall("cuGraphExecDestroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle cuGraphDestroy = LIB.downcall("cuGraphDestroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle cuEventCreate = LIB.downcall("cuEventCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle cuEventRecord = LIB.downcall("cuEventRecord", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle cuEventSynchronize = LIB.downcall("cuEventSynchronize", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle cuEventElapsedTime = LIB.downcallFirst(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG),
            "cuEventElapsedTime_v2", "cuEventElapsedTime");
    private static final MethodHandle cuEventDestroy = LIB.downcall("cuEventDestroy_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));

    // ---- errors ----

    static String errorName(int status) {
        return describe(cuGetErrorName, status, "CUresult " + status);
    }

    static String errorString(int status) {
        return describe(cuGetErrorString, status, "");
    }

    private static String describe(MethodHandle h, int status, String fallback) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int rc = (int) h.invokeExact(status, out);
            MemorySegment s = out.get(ADDRESS, 0);
            if (rc != CUDA_SUCCESS || s.equals(MemorySegment.NULL)) return fallback;
            return s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return fallback;
        }
    }

    static void check(int status, String call) {
        if (status != CUDA_SUCCESS) throw error(status, call);
    }

    static CudaException error(int status, String call) {
        return new CudaException(CudaException.failure(call, errorName(status), errorString(status)), status, null);
    }

    static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    // ---- initialisation and devices ----

    static void init() {
        try {
            check((int) cuInit.invokeExact(0), "cuInit(0)");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int driverVersion() {
        return intOut(out -> (int) cuDriverGetVersion.invokeExact(out), "cuDriverGetVersion");
    }

    static int deviceCount() {
        return intOut(out -> (int) cuDeviceGetCount.invokeExact(out), "cuDeviceGetCount");
    }

    static int device(int ordinal) {
        return intOut(out -> (int) cuDeviceGet.invokeExact(out, ordinal), "cuDeviceGet(" + ordinal + ")");
    }

    static int deviceAttribute(int attribute, int device) {
        return intOut(out -> (int) cuDeviceGetAttribute.invokeExact(out, attribute, device),
                "cuDeviceGetAttribute(" + attribute + ", device " + device + ")");
    }

    static String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            check((int) cuDeviceGetName.invokeExact(buf, 256, device), "cuDeviceGetName");
            return buf.getString(0, StandardCharsets.UTF_8);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long deviceTotalMemory(int device) {
        return longOut(out -> (int) cuDeviceTotalMem.invokeExact(out, device), "cuDeviceTotalMem_v2");
    }

    static long primaryContextRetain(int device) {
        return longOut(out -> (int) cuDevicePrimaryCtxRetain.invokeExact(out, device), "cuDevicePrimaryCtxRetain(device " + device + ")");
    }

    static void primaryContextRelease(int device) {
        try {
            check((int) cuDevicePrimaryCtxRelease.invokeExact(device), "cuDevicePrimaryCtxRelease_v2");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void contextSetCurrent(long context) {
        try {
            check((int) cuCtxSetCurrent.invokeExact(context), "cuCtxSetCurrent");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void contextSynchronize() {
        try {
            check((int) cuCtxSynchronize.invokeExact(), "cuCtxSynchronize");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---- streams and events ----

    static long streamCreate(int flags) {
        return longOut(out -> (int) cuStreamCreate.invokeExact(out, flags), "cuStreamCreate");
    }

    static void streamDestroy(long stream) {
        try {
            check((int) cuStreamDestroy.invokeExact(stream), "cuStreamDestroy_v2");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void streamSynchronize(long stream) {
        try {
            check((int) cuStreamSynchronize.invokeExact(stream), "cuStreamSynchronize");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---- stream capture and graphs ----

    static void streamBeginCapture(long stream, int mode) {
        try {
            check((int) cuStreamBeginCapture.invokeExact(stream, mode), "cuStreamBeginCapture_v2");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Ends the stream's capture and returns the graph (CUgraph); throws where the capture was invalidated. */
    static long streamEndCapture(long stream) {
        return longOut(out -> (int) cuStreamEndCapture.invokeExact(stream, out), "cuStreamEndCapture");
    }

    static long graphNodeCount(long graph) {
        return longOut(out -> (int) cuGraphGetNodes.invokeExact(graph, MemorySegment.NULL, out), "cuGraphGetNodes");
    }

    static long graphInstantiate(long graph) {
        return longOut(out -> (int) cuGraphInstantiate.invokeExact(out, graph, 0L), "cuGraphInstantiateWithFlags");
    }

    static void graphLaunch(long exec, long stream) {
        try {
            check((int) cuGraphLaunch.invokeExact(exec, stream), "cuGraphLaunch");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void graphExecDestroy(long exec) {
        try {
            check((int) cuGraphExecDestroy.invokeExact(exec), "cuGraphExecDestroy");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void graphDestroy(long graph) {
        try {
            check((int) cuGraphDestroy.invokeExact(graph), "cuGraphDestroy");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long eventCreate(int flags) {
        return longOut(out -> (int) cuEventCreate.invokeExact(out, flags), "cuEventCreate");
    }

    static void eventRecord(long event, long stream) {
        try {
            check((int) cuEventRecord.invokeExact(event, stream), "cuEventRecord");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void eventSynchronize(long event) {
        try {
            check((int) cuEventSynchronize.invokeExact(event), "cuEventSynchronize");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static float eventElapsedMillis(long start, long end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_FLOAT);
            check((int) cuEventElapsedTime.invokeExact(out, start, end), "cuEventElapsedTime");
            return out.get(JAVA_FLOAT, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void eventDestroy(long event) {
        try {
            check((int) cuEventDestroy.invokeExact(event), "cuEventDestroy_v2");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---- memory ----

    /** cuMemAlloc_v2, or 0 where the device is out of memory (the caller decides what to do). */
    static long tryMemAlloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            int rc = (int) cuMemAlloc.invokeExact(out, bytes);
            if (rc == CUDA_ERROR_OUT_OF_MEMORY) return 0;
            check(rc, "cuMemAlloc_v2(" + bytes + " bytes)");
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void memFree(long pointer) {
        try {
            check((int) cuMemFree.invokeExact(pointer), "cuMemFree_v2(0x" + Long.toHexString(pointer) + ")");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {free, total} bytes of the current context's device. */
    static long[] memGetInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(JAVA_LONG);
            MemorySegment total = a.allocate(JAVA_LONG);
            check((int) cuMemGetInfo.invokeExact(free, total), "cuMemGetInfo_v2");
            return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static MemorySegment memAllocHost(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cuMemAllocHost.invokeExact(out, bytes), "cuMemAllocHost_v2(" + bytes + " bytes)");
            return out.get(ADDRESS, 0).reinterpret(bytes);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void memFreeHost(MemorySegment pointer) {
        try {
            check((int) cuMemFreeHost.invokeExact(pointer), "cuMemFreeHost");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void memcpyHtoDAsync(long dst, MemorySegment src, long bytes, long stream) {
        try {
            int rc = (int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream);
            if (rc != CUDA_SUCCESS) throw error(rc, "cuMemcpyHtoDAsync_v2(" + bytes + " bytes)");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void memcpyDtoHAsync(MemorySegment dst, long src, long bytes, long stream) {
        try {
            int rc = (int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream);
            if (rc != CUDA_SUCCESS) throw error(rc, "cuMemcpyDtoHAsync_v2(" + bytes + " bytes)");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void memcpyDtoDAsync(long dst, long src, long bytes, long stream) {
        try {
            int rc = (int) cuMemcpyDtoDAsync.invokeExact(dst, src, bytes, stream);
            if (rc != CUDA_SUCCESS) throw error(rc, "cuMemcpyDtoDAsync_v2(" + bytes + " bytes)");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void memsetD32Async(long dst, int value, long count, long stream) {
        try {
            int rc = (int) cuMemsetD32Async.invokeExact(dst, value, count, stream);
            if (rc != CUDA_SUCCESS) throw error(rc, "cuMemsetD32Async(" + count + " words)");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---- modules and kernels ----

    /**
     * Loads a CUBIN (or NUL-terminated PTX) image with the JIT's info and error logs attached, so a
     * rejected image reports the driver's reason.
     */
    static long moduleLoadData(MemorySegment image, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment info = a.allocate(JIT_LOG_BYTES);
            MemorySegment err = a.allocate(JIT_LOG_BYTES);
            MemorySegment keys = a.allocateFrom(JAVA_INT, CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
                    CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
            MemorySegment values = a.allocate(ADDRESS, 4);
            values.setAtIndex(ADDRESS, 0, info);
            values.setAtIndex(ADDRESS, 1, MemorySegment.ofAddress(JIT_LOG_BYTES)); // sizes travel in the pointer slot
            values.setAtIndex(ADDRESS, 2, err);
            values.setAtIndex(ADDRESS, 3, MemorySegment.ofAddress(JIT_LOG_BYTES));
            MemorySegment out = a.allocate(JAVA_LONG);
            int rc = (int) cuModuleLoadDataEx.invokeExact(out, image, 4, keys, values);
            if (rc != CUDA_SUCCESS) {
                String log = err.getString(0);
                throw new KernelCompileException(CudaException.failure("cuModuleLoadDataEx(" + what + ")",
                        errorName(rc), errorString(rc)), log);
            }
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long moduleGetFunction(long module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            check((int) cuModuleGetFunction.invokeExact(out, module, a.allocateFrom(name)), "cuModuleGetFunction(" + name + ")");
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void moduleUnload(long module) {
        try {
            check((int) cuModuleUnload.invokeExact(module), "cuModuleUnload");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int launchKernel(long function, int gx, int gy, int gz, int bx, int by, int bz, int sharedBytes, long stream,
            MemorySegment params, boolean critical) {
        try {
            return critical
                    ? (int) cuLaunchKernelCritical.invokeExact(function, gx, gy, gz, bx, by, bz, sharedBytes, stream, params, MemorySegment.NULL)
                    : (int) cuLaunchKernel.invokeExact(function, gx, gy, gz, bx, by, bz, sharedBytes, stream, params, MemorySegment.NULL);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void functionSetAttribute(long function, int attribute, int value) {
        try {
            check((int) cuFuncSetAttribute.invokeExact(function, attribute, value), "cuFuncSetAttribute(" + attribute + ", " + value + ")");
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int functionGetAttribute(int attribute, long function) {
        return intOut(out -> (int) cuFuncGetAttribute.invokeExact(out, attribute, function), "cuFuncGetAttribute(" + attribute + ")");
    }

    // ---- out-parameter helpers ----

    @FunctionalInterface
    private interface IntCall {
        int call(MemorySegment out) throws Throwable;
    }

    private static int intOut(IntCall c, String call) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check(c.call(out), call);
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static long longOut(IntCall c, String call) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            check(c.call(out), call);
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
