package dev.diffusion4j.nn;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;

/**
 * A non-trainable tensor a module owns (a lookup table, running statistics). Persistent buffers are saved in
 * the state dict; non-persistent ones are rebuilt by the module's constructor. Like {@link Parameter}, a slot
 * whose tensor can be swapped when the module moves.
 */
public final class Buffer {
    private final String name;
    private final boolean persistent;
    private Tensor data;

    public Buffer(String name, Tensor value, boolean persistent) {
        this.name = name;
        this.persistent = persistent;
        this.data = value.detach();
    }

    public String name() { return name; }
    public boolean persistent() { return persistent; }
    public Tensor get() { return data; }

    /** Replaces the tensor; any shape is allowed (a buffer may be resized by its owner). */
    public void set(Tensor value) { data = value.detach(); }

    /** Overwrites the values in place (converting dtype and device); shapes must match. */
    public void copyFrom(Tensor src) { Slots.copyInto(data, src, "buffer '" + name + "'"); }

    /** For {@link Module#to}: integer buffers (indices) keep their dtype. */
    void convert(Device device, DType dtype) {
        try (var g = GradMode.off()) {
            Tensor t = data.to(device);
            if (dtype != null && t.dtype().isFloating()) t = t.to(dtype);
            data = t.detach();
        }
    }
}
