package dev.diffusion4j.engine;

/** A flat buffer of elements owned by one backend. Tensors are strided views onto a storage. */
public abstract class Storage {
    private final DType dtype;
    private final int length;

    protected Storage(DType dtype, int length) { this.dtype = dtype; this.length = length; }

    public final DType dtype() { return dtype; }
    public final int length() { return length; }
    public abstract Backend backend();
    public final Device device() { return backend().device(); }
}
