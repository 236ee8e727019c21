// Reductions over any set of dims, one op per module (-DOP_SUM/MEAN/MAX/MIN). The input is read
// in place through two layouts: K gives each output row's base offset (the kept dims), R the
// offset of the j-th reduced element (the reduced dims, moved last). Accumulation is in double,
// like the CPU; MAX/MIN propagate NaN. A row may be split into `split` chunks over several
// blocks: those write double partials that a second launch (reduce_fin_*) combines.

__device__ __forceinline__ double red_identity() {
#if defined(OP_SUM) || defined(OP_MEAN)
    return 0.0;
#elif defined(OP_MAX)
    return -F64_INF;
#elif defined(OP_MIN)
    return F64_INF;
#else
#error "compile reduce.cu with -DOP_<ReduceOp>"
#endif
}

__device__ __forceinline__ double red_combine(double a, double b) {
#if defined(OP_SUM) || defined(OP_MEAN)
    return a + b;
#elif defined(OP_MAX)
    return (b > a || m_isnan(b)) ? b : a;
#else
    return (b < a || m_isnan(b)) ? b : a;
#endif
}

__device__ __forceinline__ double warp_combine(double v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = red_combine(v, __shfl_down_sync(0xffffffffu, v, o));
    return v;
}

// Work item w = (row, chunk). In warp mode each warp takes one item, else the whole block does.
template <class TI, class TO>
__device__ __forceinline__ void reduce_items(const Layout& K, const Layout& R, const TI* x, TO* out, int items, int split,
                                             int chunk, int warpMode, double divisor) {
    __shared__ double partial[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    const int len = R.n;
    const bool flat = R.rank == 1;
    const int innerStride = R.stride[0][MAX_RANK - 1];
    const int workers = warpMode ? 32 : blockDim.x;
    // Two reduced runs (a conv's bias gradient: N and H*W of NCHW): each thread walks its offsets with a
    // carry instead of a divide per element, which cost more than the load itself.
    const bool two = R.rank == 2;
    const int n1 = R.shape[MAX_RANK - 1], s0 = R.stride[0][MAX_RANK - 2];
    const int dq = two ? workers / n1 : 0, dr = two ? workers - dq * n1 : 0;
    const int stepOff = dq * s0 + dr * innerStride, carryOff = s0 - n1 * innerStride;
    const int me = warpMode ? lane : threadIdx.x;
    int first = warpMode ? blockIdx.x * nwarps + warp : blockIdx.x;
    int step = warpMode ? gridDim.x * nwarps : gridDim.x;
    for (int w = first; w < items; w += step) {
        int row = w / split, s = w - row * split;
        int base;
        layout_offsets<1>(K, row, &base);
        int lo = s * chunk, hi = min(len, lo + chunk);
        // four independent loads in flight per thread: one at a time cannot keep HBM busy
        double a0 = red_identity(), a1 = a0, a2 = a0, a3 = a0;
        int j = lo + me;
        int cr = 0, co = 0; // two: j's position within its inner run, and its offset
        if (two) { int q = j / n1; cr = j - q * n1; co = q * s0 + cr * innerStride; }
#define STEP_TWO() do { cr += dr; co += stepOff; if (cr >= n1) { cr -= n1; co += carryOff; } } while (0)
        for (; j + 3 * workers < hi; j += 4 * workers) {
            int o0, o1, o2, o3;
            if (flat) {
                o0 = j * innerStride; o1 = o0 + workers * innerStride; o2 = o1 + workers * innerStride; o3 = o2 + workers * innerStride;
            } else if (two) {
                o0 = co; STEP_TWO(); o1 = co; STEP_TWO(); o2 = co; STEP_TWO(); o3 = co; STEP_TWO();
            } else {
                layout_offsets<1>(R, j, &o0);
                layout_offsets<1>(R, j + workers, &o1);
                layout_offsets<1>(R, j + 2 * workers, &o2);
                layout_offsets<1>(R, j + 3 * workers, &o3);
            }
            double v0 = TypeOps<TI>::to_d(x[base + o0]), v1 = TypeOps<TI>::to_d(x[base + o1]);
            double v2 = TypeOps<TI>::to_d(x[base + o2]), v3 = TypeOps<TI>::to_d(x[base + o3]);
            a0 = red_combine(a0, v0); a1 = red_combine(a1, v1); a2 = red_combine(a2, v2); a3 = red_combine(a3, v3);
        }
        for (; j < hi; j += workers) {
            int off;
            if (flat) off = j * innerStride;
            else if (two) { off = co; STEP_TWO(); }
            else layout_offsets<1>(R, j, &off);
            a0 = red_combine(a0, TypeOps<TI>::to_d(x[base + off]));
        }
#undef STEP_TWO
        double acc = warp_combine(red_combine(red_combine(a0, a1), red_combine(a2, a3)));
        if (!warpMode) {
            if (lane == 0) partial[warp] = acc;
            __syncthreads();
            if (warp == 0) {
                acc = lane < nwarps ? partial[lane] : red_identity();
                acc = warp_combine(acc);
            }
            __syncthreads();
        }
        if (me == 0) {
#if defined(OP_MEAN)
            acc = acc / divisor;
#endif
            out[w] = TypeOps<TO>::from_d(acc);
        }
    }
}

#define REDUCE_KERNELS(T, S) \
    extern "C" __global__ void reduce_##S(const __grid_constant__ Layout K, const __grid_constant__ Layout R, const T* x, T* out, \
                                          int items, int split, int chunk, int warpMode, double divisor) { \
        reduce_items<T, T>(K, R, x, out, items, split, chunk, warpMode, divisor); } \
    extern "C" __global__ void reduce_part_##S(const __grid_constant__ Layout K, const __grid_constant__ Layout R, const T* x, \
                                               double* out, int items, int split, int chunk, int warpMode) { \
        reduce_items<T, double>(K, R, x, out, items, split, chunk, warpMode, 1.0); } \
    extern "C" __global__ void reduce_fin_##S(const __grid_constant__ Layout K, const __grid_constant__ Layout R, const double* x, \
                                              T* out, int items, int warpMode, double divisor) { \
        reduce_items<double, T>(K, R, x, out, items, 1, R.n, warpMode, divisor); }

REDUCE_KERNELS(float, f32)
REDUCE_KERNELS(bf16, bf16)
REDUCE_KERNELS(double, f64)

// Column reductions: x viewed as contiguous [A, J, C], reduced over J, kept [A, C] (a bias gradient: A = 1; a
// broadcast's gradient [B, L, D] -> [B, 1, D]: A = B). The generic kernel gives each kept element its own strided
// walk, so a warp touches 32 rows C apart; here consecutive threads take consecutive columns and walk the rows
// together (coalesced). Block: COL_TILE columns x COL_ROWS row lanes; grid: (column tiles, A, split chunks of J).
// x may have strided rows (sj, sa: the element strides of J and A; the C columns are dense), e.g. a channel slice of
// a channels-last tensor. With split > 1 the chunks write double partials [split, A, C] that col_fin_* adds up.
#define COL_TILE 64
#define COL_ROWS 4
template <class TI, class TO>
__device__ __forceinline__ void col_reduce(const TI* x, TO* out, int A, int J, int C, long sa, long sj, int chunk, double divisor) {
    __shared__ double part[COL_ROWS][COL_TILE];
    const int c = blockIdx.x * COL_TILE + threadIdx.x, a = blockIdx.y;
    const int lo = blockIdx.z * chunk, hi = min(J, lo + chunk);
    double a0 = red_identity(), a1 = a0;
    if (c < C) {
        const TI* p = x + a * sa + c;
        int j = lo + threadIdx.y;
        for (; j + COL_ROWS < hi; j += 2 * COL_ROWS) {   // two loads in flight per thread
            a0 = red_combine(a0, TypeOps<TI>::to_d(p[j * sj]));
            a1 = red_combine(a1, TypeOps<TI>::to_d(p[(j + COL_ROWS) * sj]));
        }
        if (j < hi) a0 = red_combine(a0, TypeOps<TI>::to_d(p[j * sj]));
    }
    part[threadIdx.y][threadIdx.x] = red_combine(a0, a1);
    __syncthreads();
    if (threadIdx.y == 0 && c < C) {
        double acc = part[0][threadIdx.x];
#pragma unroll
        for (int r = 1; r < COL_ROWS; r++) acc = red_combine(acc, part[r][threadIdx.x]);
        long o = ((long) blockIdx.z * A + a) * C + c;
        if (gridDim.z == 1) {
#if defined(OP_MEAN)
            acc = acc / divisor;
#endif
        }
        out[o] = TypeOps<TO>::from_d(acc);
    }
}

// col_reduce for columns that come as 16-byte vectors (C, sj and sa multiples of V = 16 / sizeof(T), x 16-byte
// aligned): each thread reads V columns in one load and keeps four rows in flight, so a warp moves 512 bytes a load
// where col_reduce moves 64 (bf16) and waits on far fewer of them: a bias gradient's [65536, 1536] bf16 column sums
// took 255 us on an H100 through col_reduce, near a third of what the memory gives. Block: COLV_TILE vectors x
// COLV_ROWS row lanes; the same grid and partials as col_reduce.
#define COLV_TILE 32
#define COLV_ROWS 8
template <class TI, class TO>
__device__ __forceinline__ void col_reduce_vec(const TI* x, TO* out, int A, int J, int C, long sa, long sj, int chunk, double divisor) {
    constexpr int V = 16 / sizeof(TI);
    __shared__ double part[COLV_ROWS][COLV_TILE * V];
    const int c0 = (blockIdx.x * COLV_TILE + threadIdx.x) * V, a = blockIdx.y;
    const int lo = blockIdx.z * chunk, hi = min(J, lo + chunk);
    double acc[V];
#pragma unroll
    for (int v = 0; v < V; v++) acc[v] = red_identity();
    if (c0 < C) {
        const TI* p = x + a * sa + c0;
        int j = lo + threadIdx.y;
        for (; j + 3 * COLV_ROWS < hi; j += 4 * COLV_ROWS) {   // four loads in flight per thread
            Vec16<TI> r[4];
#pragma unroll
            for (int u = 0; u < 4; u++) r[u] = *reinterpret_cast<const Vec16<TI>*>(p + (long)(j + u * COLV_ROWS) * sj);
#pragma unroll
            for (int u = 0; u < 4; u++)
#pragma unroll
                for (int v = 0; v < V; v++) acc[v] = red_combine(acc[v], TypeOps<TI>::to_d(r[u].v[v]));
        }
        for (; j < hi; j += COLV_ROWS) {
            Vec16<TI> r = *reinterpret_cast<const Vec16<TI>*>(p + (long)j * sj);
#pragma unroll
            for (int v = 0; v < V; v++) acc[v] = red_combine(acc[v], TypeOps<TI>::to_d(r.v[v]));
        }
    }
#pragma unroll
    for (int v = 0; v < V; v++) part[threadIdx.y][threadIdx.x * V + v] = acc[v];
    __syncthreads();
    for (int t = threadIdx.y * COLV_TILE + threadIdx.x; t < COLV_TILE * V; t += COLV_TILE * COLV_ROWS) {
        const int c = blockIdx.x * COLV_TILE * V + t;
        if (c >= C) continue;
        double s = part[0][t];
#pragma unroll
        for (int r = 1; r < COLV_ROWS; r++) s = red_combine(s, part[r][t]);
#if defined(OP_MEAN)
        if (gridDim.z == 1) s = s / divisor;
#endif
        out[((long) blockIdx.z * A + a) * C + c] = TypeOps<TO>::from_d(s);
    }
}

#if defined(OP_MEAN)
#define MEAN_DIV(v, d) ((v) / (d))
#else
#define MEAN_DIV(v, d) (v)
#endif

// The chunks' partials [split, n] summed per output: COLF_LANES lanes of a block take every COLF_LANES-th chunk of 32
// adjacent outputs (each load a warp's 256 contiguous bytes), then add theirs in lane order: the same sums every run.
// One thread per output walking all the chunks waited on `split` loads one after another (a bias gradient's 65,536
// rows in a few hundred chunks: most of the column reduction's time).
#define COLF_LANES 16
template <class T>
__device__ __forceinline__ void col_fin(const double* part, T* out, int n, int split, double divisor) {
    __shared__ double acc[COLF_LANES][32];
    const int i = blockIdx.x * 32 + threadIdx.x;
    double a = red_identity();
    if (i < n)
        for (int s = threadIdx.y; s < split; s += COLF_LANES) a = red_combine(a, part[(long) s * n + i]);
    acc[threadIdx.y][threadIdx.x] = a;
    __syncthreads();
    if (threadIdx.y == 0 && i < n) {
        for (int l = 1; l < COLF_LANES; l++) a = red_combine(a, acc[l][threadIdx.x]);
        out[i] = TypeOps<T>::from_d(MEAN_DIV(a, divisor));
    }
}

#define COL_KERNELS(T, S) \
    extern "C" __global__ void col_reduce_##S(const T* x, T* out, int A, int J, int C, long sa, long sj, int chunk, double divisor) { \
        col_reduce<T, T>(x, out, A, J, C, sa, sj, chunk, divisor); } \
    extern "C" __global__ void col_part_##S(const T* x, double* out, int A, int J, int C, long sa, long sj, int chunk) { \
        col_reduce<T, double>(x, out, A, J, C, sa, sj, chunk, 1.0); } \
    extern "C" __global__ void col_reduce_vec_##S(const T* x, T* out, int A, int J, int C, long sa, long sj, int chunk, double divisor) { \
        col_reduce_vec<T, T>(x, out, A, J, C, sa, sj, chunk, divisor); } \
    extern "C" __global__ void col_part_vec_##S(const T* x, double* out, int A, int J, int C, long sa, long sj, int chunk) { \
        col_reduce_vec<T, double>(x, out, A, J, C, sa, sj, chunk, 1.0); } \
    extern "C" __global__ void col_fin_##S(const double* part, T* out, int n, int split, double divisor) { \
        col_fin<T>(part, out, n, split, divisor); }


COL_KERNELS(float, f32)
COL_KERNELS(bf16, bf16)
COL_KERNELS(double, f64)
