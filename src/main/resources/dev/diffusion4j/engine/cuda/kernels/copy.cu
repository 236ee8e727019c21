// Strided copies with conversion: contiguous(), copyInto() and cast() all land here. Compiled
// once per (source, destination) type pair with -DSRC_T=... -DDST_T=...; values pass through
// double exactly as CpuElementwise.cast does, so every rounding matches the CPU.

template <class S, class D> __device__ __forceinline__ D convert(S v) {
    return TypeOps<D>::from_d(TypeOps<S>::to_d(v));
}
// Same type: move the bits (keeps NaN payloads and -0, and works for every type).
template <> __device__ __forceinline__ float convert<float, float>(float v) { return v; }
template <> __device__ __forceinline__ double convert<double, double>(double v) { return v; }
template <> __device__ __forceinline__ bf16 convert<bf16, bf16>(bf16 v) { return v; }
template <> __device__ __forceinline__ half16 convert<half16, half16>(half16 v) { return v; }
template <> __device__ __forceinline__ i64 convert<i64, i64>(i64 v) { return v; }
template <> __device__ __forceinline__ int convert<int, int>(int v) { return v; }

// Operands: 0 = destination (may be a strided view), 1 = source (broadcast dims have stride 0).
extern "C" __global__ void copy_strided(const __grid_constant__ Layout L, const SRC_T* src, DST_T* dst) {
    // unrolled: several independent strided loads in flight per thread
#pragma unroll 4
    GRID_STRIDE(i, L.n) {
        int off[2];
        layout_offsets<2>(L, i, off);
        dst[off[0]] = convert<SRC_T, DST_T>(src[off[1]]);
    }
}

extern "C" __global__ void copy_contig(const SRC_T* src, DST_T* dst, int n) {
    GRID_STRIDE(i, n) dst[i] = convert<SRC_T, DST_T>(src[i]);
}
