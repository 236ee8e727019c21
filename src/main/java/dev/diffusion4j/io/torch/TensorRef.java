package dev.diffusion4j.io.torch;

/**
 * A tensor as the pickle describes it: a view (offset, sizes, strides, all in elements of {@code dtype}) into a
 * storage whose bytes are read only when the tensor is materialised.
 */
record TensorRef(StorageRef storage, long offset, long[] size, long[] stride, TorchDType dtype) {}
