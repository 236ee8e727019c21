package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The host values of the timestep tensors this package sends to a device. Coefficient tables are indexed on the host,
 * and reading t back from a GPU would wait for everything queued before it: in a sampling loop, the previous model
 * call; in a training step, the previous step. Timesteps made here are remembered (weakly, by identity; nothing writes
 * into a timestep tensor) and read from the host copy; any other tensor is read from its device.
 */
final class HostTimesteps {
    private static final Map<Tensor, long[]> KNOWN = Collections.synchronizedMap(new WeakHashMap<>());

    private HostTimesteps() {}

    /** values as an i64 [N] tensor on device, remembered there. The caller keeps values unchanged. */
    static Tensor upload(long[] values, Device device) {
        Tensor t = Tensor.ofLongs(values, values.length).to(device);
        KNOWN.put(t, values);   // on the CPU too, where reading is free: one behaviour everywhere
        return t;
    }

    /** The host copy of a tensor made by {@link #upload}, or null for any other tensor. */
    static long[] known(Tensor t) { return KNOWN.get(t); }

    /** t's values: the host copy of a tensor made by {@link #upload}, else read from t's device. */
    static long[] of(Tensor t) {
        long[] v = KNOWN.get(t);
        return v != null ? v : t.toLongArray();
    }
}
