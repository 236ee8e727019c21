/**
 * The CUDA foundation under the CUDA backend, reached through the FFM API (no JNI, no native
 * jar): {@link dev.diffusion4j.engine.cuda.CudaLibraries} finds and loads the driver, NVRTC,
 * cuBLAS(Lt) and cuDNN; {@link dev.diffusion4j.engine.cuda.CudaContext} owns a device's primary
 * context, its one stream and its {@link dev.diffusion4j.engine.cuda.CudaAllocator caching
 * allocator}; {@link dev.diffusion4j.engine.cuda.KernelCache} compiles the .cu sources under
 * {@code resources/dev/diffusion4j/engine/cuda/kernels} to CUBINs cached on disk;
 * {@link dev.diffusion4j.engine.cuda.Cublas} and {@link dev.diffusion4j.engine.cuda.CudnnConvolution}
 * wrap the vendor libraries. {@link dev.diffusion4j.engine.cuda.CudaProbe} checks and times it all.
 *
 * <p>On top of it, {@link dev.diffusion4j.engine.cuda.CudaBackend} implements every
 * {@link dev.diffusion4j.engine.Backend} method on the GPU (found by
 * {@link dev.diffusion4j.engine.Backends} through {@link dev.diffusion4j.engine.cuda.CudaBackendFactory}):
 * tensors live in {@link dev.diffusion4j.engine.cuda.CudaStorage} blocks that a Cleaner returns to
 * the allocator, and the kernel families (CudaElementwise, CudaCopy, CudaRandom, CudaReduce,
 * CudaLinalg, CudaIndex, CudaConv, CudaResample, CudaNorm, CudaSoftmax) each own their .cu file.
 * docs/cuda-backend.md has the design and the measured parity and speed.
 */
package dev.diffusion4j.engine.cuda;
