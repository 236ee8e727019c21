// Binary maps o = a (op) b with broadcasting, one op per compiled module (-DOP_<BinaryOp name>);
// comparisons give 1 or 0 in the operands' type, as BinaryOp.apply does.

template <class C> __device__ __forceinline__ C bop_apply(C a, C b) {
#if defined(OP_ADD)
    return a + b;
#elif defined(OP_SUB)
    return a - b;
#elif defined(OP_MUL)
    return a * b;
#elif defined(OP_DIV)
    return a / b;
#elif defined(OP_POW)
    return m_pow(a, b);
#elif defined(OP_MAXIMUM)
    return a >= b ? a : b;
#elif defined(OP_MINIMUM)
    return a <= b ? a : b;
#elif defined(OP_EQ)
    return a == b ? C(1) : C(0);
#elif defined(OP_NE)
    return a != b ? C(1) : C(0);
#elif defined(OP_LT)
    return a < b ? C(1) : C(0);
#elif defined(OP_LE)
    return a <= b ? C(1) : C(0);
#elif defined(OP_GT)
    return a > b ? C(1) : C(0);
#elif defined(OP_GE)
    return a >= b ? C(1) : C(0);
#else
#error "compile binary.cu with -DOP_<BinaryOp>"
#endif
}

template <class T> __device__ __forceinline__ T bin1(T a, T b) {
    typedef TypeOps<T> O;
    return O::from_c(bop_apply<typename O::C>(O::to_c(a), O::to_c(b)));
}

// Operands: 0 = out, 1 = a, 2 = b (broadcast dims have stride 0).
template <class T>
__device__ __forceinline__ void binary_strided(const Layout& L, const T* a, const T* b, T* o) {
    // unrolled: several independent strided loads in flight per thread
#pragma unroll 4
    GRID_STRIDE(i, L.n) {
        int off[3];
        layout_offsets<3>(L, i, off);
        o[off[0]] = bin1(a[off[1]], b[off[2]]);
    }
}

// One flat range: a and b each contiguous (stride 1) or a broadcast scalar (stride 0);
// vec says both have stride 1 and all three start 4-element aligned.
template <class T>
__device__ __forceinline__ void binary_contig(const T* a, const T* b, T* o, int n, int sa, int sb, int vec) {
    int head = 0;
    if (vec) {
        int nv = n >> 2;
        GRID_STRIDE(i, nv) {
            Vec4<T> x = reinterpret_cast<const Vec4<T>*>(a)[i], y = reinterpret_cast<const Vec4<T>*>(b)[i], r;
#pragma unroll
            for (int k = 0; k < 4; k++) r.v[k] = bin1(x.v[k], y.v[k]);
            reinterpret_cast<Vec4<T>*>(o)[i] = r;
        }
        head = nv << 2;
    }
    GRID_STRIDE(j, n - head) o[head + j] = bin1(a[(head + j) * sa], b[(head + j) * sb]);
}

#define BINARY_KERNELS(T, S) \
    extern "C" __global__ void binary_strided_##S(const __grid_constant__ Layout L, const T* a, const T* b, T* o) { \
        binary_strided<T>(L, a, b, o); } \
    extern "C" __global__ void binary_contig_##S(const T* a, const T* b, T* o, int n, int sa, int sb, int vec) { \
        binary_contig<T>(a, b, o, n, sa, sb, vec); }

BINARY_KERNELS(float, f32)
BINARY_KERNELS(bf16, bf16)
BINARY_KERNELS(double, f64)

// Row broadcast: one operand (full) is contiguous over [A, J, C], the other (row) is an [A, 1, C] with adjacent
// columns and rows RS apart (a chunk of a wider tensor, such as one of adaLN's six modulations, included), repeated
// over J: a bias or a per-sample modulation added to every token. The strided kernel spends a division per dim per
// element on this; here element i of full meets row element (i / JC) * RS + i % C. rowIsB says which operand is the
// row; vec (C and RS divisible by 4, every pointer 4-element aligned) moves four elements at a time.
template <class T>
__device__ __forceinline__ void binary_rows(const T* full, const T* row, T* o, int n, int C, int JC, int RS, int rowIsB, int vec) {
    if (vec) {
        GRID_STRIDE(i, n >> 2) {
            int e = i << 2, r = (e / JC) * RS + e % C;
            Vec4<T> x = reinterpret_cast<const Vec4<T>*>(full)[i], y = *reinterpret_cast<const Vec4<T>*>(row + r), z;
#pragma unroll
            for (int k = 0; k < 4; k++) z.v[k] = rowIsB ? bin1(x.v[k], y.v[k]) : bin1(y.v[k], x.v[k]);
            reinterpret_cast<Vec4<T>*>(o)[i] = z;
        }
    } else {
        GRID_STRIDE(i, n) {
            T x = full[i], y = row[(i / JC) * RS + i % C];
            o[i] = rowIsB ? bin1(x, y) : bin1(y, x);
        }
    }
}

// Plane broadcast: full is contiguous over [P, PL], the other operand holds one value per plane, planes PS apart ([N,
// C, H, W] with [N, C, 1, 1]: a per-sample, per-channel shift such as a time embedding); element i meets plane value
// (i / PL) * PS. vec: PL divisible by 4 and the full and output pointers 4-element aligned.
template <class T>
__device__ __forceinline__ void binary_planes(const T* full, const T* plane, T* o, int n, int PL, int PS, int planeIsB, int vec) {
    if (vec) {
        GRID_STRIDE(i, n >> 2) {
            const T y = plane[(int)((i << 2) / PL) * PS];
            Vec4<T> x = reinterpret_cast<const Vec4<T>*>(full)[i], z;
#pragma unroll
            for (int k = 0; k < 4; k++) z.v[k] = planeIsB ? bin1(x.v[k], y) : bin1(y, x.v[k]);
            reinterpret_cast<Vec4<T>*>(o)[i] = z;
        }
    } else {
        GRID_STRIDE(i, n) {
            T x = full[i], y = plane[(int)(i / PL) * PS];
            o[i] = planeIsB ? bin1(x, y) : bin1(y, x);
        }
    }
}

#define BINARY_ROWS_KERNELS(T, S) \
    extern "C" __global__ void binary_rows_##S(const T* full, const T* row, T* o, int n, int C, int JC, int RS, int rowIsB, int vec) { \
        binary_rows<T>(full, row, o, n, C, JC, RS, rowIsB, vec); } \
    extern "C" __global__ void binary_planes_##S(const T* full, const T* plane, T* o, int n, int PL, int PS, int planeIsB, int vec) { \
        binary_planes<T>(full, plane, o, n, PL, PS, planeIsB, vec); }

BINARY_ROWS_KERNELS(float, f32)
BINARY_ROWS_KERNELS(bf16, bf16)
BINARY_ROWS_KERNELS(double, f64)

// Gated residual, o = x + gate * b over [A, J, C]: x, b and o contiguous, gate an [A, 1, C] row RS apart (adaLN's gate
// chunk), o in x's type, which is the widest (an f32 residual stream with a bf16 branch and gate under autocast). One
// pass instead of the product, its promotion to x's type and the add. vec: C and RS divisible by 4, every pointer
// 4-element aligned.
template <class TX, class TG, class TB>
__device__ __forceinline__ void gated_add(const TX* x, const TG* gate, const TB* b, TX* o, int n, int C, int JC, int RS, int vec) {
    if (vec) {
        GRID_STRIDE(i, n >> 2) {
            int e = i << 2, r = (e / JC) * RS + e % C;
            Vec4<TX> xv = reinterpret_cast<const Vec4<TX>*>(x)[i], z;
            Vec4<TB> bv = reinterpret_cast<const Vec4<TB>*>(b)[i];
            Vec4<TG> gv = *reinterpret_cast<const Vec4<TG>*>(gate + r);
#pragma unroll
            for (int k = 0; k < 4; k++)
                z.v[k] = TypeOps<TX>::from_c(TypeOps<TX>::to_c(xv.v[k]) + TypeOps<TG>::to_c(gv.v[k]) * TypeOps<TB>::to_c(bv.v[k]));
            reinterpret_cast<Vec4<TX>*>(o)[i] = z;
        }
    } else {
        GRID_STRIDE(i, n) {
            float g = TypeOps<TG>::to_c(gate[(i / JC) * RS + i % C]);
            o[i] = TypeOps<TX>::from_c(TypeOps<TX>::to_c(x[i]) + g * TypeOps<TB>::to_c(b[i]));
        }
    }
}

#define GATED_ADD_KERNEL(TX, TG, TB, S) \
    extern "C" __global__ void gated_add_##S(const TX* x, const TG* gate, const TB* b, TX* o, int n, int C, int JC, int RS, int vec) { \
        gated_add<TX, TG, TB>(x, gate, b, o, n, C, JC, RS, vec); }

GATED_ADD_KERNEL(float, float, float, f32_f32_f32)
GATED_ADD_KERNEL(float, bf16, bf16, f32_bf16_bf16)
GATED_ADD_KERNEL(bf16, bf16, bf16, bf16_bf16_bf16)

// The gated residual's backward for the branch and the gate, from the output gradient gy [A, J, C] (contiguous, of x's
// type TY) with g = gy rounded to the branch and gate type TO, as autocast hands the product its gradient:
// db = g * gate[a] (rounded to TO, as the composed backward's product) and the gate's column partials, sum over rows of
// g * b in double: block (k, a) takes rows [k * per, (k + 1) * per) of entry a and writes pg [chunks][A][C], which
// gated_bwd_sum adds in chunk order (deterministic). One read of gy and b for both, where the composed backward took
// four passes (gy's cast, the two products and the reduction of one). W 4: C and RS divisible by 4, every pointer
// 4-element aligned.
template <class TY, class TO, int W>
__device__ __forceinline__ void gated_add_bwd(const TY* gy, const TO* gate, const TO* b, TO* db, double* pg, int A, int J, int C, int RS, int per) {
    typedef typename TypeOps<TO>::C CT;
    const int a = blockIdx.y, k = blockIdx.x, j0 = k * per, j1 = min(J, j0 + per);
    for (int c = threadIdx.x * W; c < C; c += blockDim.x * W) {
        CT gv[W];
        double s[W];
#pragma unroll
        for (int w = 0; w < W; w++) { gv[w] = TypeOps<TO>::to_c(gate[(long long)a * RS + c + w]); s[w] = 0; }
#pragma unroll 4
        for (int j = j0; j < j1; j++) {
            const long long i = ((long long)a * J + j) * C + c;
            Vec4<TY> yv;
            Vec4<TO> bv, dv;
            if (W == 4) {
                yv = *reinterpret_cast<const Vec4<TY>*>(gy + i);
                bv = *reinterpret_cast<const Vec4<TO>*>(b + i);
            } else {
                yv.v[0] = gy[i];
                bv.v[0] = b[i];
            }
#pragma unroll
            for (int w = 0; w < W; w++) {
                const CT g = TypeOps<TO>::to_c(TypeOps<TO>::from_c((CT)TypeOps<TY>::to_c(yv.v[w])));
                dv.v[w] = TypeOps<TO>::from_c(g * gv[w]);
                s[w] += (double)g * (double)TypeOps<TO>::to_c(bv.v[w]);
            }
            if (W == 4) *reinterpret_cast<Vec4<TO>*>(db + i) = dv;
            else db[i] = dv.v[0];
        }
#pragma unroll
        for (int w = 0; w < W; w++) pg[((long long)k * A + a) * C + c + w] = s[w];
    }
}

// dgate [n] = the sum over chunks of pg [chunks][n], in chunk order.
template <class TO>
__device__ __forceinline__ void gated_bwd_sum(const double* pg, TO* dgate, int chunks, int n) {
    GRID_STRIDE(i, n) {
        double s = 0;
        for (int k = 0; k < chunks; k++) s += pg[(long long)k * n + i];
        dgate[i] = TypeOps<TO>::from_d(s);
    }
}

#define GATED_BWD_KERNELS(TY, TO, S) \
    extern "C" __global__ void gated_add_bwd_##S(const TY* gy, const TO* gate, const TO* b, TO* db, double* pg, int A, int J, int C, \
                                                 int RS, int per, int vec) { \
        if (vec) gated_add_bwd<TY, TO, 4>(gy, gate, b, db, pg, A, J, C, RS, per); \
        else gated_add_bwd<TY, TO, 1>(gy, gate, b, db, pg, A, J, C, RS, per); }

GATED_BWD_KERNELS(float, float, f32_f32)
GATED_BWD_KERNELS(float, bf16, f32_bf16)
GATED_BWD_KERNELS(bf16, bf16, bf16_bf16)

#define GATED_BWD_SUM_KERNEL(TO, S) \
    extern "C" __global__ void gated_bwd_sum_##S(const double* pg, TO* dgate, int chunks, int n) { gated_bwd_sum<TO>(pg, dgate, chunks, n); }

GATED_BWD_SUM_KERNEL(float, f32)
GATED_BWD_SUM_KERNEL(bf16, bf16)
