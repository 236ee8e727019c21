// Unary maps y = f(x; p, q) and their backward gx = gy * f'(x), one op per compiled module:
// CudaElementwise compiles this file with -DOP_<UnaryOp name>. The formulas mirror
// UnaryOp.apply / UnaryOp.derivative; f32 and bf16 compute in float, f64 in double.

#define SQRT_2_OVER_PI 0.7978845608028654
#define INV_SQRT_2 0.7071067811865476
#define TWO_OVER_SQRT_PI 1.1283791670955126
#define INV_SQRT_2PI 0.3989422804014327

template <class C> __device__ __forceinline__ C sigmoid_c(C x) {
    if (x >= C(0)) return C(1) / (C(1) + m_exp(-x));
    C e = m_exp(x);
    return e / (C(1) + e);
}

template <class C> __device__ __forceinline__ C signum_c(C x) { return x > C(0) ? C(1) : (x < C(0) ? C(-1) : x); }

template <class C> __device__ __forceinline__ C uop_apply(C x, C p, C q) {
#if defined(OP_AFFINE)
    return p * x + q;
#elif defined(OP_NEG)
    return -x;
#elif defined(OP_EXP)
    return m_exp(x);
#elif defined(OP_LOG)
    return m_log(x);
#elif defined(OP_SQRT)
    return m_sqrt(x);
#elif defined(OP_RSQRT)
    return C(1) / m_sqrt(x);
#elif defined(OP_ABS)
    return m_abs(x);
#elif defined(OP_SQUARE)
    return x * x;
#elif defined(OP_RECIPROCAL)
    return C(1) / x;
#elif defined(OP_POW)
    return m_pow(x, p);
#elif defined(OP_CLAMP)
    return x < p ? p : (x > q ? q : x);
#elif defined(OP_SIN)
    return m_sin(x);
#elif defined(OP_COS)
    return m_cos(x);
#elif defined(OP_TANH)
    return m_tanh(x);
#elif defined(OP_SIGMOID)
    return sigmoid_c(x);
#elif defined(OP_SILU)
    return x * sigmoid_c(x);
#elif defined(OP_RELU)
    return x > C(0) ? x : C(0);
#elif defined(OP_GELU_ERF)
    return C(0.5) * x * (C(1) + m_erf(x * C(INV_SQRT_2)));
#elif defined(OP_GELU_TANH)
    return C(0.5) * x * (C(1) + m_tanh(C(SQRT_2_OVER_PI) * (x + C(0.044715) * x * x * x)));
#elif defined(OP_SOFTPLUS)
    return x > C(20) ? x : m_log1p(m_exp(x));
#elif defined(OP_ERF)
    return m_erf(x);
#elif defined(OP_SIGN)
    return signum_c(x);
#else
#error "compile unary.cu with -DOP_<UnaryOp>"
#endif
}

// dy/dx at x, with y = f(x) already computed.
template <class C> __device__ __forceinline__ C uop_deriv(C x, C y, C p, C q) {
#if defined(OP_AFFINE)
    return p;
#elif defined(OP_NEG)
    return C(-1);
#elif defined(OP_EXP)
    return y;
#elif defined(OP_LOG)
    return C(1) / x;
#elif defined(OP_SQRT)
    return C(0.5) / y;
#elif defined(OP_RSQRT)
    return C(-0.5) * y / x;
#elif defined(OP_ABS)
    return signum_c(x);
#elif defined(OP_SQUARE)
    return C(2) * x;
#elif defined(OP_RECIPROCAL)
    return -y * y;
#elif defined(OP_POW)
    return p == C(0) ? C(0) : p * m_pow(x, p - C(1));
#elif defined(OP_CLAMP)
    return x < p || x > q ? C(0) : C(1);
#elif defined(OP_SIN)
    return m_cos(x);
#elif defined(OP_COS)
    return -m_sin(x);
#elif defined(OP_TANH)
    return C(1) - y * y;
#elif defined(OP_SIGMOID)
    return y * (C(1) - y);
#elif defined(OP_SILU)
    C s = sigmoid_c(x);
    return s * (C(1) + x * (C(1) - s));
#elif defined(OP_RELU)
    return x > C(0) ? C(1) : C(0);
#elif defined(OP_GELU_ERF)
    return C(0.5) * (C(1) + m_erf(x * C(INV_SQRT_2))) + x * m_exp(C(-0.5) * x * x) * C(INV_SQRT_2PI);
#elif defined(OP_GELU_TANH)
    C u = C(SQRT_2_OVER_PI) * (x + C(0.044715) * x * x * x);
    C t = m_tanh(u);
    return C(0.5) * (C(1) + t) + C(0.5) * x * (C(1) - t * t) * C(SQRT_2_OVER_PI) * (C(1) + C(3 * 0.044715) * x * x);
#elif defined(OP_SOFTPLUS)
    return sigmoid_c(x);
#elif defined(OP_ERF)
    return C(TWO_OVER_SQRT_PI) * m_exp(-x * x);
#elif defined(OP_SIGN)
    return C(0);
#endif
}

template <class T>
__device__ __forceinline__ T fwd1(T x, double p, double q) {
    typedef TypeOps<T> O;
    typedef typename O::C C;
    return O::from_c(uop_apply<C>(O::to_c(x), (C)p, (C)q));
}

template <class T>
__device__ __forceinline__ T bwd1(T x, T y, T g, double p, double q) {
    typedef TypeOps<T> O;
    typedef typename O::C C;
    return O::from_c(O::to_c(g) * uop_deriv<C>(O::to_c(x), O::to_c(y), (C)p, (C)q));
}

// Operands: 0 = out, 1 = x.
template <class T>
__device__ __forceinline__ void unary_strided(const Layout& L, const T* x, T* y, double p, double q) {
    // unrolled: several independent strided loads in flight per thread
#pragma unroll 4
    GRID_STRIDE(i, L.n) {
        int off[2];
        layout_offsets<2>(L, i, off);
        y[off[0]] = fwd1(x[off[1]], p, q);
    }
}

// Contiguous x and y; vec says both start 4-element aligned.
template <class T>
__device__ __forceinline__ void unary_contig(const T* x, T* y, int n, int vec, double p, double q) {
    int head = 0;
    if (vec) {
        int nv = n >> 2;
        GRID_STRIDE(i, nv) {
            Vec4<T> a = reinterpret_cast<const Vec4<T>*>(x)[i], r;
#pragma unroll
            for (int k = 0; k < 4; k++) r.v[k] = fwd1(a.v[k], p, q);
            reinterpret_cast<Vec4<T>*>(y)[i] = r;
        }
        head = nv << 2;
    }
    GRID_STRIDE(j, n - head) y[head + j] = fwd1(x[head + j], p, q);
}

// Operands: 0 = out, 1 = x, 2 = y, 3 = gy.
template <class T>
__device__ __forceinline__ void unary_bwd_strided(const Layout& L, const T* x, const T* y, const T* g, T* o, double p, double q) {
    // unrolled: several independent strided loads in flight per thread
#pragma unroll 4
    GRID_STRIDE(i, L.n) {
        int off[4];
        layout_offsets<4>(L, i, off);
        o[off[0]] = bwd1(x[off[1]], y[off[2]], g[off[3]], p, q);
    }
}

template <class T>
__device__ __forceinline__ void unary_bwd_contig(const T* x, const T* y, const T* g, T* o, int n, int vec, double p, double q) {
    int head = 0;
    if (vec) {
        int nv = n >> 2;
        GRID_STRIDE(i, nv) {
            Vec4<T> a = reinterpret_cast<const Vec4<T>*>(x)[i], b = reinterpret_cast<const Vec4<T>*>(y)[i],
                    c = reinterpret_cast<const Vec4<T>*>(g)[i], r;
#pragma unroll
            for (int k = 0; k < 4; k++) r.v[k] = bwd1(a.v[k], b.v[k], c.v[k], p, q);
            reinterpret_cast<Vec4<T>*>(o)[i] = r;
        }
        head = nv << 2;
    }
    GRID_STRIDE(j, n - head) o[head + j] = bwd1(x[head + j], y[head + j], g[head + j], p, q);
}

#define UNARY_KERNELS(T, S) \
    extern "C" __global__ void unary_strided_##S(const __grid_constant__ Layout L, const T* x, T* y, double p, double q) { \
        unary_strided<T>(L, x, y, p, q); } \
    extern "C" __global__ void unary_contig_##S(const T* x, T* y, int n, int vec, double p, double q) { \
        unary_contig<T>(x, y, n, vec, p, q); } \
    extern "C" __global__ void unary_bwd_strided_##S(const __grid_constant__ Layout L, const T* x, const T* y, const T* g, T* o, \
                                                     double p, double q) { \
        unary_bwd_strided<T>(L, x, y, g, o, p, q); } \
    extern "C" __global__ void unary_bwd_contig_##S(const T* x, const T* y, const T* g, T* o, int n, int vec, double p, double q) { \
        unary_bwd_contig<T>(x, y, g, o, n, vec, p, q); }

UNARY_KERNELS(float, f32)
UNARY_KERNELS(bf16, bf16)
UNARY_KERNELS(double, f64)
