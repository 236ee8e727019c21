package dev.diffusion4j.engine.cuda;

/** A raw device address, e.g. an offset into a {@link DeviceBuffer}; passes to kernels as a pointer. */
public record DevicePointer(long address) {
    public DevicePointer plus(long byteOffset) {
        return new DevicePointer(address + byteOffset);
    }
}
