// In-place optimizer and EMA updates over contiguous tensors (Backend.adamUpdate, lerpInto,
// sumOfSquares): one pass per parameter instead of a dozen elementwise ops and their temporaries.
// Arithmetic in the compute type C (f32 for f32 and bf16 storage), as the CPU does in float.

template <class T>
__device__ __forceinline__ void adam_update(T* p, const T* g, T* m, T* v, int n, double b1, double b2, double decay,
                                            double l2, double eps, double step, double inv_bc2) {
    typedef typename TypeOps<T>::C C;
    const C cb1 = (C)b1, cb2 = (C)b2, cc1 = (C)(1 - b1), cc2 = (C)(1 - b2), cd = (C)decay, cl2 = (C)l2;
    const C ce = (C)eps, cs = (C)step, ci = (C)inv_bc2;
    GRID_STRIDE(i, n) {
        C pi = TypeOps<T>::to_c(p[i]), gi = TypeOps<T>::to_c(g[i]) + cl2 * pi;
        C mi = cb1 * TypeOps<T>::to_c(m[i]) + cc1 * gi, vi = cb2 * TypeOps<T>::to_c(v[i]) + cc2 * gi * gi;
        m[i] = TypeOps<T>::from_c(mi);
        v[i] = TypeOps<T>::from_c(vi);
        p[i] = TypeOps<T>::from_c(pi * cd - cs * mi / (m_sqrt(vi) * ci + ce));
    }
}

template <class T>
__device__ __forceinline__ void lerp_into(T* d, const T* s, int n, double w) {
    typedef typename TypeOps<T>::C C;
    const C cw = (C)w;
    GRID_STRIDE(i, n) {
        C di = TypeOps<T>::to_c(d[i]);
        d[i] = TypeOps<T>::from_c(di + cw * (TypeOps<T>::to_c(s[i]) - di));
    }
}

// acc[0] += sum of x[i]^2, in double: a block sum, then one atomicAdd per block.
template <class T>
__device__ __forceinline__ void sum_squares(const T* x, int n, double* acc) {
    __shared__ double shm[32];
    double s = 0;
    GRID_STRIDE(i, n) {
        double v = TypeOps<T>::to_d(x[i]);
        s += v * v;
    }
    s = row_sum<false>(s, shm);
    if (threadIdx.x == 0) atomicAdd(acc, s);
}

#define OPTIM_KERNELS(T, S) \
    extern "C" __global__ void adam_##S(T* p, const T* g, T* m, T* v, int n, double b1, double b2, double decay, double l2, \
                                        double eps, double step, double inv_bc2) { \
        adam_update<T>(p, g, m, v, n, b1, b2, decay, l2, eps, step, inv_bc2); } \
    extern "C" __global__ void lerp_##S(T* d, const T* s, int n, double w) { lerp_into<T>(d, s, n, w); } \
    extern "C" __global__ void sumsq_##S(const T* x, int n, double* acc) { sum_squares<T>(x, n, acc); }

OPTIM_KERNELS(float, f32)
OPTIM_KERNELS(bf16, bf16)
OPTIM_KERNELS(double, f64)
