package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.diffusion4j.engine.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * NCCL 2 (libnccl.so.2) bound through FFM: unique ids, communicator init/destroy/abort, all-reduce, broadcast, group
 * calls and error strings. Communicators (ncclComm_t) and streams travel as {@code long}, as in {@link DriverApi}.
 * Every status is checked; a failure is a {@link CudaException} naming the call and NCCL's error text.
 */
final class NcclApi {
    private NcclApi() {}

    static final int NCCL_SUCCESS = 0;
    static final int NCCL_IN_PROGRESS = 7;
    static final int NCCL_SUM = 0;
    /** ncclUniqueId: an opaque 128-byte struct passed by value to ncclCommInitRank. */
    static final MemoryLayout UNIQUE_ID = MemoryLayout.structLayout(MemoryLayout.sequenceLayout(128, JAVA_BYTE).withName("internal"));

    private static final NativeLibrary LIB = load();
    private static final MethodHandle ncclGetVersion = LIB.downcall("ncclGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ncclGetErrorString = LIB.downcall("ncclGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle ncclGetUniqueId = LIB.downcall("ncclGetUniqueId", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ncclCommInitRank = LIB.downcall("ncclCommInitRank",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, UNIQUE_ID, JAVA_INT));
    private static final MethodHandle ncclCommDestroy = LIB.downcall("ncclCommDestroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle ncclCommAbort = LIB.downcall("ncclCommAbort", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle ncclCommGetAsyncError = LIB.downcall("ncclCommGetAsyncError", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle ncclAllReduce = LIB.downcall("ncclAllReduce",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle ncclBroadcast = LIB.downcall("ncclBroadcast",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle ncclGroupStart = LIB.downcall("ncclGroupStart", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle ncclGroupEnd = LIB.downcall("ncclGroupEnd", FunctionDescriptor.of(JAVA_INT));

    /** Multicast (NVLS) stays off: it must be set in the environment before the first communicator is made. */
    private static NativeLibrary load() {
        setEnv("NCCL_NVLS_ENABLE", "0");
        return CudaLibraries.nccl();
    }

    private static void setEnv(String name, String value) {
        Linker linker = Linker.nativeLinker();
        var setenv = linker.defaultLookup().find("setenv").orElseThrow(() -> new CudaException("setenv not found in the C library"));
        MethodHandle h = linker.downcallHandle(setenv, FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) h.invokeExact(a.allocateFrom(name), a.allocateFrom(value), 1);
            if (rc != 0) throw new CudaException("setenv(" + name + ") failed");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    /** NCCL's datatype code for a tensor dtype. */
    static int dataType(DType d) {
        return switch (d) {
            case F16 -> 6;
            case F32 -> 7;
            case F64 -> 8;
            case BF16 -> 9;
            case I64 -> 4;
            case I32 -> 2;
            default -> throw new IllegalArgumentException("NCCL does not reduce " + d.id() + " tensors here");
        };
    }

    static String errorString(int status) {
        try {
            MemorySegment p = (MemorySegment) ncclGetErrorString.invokeExact(status);
            return p.equals(MemorySegment.NULL) ? "status " + status : p.reinterpret(4096).getString(0, StandardCharsets.UTF_8);
        } catch (Throwable t) {
            return "status " + status;
        }
    }

    static void check(int status, String call) {
        if (status != NCCL_SUCCESS) throw new CudaException(call + " failed: NCCL error " + status + " (" + errorString(status) + ")", status, null);
    }

    static int version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((int) ncclGetVersion.invokeExact(out), "ncclGetVersion");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    /** A new unique id (128 bytes), to be given to every rank's {@link #commInitRank}. */
    static byte[] uniqueId() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment id = a.allocate(UNIQUE_ID);
            check((int) ncclGetUniqueId.invokeExact(id), "ncclGetUniqueId");
            return id.toArray(JAVA_BYTE);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    /** Joins rank {@code rank} of {@code nranks} to the communicator of {@code id}; blocks until every rank has joined. */
    static long commInitRank(int nranks, byte[] id, int rank) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            MemorySegment idSeg = a.allocate(UNIQUE_ID);
            MemorySegment.copy(MemorySegment.ofArray(id), 0, idSeg, 0, 128);
            check((int) ncclCommInitRank.invokeExact(out, nranks, idSeg, rank), "ncclCommInitRank(rank " + rank + " of " + nranks + ")");
            return out.get(ADDRESS, 0).address();
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void commDestroy(long comm) {
        try {
            check((int) ncclCommDestroy.invokeExact(comm), "ncclCommDestroy");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    /** Frees the communicator and makes its pending and blocked operations return: the way out of a hung or failed group. */
    static void commAbort(long comm) {
        try {
            check((int) ncclCommAbort.invokeExact(comm), "ncclCommAbort");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    /** The communicator's asynchronous error (NCCL_SUCCESS while healthy, NCCL_IN_PROGRESS while an operation is pending). */
    static int asyncError(long comm) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((int) ncclCommGetAsyncError.invokeExact(comm, out), "ncclCommGetAsyncError");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void allReduceSum(long send, long recv, long count, int dataType, long comm, long stream) {
        try {
            check((int) ncclAllReduce.invokeExact(send, recv, count, dataType, NCCL_SUM, comm, stream), "ncclAllReduce(" + count + " elements)");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void broadcast(long send, long recv, long count, int dataType, int root, long comm, long stream) {
        try {
            check((int) ncclBroadcast.invokeExact(send, recv, count, dataType, root, comm, stream), "ncclBroadcast(" + count + " elements from rank " + root + ")");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void groupStart() {
        try {
            check((int) ncclGroupStart.invokeExact(), "ncclGroupStart");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }

    static void groupEnd() {
        try {
            check((int) ncclGroupEnd.invokeExact(), "ncclGroupEnd");
        } catch (Throwable t) {
            throw DriverApi.unexpected(t);
        }
    }
}
