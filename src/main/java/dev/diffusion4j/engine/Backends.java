package dev.diffusion4j.engine;

import dev.diffusion4j.engine.cpu.CpuBackend;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

/** Finds the backend for a device. The CUDA backend is looked up reflectively so the CPU build needs no GPU code paths. */
public final class Backends {
    private static final Map<Device, Backend> CACHE = new ConcurrentHashMap<>();
    private static final String CUDA_FACTORY = "dev.diffusion4j.engine.cuda.CudaBackendFactory";

    private Backends() {}

    public static Backend cpu() { return CpuBackend.INSTANCE; }

    public static Backend get(Device device) {
        if (device.kind() == Device.Kind.CPU) return CpuBackend.INSTANCE;
        return CACHE.computeIfAbsent(device, Backends::createCuda);
    }

    /** The device's memory as its backend counts it, or null where it keeps no count (the CPU). */
    public static MemoryUsage memoryUsage(Device device) {
        return get(device) instanceof MemoryUsage.Reporter r ? r.memoryUsage() : null;
    }

    /** True when a CUDA backend is built in and a device is usable; never throws. */
    public static boolean cudaAvailable() {
        try {
            Class<?> c = Class.forName(CUDA_FACTORY);
            return (Boolean) c.getMethod("available").invoke(null);
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return false;
        }
    }

    private static Backend createCuda(Device device) {
        try {
            Class<?> c = Class.forName(CUDA_FACTORY);
            return (Backend) c.getMethod("create", int.class).invoke(null, device.index());
        } catch (ClassNotFoundException e) {
            throw new UnsupportedOperationException("this build has no CUDA backend; use --device cpu");
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) throw re;
            throw new IllegalStateException("cannot start CUDA device " + device + ": " + cause, cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot start CUDA device " + device + ": " + e, e);
        }
    }
}
