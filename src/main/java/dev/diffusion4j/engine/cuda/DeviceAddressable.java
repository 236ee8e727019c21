package dev.diffusion4j.engine.cuda;

/**
 * Something that passes to a kernel as a device pointer. The launch reads the address while it
 * holds the object, so an object whose memory is returned when it becomes unreachable (a tensor
 * storage) stays alive until the kernel that uses it is queued.
 */
public interface DeviceAddressable {
    long deviceAddress();
}
