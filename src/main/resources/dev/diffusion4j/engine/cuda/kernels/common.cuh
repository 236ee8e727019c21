// Prepended to every CUDA-backend kernel family (see CudaKernels): storage types, conversions
// that round like the CPU backend, and the by-value strided layout. No #include: NVRTC has no
// system headers, so everything used here is a builtin.

// 16-bit storage types as distinct structs so templates can tell bf16 from f16.
struct bf16 { unsigned short x; };
struct half16 { unsigned short x; };
typedef long long i64;

#define F32_INF __int_as_float(0x7f800000)
#define F64_INF __longlong_as_double(0x7ff0000000000000LL)

__device__ __forceinline__ float bf16_to_f(unsigned short b) { return __uint_as_float(((unsigned int)b) << 16); }

// Round to nearest even; NaN stays a quiet NaN (the CPU's CpuElementwise.toBf16 / Bf16.fromFloat).
__device__ __forceinline__ unsigned short f_to_bf16(float f) {
    unsigned int u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x40u);
    return (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

__device__ __forceinline__ float f16_to_f(unsigned short h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

__device__ __forceinline__ unsigned short f_to_f16(float f) {
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

// Per storage type: the compute type C (f32 for the 16-bit types), conversions to and from it,
// and exact conversions through double for casts (as CpuElementwise.read/write do).
template <class T> struct TypeOps;
template <> struct TypeOps<float> {
    typedef float C;
    static __device__ __forceinline__ float to_c(float v) { return v; }
    static __device__ __forceinline__ float from_c(float v) { return v; }
    static __device__ __forceinline__ double to_d(float v) { return (double)v; }
    static __device__ __forceinline__ float from_d(double v) { return (float)v; }
};
template <> struct TypeOps<double> {
    typedef double C;
    static __device__ __forceinline__ double to_c(double v) { return v; }
    static __device__ __forceinline__ double from_c(double v) { return v; }
    static __device__ __forceinline__ double to_d(double v) { return v; }
    static __device__ __forceinline__ double from_d(double v) { return v; }
};
template <> struct TypeOps<bf16> {
    typedef float C;
    static __device__ __forceinline__ float to_c(bf16 v) { return bf16_to_f(v.x); }
    static __device__ __forceinline__ bf16 from_c(float v) { bf16 r; r.x = f_to_bf16(v); return r; }
    static __device__ __forceinline__ double to_d(bf16 v) { return (double)bf16_to_f(v.x); }
    static __device__ __forceinline__ bf16 from_d(double v) { bf16 r; r.x = f_to_bf16((float)v); return r; }
};
template <> struct TypeOps<half16> {
    typedef float C;
    static __device__ __forceinline__ float to_c(half16 v) { return f16_to_f(v.x); }
    static __device__ __forceinline__ half16 from_c(float v) { half16 r; r.x = f_to_f16(v); return r; }
    static __device__ __forceinline__ double to_d(half16 v) { return (double)f16_to_f(v.x); }
    static __device__ __forceinline__ half16 from_d(double v) { half16 r; r.x = f_to_f16((float)v); return r; }
};
// Integer conversions as Java's casts: truncate toward zero, saturate, NaN to 0 (the hardware
// conversion gives the minimum for NaN, so NaN and the bounds are handled here).
__device__ __forceinline__ i64 d_to_i64(double v) {
    if (v != v) return 0;
    if (v >= 9223372036854775807.0) return 0x7fffffffffffffffLL;
    if (v <= -9223372036854775808.0) return (i64)0x8000000000000000ULL;
    return (i64)v;
}
__device__ __forceinline__ int d_to_i32(double v) {
    if (v != v) return 0;
    if (v >= 2147483647.0) return 2147483647;
    if (v <= -2147483648.0) return (int)0x80000000u;
    return (int)v;
}
template <> struct TypeOps<i64> {
    typedef double C;
    static __device__ __forceinline__ double to_c(i64 v) { return (double)v; }
    static __device__ __forceinline__ i64 from_c(double v) { return d_to_i64(v); }
    static __device__ __forceinline__ double to_d(i64 v) { return (double)v; }
    static __device__ __forceinline__ i64 from_d(double v) { return d_to_i64(v); }
};
template <> struct TypeOps<int> {
    typedef double C;
    static __device__ __forceinline__ double to_c(int v) { return (double)v; }
    static __device__ __forceinline__ int from_c(double v) { return d_to_i32(v); }
    static __device__ __forceinline__ double to_d(int v) { return (double)v; }
    static __device__ __forceinline__ int from_d(double v) { return d_to_i32(v); }
};

// One operand's [L, cols] matrices in the attention kernels: element (b, row, col) sits at
// p[b1 * s1 + b2 * s2 + row * r + col * c] with b = b1 * nb2 + b2 (the batch dims folded into at most two strides,
// BatchFold.java). Kernel parameters spell a view out as five arguments (VIEW_PARAMS); outputs cast p back to T*.
template <class T> struct View {
    const T* p;
    long long s1, s2, r, c;
    __device__ __forceinline__ long long base(int b, int nb2) const {
        return (long long)(b / nb2) * s1 + (long long)(b % nb2) * s2;
    }
};
#define VIEW_PARAMS(T, n) const T* n, long long n##_s1, long long n##_s2, long long n##_r, long long n##_c
#define VIEW_OF(T, n) View<T>{n, n##_s1, n##_s2, n##_r, n##_c}

// Traps unless the launch gave at least this much dynamic shared memory: a smaller one would corrupt memory.
__device__ __forceinline__ void require_smem_bytes(unsigned int bytes) {
    unsigned int have;
    asm volatile("mov.u32 %0, %%dynamic_smem_size;" : "=r"(have));
    if (have < bytes) __trap();
}

// A strided iteration space of up to 4 operands over one shape (StridedLayout.java writes it).
// Dims are right-aligned: the innermost is slot MAX_RANK-1, and only the last `rank` slots are
// used, so the unrolled loops below index the arrays with compile-time constants only.
#define MAX_RANK 8
#define MAX_OPS 4
struct __align__(16) Layout {
    int rank;
    int n;
    int shape[MAX_RANK];
    int stride[MAX_OPS][MAX_RANK];
    int offset[MAX_OPS];
};

// StridedLayout.java writes this struct byte by byte (ints only, so no padding inside): keep the two in step.
static_assert(sizeof(Layout) == 192, "Layout size");

// Element offsets of linear index i (row-major over the shape) for the first NOPS operands.
template <int NOPS>
__device__ __forceinline__ void layout_offsets(const Layout& L, int i, int* off) {
#pragma unroll
    for (int k = 0; k < NOPS; k++) off[k] = L.offset[k];
#pragma unroll
    for (int j = 0; j < MAX_RANK; j++) {
        if (j >= L.rank) break;
        const int d = MAX_RANK - 1 - j;
        int q = i / L.shape[d];
        int c = i - q * L.shape[d];
        i = q;
#pragma unroll
        for (int k = 0; k < NOPS; k++) off[k] += c * L.stride[k][d];
    }
}

// V consecutive elements as one aligned access: Vec4 (16 bytes for f32, 8 for bf16) and Vec16 (16 bytes of any type).
template <class T, int V> struct alignas(V * sizeof(T)) Pack { T v[V]; };
template <class T> using Vec4 = Pack<T, 4>;
template <class T> using Vec16 = Pack<T, 16 / sizeof(T)>;

// Grid-stride loop; unsigned so i + stride cannot overflow for any n below 2^31.
#define GRID_STRIDE(i, n) \
    for (unsigned int i = blockIdx.x * blockDim.x + threadIdx.x; i < (unsigned int)(n); i += gridDim.x * blockDim.x)

// Overloads so one template serves float and double compute types.
#define MATH1(name, ff, df) \
    __device__ __forceinline__ float name(float x) { return ff(x); } \
    __device__ __forceinline__ double name(double x) { return df(x); }
MATH1(m_exp, expf, exp)
MATH1(m_log, logf, log)
MATH1(m_log1p, log1pf, log1p)
MATH1(m_sqrt, sqrtf, sqrt)
MATH1(m_abs, fabsf, fabs)
MATH1(m_sin, sinf, sin)
MATH1(m_cos, cosf, cos)
MATH1(m_tanh, tanhf, tanh)
MATH1(m_erf, erff, erf)
__device__ __forceinline__ float m_pow(float x, float y) { return powf(x, y); }
__device__ __forceinline__ double m_pow(double x, double y) { return pow(x, y); }
template <class C> __device__ __forceinline__ bool m_isnan(C x) { return x != x; }
template <class C> __device__ __forceinline__ C m_inf();
template <> __device__ __forceinline__ float m_inf<float>() { return F32_INF; }
template <> __device__ __forceinline__ double m_inf<double>() { return F64_INF; }

// ---- rows reduced by a warp or a whole block (norm, softmax, optim) ----

// Row iteration: in warp mode each warp of the block takes its own rows.
#define ROW_LOOP(WARP, row, rows)                                                             \
    const int tid_ = WARP ? (threadIdx.x & 31) : threadIdx.x;                                \
    const int nth_ = WARP ? 32 : blockDim.x;                                                 \
    const int first_ = WARP ? blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5) : blockIdx.x; \
    const int step_ = WARP ? gridDim.x * (blockDim.x >> 5) : gridDim.x;                      \
    for (int row = first_; row < (rows); row += step_)

// Sums a over the threads that share a row (the warp, or the whole block); every thread gets the total.
// shm holds 32 doubles.
template <bool WARP>
__device__ __forceinline__ double row_sum(double a, double* shm) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) a += __shfl_xor_sync(0xffffffffu, a, o);
    if (WARP) return a;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    if (lane == 0) shm[warp] = a;
    __syncthreads();
    a = lane < nw ? shm[lane] : 0.0;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) a += __shfl_xor_sync(0xffffffffu, a, o);
    __syncthreads();
    return a;
}
