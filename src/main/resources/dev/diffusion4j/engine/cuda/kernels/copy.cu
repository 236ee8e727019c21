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

// Fast paths CudaCopy picks where the generic walk above wastes bandwidth (one element and a chain of divisions per
// thread): same-type rows of whole 16-byte words, and batched transposes.

// dst[r * dld + c] = src[r * sld + c] over rows x cols 16-byte words (SRC_T == DST_T, 16-byte aligned): a piece of a
// cat written into its channel slice, a contiguous() of an offset or row-strided view.
extern "C" __global__ void copy_rows16(const uint4* __restrict__ src, uint4* __restrict__ dst, int rows, int cols, int sld, int dld) {
    GRID_STRIDE(i, rows * cols) {
        const int r = i / cols, c = i - r * cols;
        dst[(long long)r * dld + c] = src[(long long)r * sld + c];
    }
}

// dst[b, r, c] = src[b, r, c] where the destination walks c with stride 1 and the source walks r with stride 1: a
// 32 x 32 tile goes through shared memory so both sides read and write whole rows (a head split or merge, [C, L] <->
// [L, C]). Grid (ceil(cols / 32), ceil(rows / 32), batch), block 32 x 8.
extern "C" __global__ void copy_transpose(const SRC_T* __restrict__ src, DST_T* __restrict__ dst, int rows, int cols,
                                          long long sb, int sc, long long db, int dr) {
    __shared__ DST_T tile[32][33];
    const int r0 = blockIdx.y * 32, c0 = blockIdx.x * 32;
    const SRC_T* s = src + blockIdx.z * sb;
    DST_T* d = dst + blockIdx.z * db;
    for (int j = threadIdx.y; j < 32; j += 8) {
        const int r = r0 + threadIdx.x, c = c0 + j;
        if (r < rows && c < cols) tile[threadIdx.x][j] = convert<SRC_T, DST_T>(s[r + (long long)c * sc]);
    }
    __syncthreads();
    for (int j = threadIdx.y; j < 32; j += 8) {
        const int r = r0 + j, c = c0 + threadIdx.x;
        if (r < rows && c < cols) d[(long long)r * dr + c] = tile[j][threadIdx.x];
    }
}
