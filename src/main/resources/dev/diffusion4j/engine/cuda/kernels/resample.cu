// Pooling, resampling and the convolution bias over contiguous NCHW tensors; nc = N*C planes.
// bf16 computes in float. Backward passes gather (each input sums what it fed), except bilinear,
// whose taps are irregular: it scatters with atomicAdd into a float/double accumulator.

template <class T> __device__ __forceinline__ typename TypeOps<T>::C ld(const T* p, long long i) { return TypeOps<T>::to_c(p[i]); }

template <class T>
__device__ __forceinline__ void avgpool_fwd(const T* x, T* y, int nc, int h, int w, int oh, int ow, int k, int s) {
    typedef typename TypeOps<T>::C C;
    GRID_STRIDE(i, nc * oh * ow) {
        int ox = (int)i % ow, t = (int)i / ow, oy = t % oh, p = t / oh;
        const T* src = x + (long long)p * h * w;
        C sum = 0;
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++) sum += ld(src, (oy * s + a) * w + ox * s + b);
        y[i] = TypeOps<T>::from_c(sum / C(k * k));
    }
}

template <class T>
__device__ __forceinline__ void avgpool_bwd(const T* gy, T* dx, int nc, int h, int w, int oh, int ow, int k, int s) {
    typedef typename TypeOps<T>::C C;
    GRID_STRIDE(i, nc * h * w) {
        int xx = (int)i % w, t = (int)i / w, yy = t % h, p = t / h;
        // windows oy with oy*s <= yy < oy*s + k
        int oy0 = yy - k + 1 <= 0 ? 0 : (yy - k + s) / s, oy1 = min(oh - 1, yy / s);
        int ox0 = xx - k + 1 <= 0 ? 0 : (xx - k + s) / s, ox1 = min(ow - 1, xx / s);
        const T* g = gy + (long long)p * oh * ow;
        C sum = 0;
        for (int oy = oy0; oy <= oy1; oy++)
            for (int ox = ox0; ox <= ox1; ox++) sum += ld(g, oy * ow + ox);
        dx[i] = TypeOps<T>::from_c(sum / C(k * k));
    }
}

// One thread per input element, writing its f x f block (neighbouring threads write neighbouring runs of a row): the
// divisions are paid once per input element instead of once per output element.
template <class T>
__device__ __forceinline__ void nearest_fwd(const T* x, T* y, int nc, int h, int w, int f) {
    const int ow = w * f;
    GRID_STRIDE(i, nc * h * w) {
        const int ix = (int)i % w, t = (int)i / w;   // t = p * h + iy: output row block t * f
        const T v = x[i];
        T* o = y + (long long)t * f * ow + ix * f;
        for (int dy = 0; dy < f; dy++)
            for (int dx = 0; dx < f; dx++) o[dy * ow + dx] = v;
    }
}

template <class T>
__device__ __forceinline__ void nearest_bwd(const T* gy, T* dx, int nc, int h, int w, int f) {
    typedef typename TypeOps<T>::C C;
    int oh = h * f, ow = w * f;
    GRID_STRIDE(i, nc * h * w) {
        int xx = (int)i % w, t = (int)i / w, yy = t % h, p = t / h;
        const T* g = gy + ((long long)p * oh + yy * f) * ow + xx * f;
        C sum = 0;
        for (int a = 0; a < f; a++)
            for (int b = 0; b < f; b++) sum += ld(g, a * ow + b);
        dx[i] = TypeOps<T>::from_c(sum);
    }
}

// Channels-last nearest: x [N, H, W, C] with every pixel's channels repeated over an f x f block of y. A thread owns
// V neighbouring channels of one input pixel (16-byte vectors where C holds whole ones), so loads and stores are whole
// vectors; pixels = N * H * W, t = n * H + iy as in nearest_fwd.
template <class T, int V>
__device__ __forceinline__ void nearest_cl_fwd(const T* x, T* y, int pixels, int w, int c, int f) {
    const int cu = c / V, ow = w * f;
    GRID_STRIDE(i, pixels * cu) {
        const int u = (int)i % cu, p = (int)i / cu, ix = p % w, t = p / w;
        const Pack<T, V> v = *(const Pack<T, V>*)(x + (long long)p * c + u * V);
        for (int dy = 0; dy < f; dy++)
            for (int dx = 0; dx < f; dx++) *(Pack<T, V>*)(y + ((long long)(t * f + dy) * ow + ix * f + dx) * c + u * V) = v;
    }
}

template <class T, int V>
__device__ __forceinline__ void nearest_cl_bwd(const T* gy, T* dx, int pixels, int w, int c, int f) {
    typedef typename TypeOps<T>::C C;
    const int cu = c / V, ow = w * f;
    GRID_STRIDE(i, pixels * cu) {
        const int u = (int)i % cu, p = (int)i / cu, ix = p % w, t = p / w;
        C sum[V] = {};
        for (int dy = 0; dy < f; dy++)
            for (int dx0 = 0; dx0 < f; dx0++) {
                const Pack<T, V> g = *(const Pack<T, V>*)(gy + ((long long)(t * f + dy) * ow + ix * f + dx0) * c + u * V);
#pragma unroll
                for (int k = 0; k < V; k++) sum[k] += TypeOps<T>::to_c(g.v[k]);
            }
        Pack<T, V> out;
#pragma unroll
        for (int k = 0; k < V; k++) out.v[k] = TypeOps<T>::from_c(sum[k]);
        *(Pack<T, V>*)(dx + (long long)p * c + u * V) = out;
    }
}

// align_corners=false taps, in double exactly as CpuConvReference.bilinearTaps.
__device__ __forceinline__ void bilinear_taps(int dst, int in, int out, int& i0, int& i1, double& w0, double& w1) {
    double src = fmax(0.0, (dst + 0.5) * in / out - 0.5);
    i0 = min((int)floor(src), in - 1);
    i1 = min(i0 + 1, in - 1);
    double l = src - i0;
    w0 = 1.0 - l;
    w1 = l;
}

template <class T>
__device__ __forceinline__ void bilinear_fwd(const T* x, T* y, int nc, int h, int w, int oh, int ow) {
    typedef typename TypeOps<T>::C C;
    GRID_STRIDE(i, nc * oh * ow) {
        int ox = (int)i % ow, t = (int)i / ow, oy = t % oh, p = t / oh;
        int y0, y1, x0, x1;
        double wy0, wy1, wx0, wx1;
        bilinear_taps(oy, h, oh, y0, y1, wy0, wy1);
        bilinear_taps(ox, w, ow, x0, x1, wx0, wx1);
        const T* src = x + (long long)p * h * w;
        C v = C(wy0 * wx0) * ld(src, y0 * w + x0) + C(wy0 * wx1) * ld(src, y0 * w + x1)
            + C(wy1 * wx0) * ld(src, y1 * w + x0) + C(wy1 * wx1) * ld(src, y1 * w + x1);
        y[i] = TypeOps<T>::from_c(v);
    }
}

template <class T, class A>
__device__ __forceinline__ void bilinear_bwd(const T* gy, A* acc, int nc, int h, int w, int oh, int ow) {
    GRID_STRIDE(i, nc * oh * ow) {
        int ox = (int)i % ow, t = (int)i / ow, oy = t % oh, p = t / oh;
        int y0, y1, x0, x1;
        double wy0, wy1, wx0, wx1;
        bilinear_taps(oy, h, oh, y0, y1, wy0, wy1);
        bilinear_taps(ox, w, ow, x0, x1, wx0, wx1);
        A g = (A)TypeOps<T>::to_c(gy[i]);
        A* dst = acc + (long long)p * h * w;
        atomicAdd(dst + y0 * w + x0, A(wy0 * wx0) * g);
        atomicAdd(dst + y0 * w + x1, A(wy0 * wx1) * g);
        atomicAdd(dst + y1 * w + x0, A(wy1 * wx0) * g);
        atomicAdd(dst + y1 * w + x1, A(wy1 * wx1) * g);
    }
}

// y [N, C, HW] += bias [C] (+ z, a residual of y's shape, when not null), in place after a convolution, summed in the
// compute type; channels-last y [N, HW, C] comes as hw = 1. Whole 16-byte vectors where a channel's plane holds whole
// vectors: one element and two integer divisions per thread left it well below the memory bandwidth (issue 19).
template <class T>
__device__ __forceinline__ void bias_add(T* y, const T* b, const T* z, int c, int hw, int n) {
    typedef typename TypeOps<T>::C C;
    constexpr int V = 16 / sizeof(T);
    const bool aligned = ((unsigned long long)y | (unsigned long long)z) % 16 == 0;
    if (hw % V == 0 && aligned) {
        const int hwv = hw / V;
        GRID_STRIDE(i, n / V) {
            const C bc = TypeOps<T>::to_c(b[((int)i / hwv) % c]);
            Vec16<T> v = ((const Vec16<T>*)y)[i];
            if (z) {
                const Vec16<T> r = ((const Vec16<T>*)z)[i];
#pragma unroll
                for (int l = 0; l < V; l++) v.v[l] = TypeOps<T>::from_c(TypeOps<T>::to_c(v.v[l]) + bc + TypeOps<T>::to_c(r.v[l]));
            } else {
#pragma unroll
                for (int l = 0; l < V; l++) v.v[l] = TypeOps<T>::from_c(TypeOps<T>::to_c(v.v[l]) + bc);
            }
            ((Vec16<T>*)y)[i] = v;
        }
        return;
    }
    if (hw == 1 && c % V == 0 && aligned && (unsigned long long)b % 16 == 0) {   // channels-last: a vector is V neighbouring channels of one pixel
        const int cv = c / V;
        GRID_STRIDE(i, n / V) {
            const Vec16<T> bv = ((const Vec16<T>*)b)[(int)(i % cv)];
            Vec16<T> v = ((const Vec16<T>*)y)[i];
            if (z) {
                const Vec16<T> r = ((const Vec16<T>*)z)[i];
#pragma unroll
                for (int l = 0; l < V; l++)
                    v.v[l] = TypeOps<T>::from_c(TypeOps<T>::to_c(v.v[l]) + TypeOps<T>::to_c(bv.v[l]) + TypeOps<T>::to_c(r.v[l]));
            } else {
#pragma unroll
                for (int l = 0; l < V; l++) v.v[l] = TypeOps<T>::from_c(TypeOps<T>::to_c(v.v[l]) + TypeOps<T>::to_c(bv.v[l]));
            }
            ((Vec16<T>*)y)[i] = v;
        }
        return;
    }
    GRID_STRIDE(i, n) {
        C s = TypeOps<T>::to_c(y[i]) + TypeOps<T>::to_c(b[((int)i / hw) % c]);
        if (z) s += TypeOps<T>::to_c(z[i]);
        y[i] = TypeOps<T>::from_c(s);
    }
}

#define RESAMPLE_KERNELS(T, A, S) \
    extern "C" __global__ void avgpool_fwd_##S(const T* x, T* y, int nc, int h, int w, int oh, int ow, int k, int s) { \
        avgpool_fwd<T>(x, y, nc, h, w, oh, ow, k, s); } \
    extern "C" __global__ void avgpool_bwd_##S(const T* gy, T* dx, int nc, int h, int w, int oh, int ow, int k, int s) { \
        avgpool_bwd<T>(gy, dx, nc, h, w, oh, ow, k, s); } \
    extern "C" __global__ void nearest_fwd_##S(const T* x, T* y, int nc, int h, int w, int f) { nearest_fwd<T>(x, y, nc, h, w, f); } \
    extern "C" __global__ void nearest_bwd_##S(const T* gy, T* dx, int nc, int h, int w, int f) { nearest_bwd<T>(gy, dx, nc, h, w, f); } \
    extern "C" __global__ void bilinear_fwd_##S(const T* x, T* y, int nc, int h, int w, int oh, int ow) { \
        bilinear_fwd<T>(x, y, nc, h, w, oh, ow); } \
    extern "C" __global__ void bilinear_bwd_##S(const T* gy, A* acc, int nc, int h, int w, int oh, int ow) { \
        bilinear_bwd<T, A>(gy, acc, nc, h, w, oh, ow); } \
    extern "C" __global__ void nearest_cl_fwd_##S(const T* x, T* y, int pixels, int w, int c, int f, int vec) { \
        if (vec) nearest_cl_fwd<T, 16 / sizeof(T)>(x, y, pixels, w, c, f); else nearest_cl_fwd<T, 1>(x, y, pixels, w, c, f); } \
    extern "C" __global__ void nearest_cl_bwd_##S(const T* gy, T* dx, int pixels, int w, int c, int f, int vec) { \
        if (vec) nearest_cl_bwd<T, 16 / sizeof(T)>(gy, dx, pixels, w, c, f); else nearest_cl_bwd<T, 1>(gy, dx, pixels, w, c, f); } \
    extern "C" __global__ void bias_add_##S(T* y, const T* b, const T* z, int c, int hw, int n) { bias_add<T>(y, b, z, c, hw, n); }

RESAMPLE_KERNELS(float, float, f32)
RESAMPLE_KERNELS(bf16, float, bf16)
RESAMPLE_KERNELS(double, double, f64)
