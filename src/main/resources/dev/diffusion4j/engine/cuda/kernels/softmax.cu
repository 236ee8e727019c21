// Softmax / log-softmax along one dim of a contiguous tensor read as [outer, n, inner]: row r is
// (o = r / inner, i = r % inner), its element j at o*n*inner + j*inner + i (inner = 1 is the usual
// last-dim case, read coalesced). A warp per row when rows are short, else a block. The max is
// taken in the compute type, the sum of exponentials in double; a row that is all -inf gives 0
// (log: -inf) rather than NaN, as on the CPU.

template <bool WARP>
__device__ __forceinline__ double row_max(double a, double* shm) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) a = fmax(a, __shfl_xor_sync(0xffffffffu, a, o));
    if (WARP) return a;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    if (lane == 0) shm[warp] = a;
    __syncthreads();
    a = lane < nw ? shm[lane] : -F64_INF;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) a = fmax(a, __shfl_xor_sync(0xffffffffu, a, o));
    __syncthreads();
    return a;
}

template <class T, bool WARP>
__device__ __forceinline__ void softmax_fwd(const T* x, T* y, int rows, int n, int inner, int logMode) {
    typedef typename TypeOps<T>::C C;
    __shared__ double shm[32];
    ROW_LOOP(WARP, row, rows) {
        const long long base = (long long)(row / inner) * n * inner + row % inner;
        double m = -F64_INF;
#pragma unroll 4
        for (int j = tid_; j < n; j += nth_) m = fmax(m, TypeOps<T>::to_d(x[base + (long long)j * inner]));
        m = row_max<WARP>(m, shm);
        if (m == -F64_INF) { // fully masked row
    #pragma unroll 4
        for (int j = tid_; j < n; j += nth_) y[base + (long long)j * inner] = TypeOps<T>::from_d(logMode ? -F64_INF : 0.0);
            continue;
        }
        const C cm = (C)m;
        double s = 0;
#pragma unroll 4
        for (int j = tid_; j < n; j += nth_) s += (double)m_exp(TypeOps<T>::to_c(x[base + (long long)j * inner]) - cm);
        s = row_sum<WARP>(s, shm);
        if (logMode) {
            const C lse = (C)(m + log(s));
    #pragma unroll 4
        for (int j = tid_; j < n; j += nth_) {
                long long k = base + (long long)j * inner;
                y[k] = TypeOps<T>::from_c(TypeOps<T>::to_c(x[k]) - lse);
            }
        } else {
            const C inv = (C)(1.0 / s);
    #pragma unroll 4
        for (int j = tid_; j < n; j += nth_) {
                long long k = base + (long long)j * inner;
                y[k] = TypeOps<T>::from_c(m_exp(TypeOps<T>::to_c(x[k]) - cm) * inv);
            }
        }
    }
}

// softmax: dx = scale y (gy - sum(gy y)); log-softmax: dx = scale (gy - exp(y) sum(gy)). scale is 1 but for
// attention's recomputed backward, which folds the scores' scale in. dx may be gy (each element is read, then
// written, by one thread after the row's sum).
template <class T, bool WARP>
__device__ __forceinline__ void softmax_bwd(const T* y, const T* gy, T* dx, int rows, int n, int inner, int logMode, double scale) {
    typedef typename TypeOps<T>::C C;
    __shared__ double shm[32];
    ROW_LOOP(WARP, row, rows) {
        const long long base = (long long)(row / inner) * n * inner + row % inner;
        double s = 0;
#pragma unroll 4
        for (int j = tid_; j < n; j += nth_) {
            long long k = base + (long long)j * inner;
            double g = TypeOps<T>::to_d(gy[k]);
            s += logMode ? g : g * TypeOps<T>::to_d(y[k]);
        }
        s = row_sum<WARP>(s, shm);
        const C cs = (C)s, sc = (C)scale;
#pragma unroll 4
        for (int j = tid_; j < n; j += nth_) {
            long long k = base + (long long)j * inner;
            C yk = TypeOps<T>::to_c(y[k]), gk = TypeOps<T>::to_c(gy[k]);
            dx[k] = TypeOps<T>::from_c(sc * (logMode ? gk - m_exp(yk) * cs : yk * (gk - cs)));
        }
    }
}

// Attention's probabilities recomputed from the forward's log-sum-exp, in place over the raw scores s = q k^T of a
// contiguous [rows, n]: p = exp(scale s - lse[row]), one pass where scaling, the shift and exp would take three.
template <class T, bool WARP>
__device__ __forceinline__ void probs_from_lse(T* s, const float* lse, int rows, int n, double scale) {
    typedef typename TypeOps<T>::C C;
    const C sc = (C)scale;
    ROW_LOOP(WARP, row, rows) {
        T* r = s + (long long)row * n;
        const C l = (C)lse[row];
#pragma unroll 4
        for (int j = tid_; j < n; j += nth_) r[j] = TypeOps<T>::from_c(m_exp(sc * TypeOps<T>::to_c(r[j]) - l));
    }
}

#define SOFTMAX_KERNELS(T, SFX) \
    extern "C" __global__ void softmax_fwd_##SFX(const T* x, T* y, int rows, int n, int inner, int logMode, int warp) { \
        if (warp) softmax_fwd<T, true>(x, y, rows, n, inner, logMode); \
        else softmax_fwd<T, false>(x, y, rows, n, inner, logMode); } \
    extern "C" __global__ void softmax_bwd_##SFX(const T* y, const T* gy, T* dx, int rows, int n, int inner, int logMode, int warp, \
                                                 double scale) { \
        if (warp) softmax_bwd<T, true>(y, gy, dx, rows, n, inner, logMode, scale); \
        else softmax_bwd<T, false>(y, gy, dx, rows, n, inner, logMode, scale); } \
    extern "C" __global__ void probs_from_lse_##SFX(T* s, const float* lse, int rows, int n, int warp, double scale) { \
        if (warp) probs_from_lse<T, true>(s, lse, rows, n, scale); \
        else probs_from_lse<T, false>(s, lse, rows, n, scale); }

SOFTMAX_KERNELS(float, f32)
SOFTMAX_KERNELS(bf16, bf16)
SOFTMAX_KERNELS(double, f64)
