package dev.diffusion4j.engine.cuda;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A loaded CUBIN/PTX image; hands out its kernels by name. */
public final class CudaModule {
    private final CudaContext context;
    private final String name;
    private final long module;
    private final Map<String, Kernel> kernels = new ConcurrentHashMap<>();
    private volatile boolean unloaded;

    CudaModule(CudaContext context, String name, long module) {
        this.context = context;
        this.name = name;
        this.module = module;
    }

    public String name() {
        return name;
    }

    /** The {@code extern "C" __global__} function {@code function}. */
    public Kernel kernel(String function) {
        if (unloaded) throw new IllegalStateException("module " + name + " was unloaded");
        return kernels.computeIfAbsent(function, f -> {
            context.makeCurrent();
            try {
                return new Kernel(context, name + ":" + f, DriverApi.moduleGetFunction(module, f));
            } catch (CudaException e) {
                throw new CudaException(e.getMessage() + ": module " + name + " has no kernel '" + f
                        + "' (declare it extern \"C\" so its name is not mangled)", e.status(), e);
            }
        });
    }

    void unload() {
        if (unloaded) return;
        unloaded = true;
        context.makeCurrent();
        DriverApi.moduleUnload(module);
    }
}
