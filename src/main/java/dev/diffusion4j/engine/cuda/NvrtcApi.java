package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/** NVRTC: CUDA C++ source to CUBIN (or PTX) at run time. */
final class NvrtcApi {
    private NvrtcApi() {}

    private static final int NVRTC_SUCCESS = 0;
    private static final int NVRTC_ERROR_COMPILATION = 6;

    private static final NativeLibrary LIB = CudaLibraries.nvrtc();
    private static final MethodHandle nvrtcGetErrorString = LIB.downcall("nvrtcGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle nvrtcVersion = LIB.downcall("nvrtcVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle nvrtcGetNumSupportedArchs = LIB.downcall("nvrtcGetNumSupportedArchs", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle nvrtcGetSupportedArchs = LIB.downcall("nvrtcGetSupportedArchs", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle nvrtcCreateProgram = LIB.downcall("nvrtcCreateProgram",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle nvrtcDestroyProgram = LIB.downcall("nvrtcDestroyProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle nvrtcCompileProgram = LIB.downcall("nvrtcCompileProgram", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS));
    private static final MethodHandle nvrtcGetProgramLogSize = LIB.downcall("nvrtcGetProgramLogSize", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle nvrtcGetProgramLog = LIB.downcall("nvrtcGetProgramLog", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle nvrtcGetCUBINSize = LIB.downcall("nvrtcGetCUBINSize", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle nvrtcGetCUBIN = LIB.downcall("nvrtcGetCUBIN", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle nvrtcGetPTXSize = LIB.downcall("nvrtcGetPTXSize", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle nvrtcGetPTX = LIB.downcall("nvrtcGetPTX", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));

    /** As DriverApi.unexpected, but without touching DriverApi: NVRTC works where no driver is installed (offline kernel checks). */
    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    /** What a compile produced: the image (CUBIN, or PTX with its NUL) and the compiler's log. */
    record Output(byte[] image, boolean cubin, String log) {}

    static String errorString(int status) {
        try {
            MemorySegment s = (MemorySegment) nvrtcGetErrorString.invokeExact(status);
            return s.equals(MemorySegment.NULL) ? "nvrtcResult " + status : s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return "nvrtcResult " + status;
        }
    }

    private static void check(int status, String call) {
        if (status != NVRTC_SUCCESS) {
            throw new CudaException(CudaException.failure(call, errorString(status), null), status, null);
        }
    }

    /** {major, minor}, e.g. {13, 0}. */
    static int[] version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment major = a.allocate(JAVA_INT);
            MemorySegment minor = a.allocate(JAVA_INT);
            check((int) nvrtcVersion.invokeExact(major, minor), "nvrtcVersion");
            return new int[] {major.get(JAVA_INT, 0), minor.get(JAVA_INT, 0)};
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** The compute capabilities this NVRTC can emit code for, e.g. 75, 80, ..., 120. */
    static int[] supportedArchs() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            check((int) nvrtcGetNumSupportedArchs.invokeExact(n), "nvrtcGetNumSupportedArchs");
            MemorySegment archs = a.allocate(JAVA_INT, n.get(JAVA_INT, 0));
            check((int) nvrtcGetSupportedArchs.invokeExact(archs), "nvrtcGetSupportedArchs");
            return archs.toArray(JAVA_INT);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * Compiles {@code source}; with {@code cubin} the options must name a real architecture
     * ({@code -arch=sm_90}), otherwise a virtual one ({@code -arch=compute_90}) and PTX comes back.
     * A compile error throws {@link KernelCompileException} carrying NVRTC's log.
     */
    static Output compile(String name, String source, List<String> options, boolean cubin) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment progOut = a.allocate(JAVA_LONG);
            check((int) nvrtcCreateProgram.invokeExact(progOut, a.allocateFrom(source), a.allocateFrom(name), 0,
                    MemorySegment.NULL, MemorySegment.NULL), "nvrtcCreateProgram(" + name + ")");
            long prog = progOut.get(JAVA_LONG, 0);
            try {
                MemorySegment opts = a.allocate(ADDRESS, Math.max(1, options.size()));
                for (int i = 0; i < options.size(); i++) opts.setAtIndex(ADDRESS, i, a.allocateFrom(options.get(i)));
                int rc = (int) nvrtcCompileProgram.invokeExact(prog, options.size(), opts);
                String log = log(a, prog);
                if (rc == NVRTC_ERROR_COMPILATION) {
                    throw new KernelCompileException("NVRTC could not compile " + name + " (options " + String.join(" ", options) + "):", log);
                }
                check(rc, "nvrtcCompileProgram(" + name + ")");
                MemorySegment size = a.allocate(JAVA_LONG);
                MethodHandle getSize = cubin ? nvrtcGetCUBINSize : nvrtcGetPTXSize;
                MethodHandle get = cubin ? nvrtcGetCUBIN : nvrtcGetPTX;
                check((int) getSize.invokeExact(prog, size), cubin ? "nvrtcGetCUBINSize" : "nvrtcGetPTXSize");
                long n = size.get(JAVA_LONG, 0);
                if (cubin && n == 0) {
                    throw new CudaException("NVRTC produced no CUBIN for " + name + ": the options name no real architecture (sm_XX)");
                }
                MemorySegment image = a.allocate(n);
                check((int) get.invokeExact(prog, image), cubin ? "nvrtcGetCUBIN" : "nvrtcGetPTX");
                return new Output(image.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), cubin, log);
            } finally {
                progOut.set(JAVA_LONG, 0, prog);
                int ignored = (int) nvrtcDestroyProgram.invokeExact(progOut);
            }
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static String log(Arena a, long prog) throws Throwable {
        MemorySegment size = a.allocate(JAVA_LONG);
        check((int) nvrtcGetProgramLogSize.invokeExact(prog, size), "nvrtcGetProgramLogSize");
        long n = size.get(JAVA_LONG, 0);
        if (n <= 1) return "";
        MemorySegment buf = a.allocate(n);
        check((int) nvrtcGetProgramLog.invokeExact(prog, buf), "nvrtcGetProgramLog");
        return buf.getString(0);
    }
}
