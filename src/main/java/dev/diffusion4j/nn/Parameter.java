package dev.diffusion4j.nn;

import dev.diffusion4j.engine.Autocast;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;

/**
 * A trainable tensor slot. Modules read {@link #data()} at every forward, so optimizers and loaders may
 * overwrite the values in place ({@link #copyFrom}) or swap the tensor ({@link #set}, e.g. to move devices)
 * without the module noticing. The held tensor is always a leaf.
 */
public final class Parameter {
    private final String name;
    private Tensor data;
    private boolean trainable = true;

    /** Wraps {@code value} (detached, so a caller's tensor is never marked) as a trainable leaf. */
    public Parameter(String name, Tensor value) {
        if (!value.dtype().isFloating())
            throw new IllegalArgumentException("parameter '" + name + "' must be floating, got " + value.dtype().id());
        this.name = name;
        this.data = value.detach().requiresGrad(true);
    }

    /** The name this parameter was registered under in its module (the last part of its dotted name). */
    public String name() { return name; }

    /** The leaf tensor to compute with. */
    public Tensor data() { return data; }

    /** The tensors the parameters hold now (e.g. whose gradients a recorded training step writes). */
    public static java.util.List<Tensor> dataOf(java.util.List<Parameter> params) {
        java.util.List<Tensor> ts = new java.util.ArrayList<>(params.size());
        for (Parameter p : params) ts.add(p.data);
        return ts;
    }

    public Tensor grad() { return data.grad(); }
    public void setGrad(Tensor g) { data.setGrad(g); }
    public void zeroGrad() { data.zeroGrad(); }

    public int[] shape() { return data.shape(); }
    public long numel() { return data.numel(); }
    public DType dtype() { return data.dtype(); }
    public Device device() { return data.device(); }

    public boolean requiresGrad() { return trainable; }

    /** Freezes (false) or unfreezes the parameter; a frozen one gets no gradient and optimizers skip it. */
    public Parameter requiresGrad(boolean value) {
        trainable = value;
        data.requiresGrad(value);
        return this;
    }

    /**
     * Replaces the tensor (same shape; dtype and device may change). The old tensor's gradient is dropped:
     * optimizer state made for the old tensor no longer fits when the device or dtype changed.
     */
    public void set(Tensor value) {
        if (!java.util.Arrays.equals(value.shape(), data.shape()))
            throw new IllegalArgumentException("parameter '" + name + "' has shape " + Shape.str(data.shape())
                    + ", cannot set a tensor of shape " + Shape.str(value.shape()));
        if (!value.dtype().isFloating())
            throw new IllegalArgumentException("parameter '" + name + "' must be floating, got " + value.dtype().id());
        data = value.detach().requiresGrad(trainable);
    }

    /** Overwrites the values in place (converting dtype and device), keeping this tensor object. */
    public void copyFrom(Tensor src) {
        Slots.copyInto(data, src, "parameter '" + name + "'");
        Autocast.forgetCasts();   // an open autocast scope's bf16 copy of the old values must not be reused
    }

    @Override public String toString() {
        return "Parameter(" + name + ", " + Shape.str(data.shape()) + ", " + data.dtype().id() + ", " + data.device() + ")";
    }

    /** Converts for {@link Module#to}: a fresh leaf tensor on the target, gradient dropped. */
    void convert(Device device, DType dtype) {
        try (var g = GradMode.off()) {
            Tensor t = data.to(device);
            if (dtype != null) t = t.to(dtype);
            if (t != data) data = t.detach().requiresGrad(trainable);
        }
    }
}
