package dev.diffusion4j.engine.cuda;

/** A kernel argument pointing into a tensor's storage; holding the storage keeps its memory from being recycled before the launch. */
record TensorPointer(CudaStorage storage, long deviceAddress) implements DeviceAddressable {}
