// In-place optimizer and EMA updates and the gradient norm's sum of squares (Backend.adamUpdateAll, lerpIntoAll,
// sumOfSquares) over many contiguous tensors per launch: a step of a U-Net touches a few hundred parameters, most of
// them small, and one launch per parameter cost more than the arithmetic. Arithmetic in the compute type C (f32 for
// f32 and bf16 storage), as the CPU does in float.
//
// A MultiTensor table (passed by value, at most MT_MAX tensors, up to four pointers each) splits every tensor into
// chunks of MT_CHUNK elements, one block each: block b works on tensor k, the last with first_block[k] <= b.

#define MT_MAX 96
#define MT_CHUNK 4096

struct MultiTensor {
    int count;
    int first_block[MT_MAX + 1];
    int n[MT_MAX];
    long long a[MT_MAX], b[MT_MAX], c[MT_MAX], d[MT_MAX];
};

// This block's tensor and element range [start, end).
__device__ __forceinline__ int mt_chunk(const MultiTensor& t, int& start, int& end) {
    int lo = 0, hi = t.count - 1;
    const int blk = blockIdx.x;
    while (lo < hi) {
        int mid = (lo + hi + 1) >> 1;
        if (t.first_block[mid] <= blk) lo = mid; else hi = mid - 1;
    }
    start = (blk - t.first_block[lo]) * MT_CHUNK;
    end = min(t.n[lo], start + MT_CHUNK);
    return lo;
}

// Table a/b/c/d: param, grad, exp_avg, exp_avg_sq.
template <class T>
__device__ __forceinline__ void adam_multi(const MultiTensor& t, double b1, double b2, double decay, double l2, double eps,
                                           double step, double inv_bc2) {
    typedef typename TypeOps<T>::C C;
    const C cb1 = (C)b1, cb2 = (C)b2, cc1 = (C)(1 - b1), cc2 = (C)(1 - b2), cd = (C)decay, cl2 = (C)l2;
    const C ce = (C)eps, cs = (C)step, ci = (C)inv_bc2;
    int start, end;
    const int k = mt_chunk(t, start, end);
    T* p = (T*)t.a[k];
    const T* g = (const T*)t.b[k];
    T* m = (T*)t.c[k];
    T* v = (T*)t.d[k];
    for (int i = start + threadIdx.x; i < end; i += blockDim.x) {
        C pi = TypeOps<T>::to_c(p[i]), gi = TypeOps<T>::to_c(g[i]) + cl2 * pi;
        C mi = cb1 * TypeOps<T>::to_c(m[i]) + cc1 * gi, vi = cb2 * TypeOps<T>::to_c(v[i]) + cc2 * gi * gi;
        m[i] = TypeOps<T>::from_c(mi);
        v[i] = TypeOps<T>::from_c(vi);
        p[i] = TypeOps<T>::from_c(pi * cd - cs * mi / (m_sqrt(vi) * ci + ce));
    }
}

// Table a/b: dst, src; dst += w * (src - dst).
template <class T>
__device__ __forceinline__ void lerp_multi(const MultiTensor& t, double w) {
    typedef typename TypeOps<T>::C C;
    const C cw = (C)w;
    int start, end;
    const int k = mt_chunk(t, start, end);
    T* d = (T*)t.a[k];
    const T* s = (const T*)t.b[k];
    for (int i = start + threadIdx.x; i < end; i += blockDim.x) {
        C di = TypeOps<T>::to_c(d[i]);
        d[i] = TypeOps<T>::from_c(di + cw * (TypeOps<T>::to_c(s[i]) - di));
    }
}

// Table a: x; partial[blockIdx.x] = the sum of x^2 over this block's chunk, in double.
template <class T>
__device__ __forceinline__ void sumsq_multi(const MultiTensor& t, double* partial) {
    __shared__ double shm[32];
    int start, end;
    const int k = mt_chunk(t, start, end);
    const T* x = (const T*)t.a[k];
    double s = 0;
    for (int i = start + threadIdx.x; i < end; i += blockDim.x) {
        double v = TypeOps<T>::to_d(x[i]);
        s += v * v;
    }
    s = row_sum<false>(s, shm);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// Table a/b: src, dst; dst = src * min(1, max_norm / (norm[0] + 1e-6)) (gradient clipping's scaling, the factor
// computed in double on the device and rounded to T, as a multiply in T does; a NaN norm gives a NaN factor).
template <class T>
__device__ __forceinline__ void clip_scale_multi(const MultiTensor& t, const double* norm, double max_norm) {
    typedef typename TypeOps<T>::C C;
    double r = max_norm / (norm[0] + 1e-6);
    if (r > 1.0) r = 1.0;
    const C f = TypeOps<T>::to_c(TypeOps<T>::from_d(r));
    int start, end;
    const int k = mt_chunk(t, start, end);
    const T* x = (const T*)t.a[k];
    T* y = (T*)t.b[k];
    for (int i = start + threadIdx.x; i < end; i += blockDim.x) y[i] = TypeOps<T>::from_c(TypeOps<T>::to_c(x[i]) * f);
}

// Table a/b: src, dst of another type; dst = src converted as copy.cu's convert does (through double, so the same bits
// as a cast of each tensor): autocast's bf16 copies of many parameters, or their gradients back to f32, in one launch.
template <class S, class D>
__device__ __forceinline__ void cast_multi(const MultiTensor& t) {
    int start, end;
    const int k = mt_chunk(t, start, end);
    const S* x = (const S*)t.a[k];
    D* y = (D*)t.b[k];
    for (int i = start + threadIdx.x; i < end; i += blockDim.x) y[i] = TypeOps<D>::from_d(TypeOps<S>::to_d(x[i]));
}
extern "C" __global__ void cast_multi_f32_bf16(const __grid_constant__ MultiTensor t) { cast_multi<float, bf16>(t); }
extern "C" __global__ void cast_multi_bf16_f32(const __grid_constant__ MultiTensor t) { cast_multi<bf16, float>(t); }

// acc[0] += partial[0] + ... + partial[n-1] by one block, in a fixed order (the same total every run).
extern "C" __global__ void sum_partials(const double* partial, int n, double* acc) {
    __shared__ double shm[32];
    double s = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += partial[i];
    s = row_sum<false>(s, shm);
    if (threadIdx.x == 0) acc[0] += s;
}

#define OPTIM_KERNELS(T, S) \
    extern "C" __global__ void adam_multi_##S(const __grid_constant__ MultiTensor t, double b1, double b2, double decay, double l2, \
                                              double eps, double step, double inv_bc2) { \
        adam_multi<T>(t, b1, b2, decay, l2, eps, step, inv_bc2); } \
    extern "C" __global__ void lerp_multi_##S(const __grid_constant__ MultiTensor t, double w) { lerp_multi<T>(t, w); } \
    extern "C" __global__ void sumsq_multi_##S(const __grid_constant__ MultiTensor t, double* partial) { sumsq_multi<T>(t, partial); } \
    extern "C" __global__ void clip_scale_multi_##S(const __grid_constant__ MultiTensor t, const double* norm, double max_norm) { \
        clip_scale_multi<T>(t, norm, max_norm); }

OPTIM_KERNELS(float, f32)
OPTIM_KERNELS(bf16, bf16)
OPTIM_KERNELS(double, f64)
