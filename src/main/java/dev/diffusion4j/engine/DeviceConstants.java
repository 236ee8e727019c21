package dev.diffusion4j.engine;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Small tables a forward builds on the host (timestep frequencies, pooling divisors, attention masks), uploaded once
 * per device and type and reused: a forward then copies nothing from the host, which saves a copy per call and lets
 * CUDA graphs record it (a graph cannot replay an upload). The tensors are shared: read them, never write them.
 */
public final class DeviceConstants {
    /** Per backend (a device's context, by identity: a closed and reopened context gets new tables), by key. */
    private static final Map<Backend, Map<String, Tensor>> TABLES = new ConcurrentHashMap<>();

    private DeviceConstants() {}

    /**
     * The tensor {@code host} builds (on the CPU) for {@code key}, cast to {@code dtype} and on {@code device}; built
     * and uploaded on the first call per key, type and device. The key must name everything the table depends on.
     */
    public static Tensor get(String key, DType dtype, Device device, Supplier<Tensor> host) {
        Map<String, Tensor> tables = TABLES.computeIfAbsent(Backends.get(device), b -> new ConcurrentHashMap<>());
        return tables.computeIfAbsent(key + "|" + dtype.id(), k -> host.get().to(dtype).to(device));
    }
}
