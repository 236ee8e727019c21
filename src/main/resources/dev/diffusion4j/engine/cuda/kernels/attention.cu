// Fused scaled dot-product attention, FlashAttention-2 style, for q [B, Lq, D], k [B, Lk, D], v [B, Lk, Dv]
// (B = the batch dims, read through two strides so permuted views need no copy; see CudaAttention):
//   forward   one block per (batch, tile of query rows): keys and values stream through shared memory in tiles,
//             the softmax is kept online (running max and sum per row), no [Lq, Lk] matrix is ever stored;
//             writes out and the per-row log-sum-exp (natural log) for the backward.
//   backward  D_i = rowsum(dO * O) per query row (attn_bwd_dot), then dQ per query tile (attn_bwd_dq) and dK, dV
//             per key tile (attn_bwd_dkdv), each recomputing P = exp(S - lse) from q, k and the log-sum-exp.
//             Two kernels instead of FA2's atomic adds into dQ: the result is deterministic (exact resume), at
//             the cost of computing S and dP twice.
// Everything is computed in f32 (bf16 operands are widened on load). A block is 16 x 16 threads; a thread owns
// R rows (ty + 16 i) by some columns (tx + 16 j) of each tile, so a row's 16 threads are one half warp and
// row reductions are four shuffles.
//
// Compiled once per tile configuration (CudaAttention / AttentionTiles are the one source of these numbers):
//   DP            D and Dv padded up to DP (a multiple of 16); padded columns are loaded as zeros
//   FWD_RQ/FWD_RK rows per thread of the query / key tiles in the forward and the dQ kernel
//   BWD_RQ/BWD_RK the same for the dK/dV kernel
// Each kernel checks that it was given the dynamic shared memory its layout needs, and traps if not.

#if !defined(DP) || !defined(FWD_RQ) || !defined(FWD_RK) || !defined(BWD_RQ) || !defined(BWD_RK)
#error "attention.cu needs DP, FWD_RQ, FWD_RK, BWD_RQ and BWD_RK (see AttentionTiles.java)"
#endif

#define TS 16            // threads per side of a block
#define NT (TS * TS)
#define NJ (DP / TS)     // head-dim columns each thread owns in an accumulator row
#define LD (DP + 1)      // row stride of a [rows][DP] tile: odd, so the 16 rows a half warp reads lie in 16 banks
#define LOG2E 1.4426950408889634f
#define LN2 0.6931471805599453f

static_assert(DP % TS == 0, "DP must be a multiple of 16");

__device__ __forceinline__ void require_smem(int floats) { require_smem_bytes((unsigned int)floats * 4u); }

__device__ __forceinline__ float half_warp_max(float a) {
#pragma unroll
    for (int o = 8; o > 0; o >>= 1) a = fmaxf(a, __shfl_xor_sync(0xffffffffu, a, o));
    return a;
}

__device__ __forceinline__ float half_warp_sum(float a) {
#pragma unroll
    for (int o = 8; o > 0; o >>= 1) a += __shfl_xor_sync(0xffffffffu, a, o);
    return a;
}

// Rows [row0, row0 + ROWS) x columns [0, DP) of one batch's matrix into a shared tile (row stride LD), as f32 times
// mul. Rows past `rows` and columns past `cols` are stored as zeros, so they add nothing to any dot product.
// Consecutive threads take consecutive columns, or consecutive rows where the columns are not adjacent in memory
// (a transposed view), so that the loads coalesce either way.
template <class T, int ROWS>
__device__ __forceinline__ void load_tile(float* s, const View<T>& v, long long base, int row0, int rows, int cols, float mul) {
    const bool byCol = v.c == 1;
    for (int i = threadIdx.x; i < ROWS * DP; i += NT) {
        const int r = byCol ? i / DP : i % ROWS, c = byCol ? i - r * DP : i / ROWS;
        float x = 0.f;
        if (row0 + r < rows && c < cols)
            x = TypeOps<T>::to_c(v.p[base + (long long)(row0 + r) * v.r + (long long)c * v.c]) * mul;
        s[r * LD + c] = x;
    }
}

// acc[i][j] = sum over d < n of A[ty + 16 i][d] * B[tx + 16 j][d], A and B tiles of row stride LD.
template <int RA, int RB>
__device__ __forceinline__ void tile_dot(const float* sA, const float* sB, int n, float (&acc)[RA][RB]) {
    const int tx = threadIdx.x % TS, ty = threadIdx.x / TS;
#pragma unroll
    for (int i = 0; i < RA; i++)
#pragma unroll
        for (int j = 0; j < RB; j++) acc[i][j] = 0.f;
#pragma unroll 4
    for (int d = 0; d < n; d++) {
        float a[RA], b[RB];
#pragma unroll
        for (int i = 0; i < RA; i++) a[i] = sA[(ty + TS * i) * LD + d];
#pragma unroll
        for (int j = 0; j < RB; j++) b[j] = sB[(tx + TS * j) * LD + d];
#pragma unroll
        for (int i = 0; i < RA; i++)
#pragma unroll
            for (int j = 0; j < RB; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
}

// acc[i][jj] += sum over w < W of Wt[ty + 16 i][w] * M[w][tx + 16 jj]: Wt a [rows][W] tile of row stride W + 1, M a
// [W][DP] tile of row stride LD.
template <int RA, int W>
__device__ __forceinline__ void tile_accum(const float* sW, const float* sM, float (&acc)[RA][NJ]) {
    const int tx = threadIdx.x % TS, ty = threadIdx.x / TS;
#pragma unroll 4
    for (int w = 0; w < W; w++) {
        float a[RA];
#pragma unroll
        for (int i = 0; i < RA; i++) a[i] = sW[(ty + TS * i) * (W + 1) + w];
#pragma unroll
        for (int jj = 0; jj < NJ; jj++) {
            const float m = sM[w * LD + tx + TS * jj];
#pragma unroll
            for (int i = 0; i < RA; i++) acc[i][jj] = fmaf(a[i], m, acc[i][jj]);
        }
    }
}

// Writes an accumulator tile (times mul) to a contiguous [B, L, cols] output: rows past L, columns past cols skipped.
template <class T, int RA>
__device__ __forceinline__ void store_rows(T* out, const float (&acc)[RA][NJ], int b, int row0, int L, int cols, float mul) {
    const int tx = threadIdx.x % TS, ty = threadIdx.x / TS;
#pragma unroll
    for (int i = 0; i < RA; i++) {
        const int row = row0 + ty + TS * i;
        if (row >= L) continue;
        T* o = out + ((long long)b * L + row) * cols;
#pragma unroll
        for (int jj = 0; jj < NJ; jj++) {
            const int c = tx + TS * jj;
            if (c < cols) o[c] = TypeOps<T>::from_c(acc[i][jj] * mul);
        }
    }
}

// ---------------------------------------------------------------------------------------------- forward

template <class T>
__device__ __forceinline__ void attn_fwd(View<T> q, View<T> k, View<T> v, T* out, float* lse,
                                         int nb2, int Lq, int Lk, int D, int Dv, float scale) {
    constexpr int RQ = FWD_RQ, RK = FWD_RK, BQ = TS * RQ, BK = TS * RK;
    extern __shared__ float smem[];
    float* sQ = smem;              // [BQ][LD], pre-scaled to base-2 logits
    float* sK = sQ + BQ * LD;      // [BK][LD]
    float* sV = sK + BK * LD;      // [BK][LD]
    float* sP = sV + BK * LD;      // [BQ][BK + 1]
    require_smem((BQ + 2 * BK) * LD + BQ * (BK + 1));
    const int tx = threadIdx.x % TS, ty = threadIdx.x / TS;
    const int b = blockIdx.x, q0 = blockIdx.y * BQ;
    const long long kb = k.base(b, nb2), vb = v.base(b, nb2);
    load_tile<T, BQ>(sQ, q, q.base(b, nb2), q0, Lq, D, scale * LOG2E);

    float o[RQ][NJ], m[RQ], l[RQ];   // output rows, running max (base 2) and this thread's share of the running sum
#pragma unroll
    for (int i = 0; i < RQ; i++) {
        m[i] = -F32_INF;
        l[i] = 0.f;
#pragma unroll
        for (int jj = 0; jj < NJ; jj++) o[i][jj] = 0.f;
    }
    for (int k0 = 0; k0 < Lk; k0 += BK) {
        __syncthreads();   // every thread is done with the previous tiles
        load_tile<T, BK>(sK, k, kb, k0, Lk, D, 1.f);
        load_tile<T, BK>(sV, v, vb, k0, Lk, Dv, 1.f);
        __syncthreads();
        float s[RQ][RK];
        tile_dot<RQ, RK>(sQ, sK, D, s);
#pragma unroll
        for (int i = 0; i < RQ; i++) {
            float mt = -F32_INF;
#pragma unroll
            for (int j = 0; j < RK; j++) {
                if (k0 + tx + TS * j >= Lk) s[i][j] = -F32_INF;   // keys past the end
                mt = fmaxf(mt, s[i][j]);
            }
            // finite: key k0 is in range and its column belongs to this half warp (tx = 0, j = 0)
            const float mn = fmaxf(m[i], half_warp_max(mt));
            const float alpha = exp2f(m[i] - mn);   // 0 on the first tile (m = -inf)
            m[i] = mn;
            l[i] *= alpha;
#pragma unroll
            for (int jj = 0; jj < NJ; jj++) o[i][jj] *= alpha;
#pragma unroll
            for (int j = 0; j < RK; j++) {
                const float p = exp2f(s[i][j] - mn);
                l[i] += p;
                sP[(ty + TS * i) * (BK + 1) + tx + TS * j] = p;
            }
        }
        __syncthreads();
        tile_accum<RQ, BK>(sP, sV, o);
    }
    float inv[RQ];
#pragma unroll
    for (int i = 0; i < RQ; i++) {
        const float sum = half_warp_sum(l[i]);   // >= 1: the row maximum contributes exp2(0)
        inv[i] = 1.f / sum;
        const int row = q0 + ty + TS * i;
        if (tx == 0 && row < Lq) lse[(long long)b * Lq + row] = (m[i] + log2f(sum)) * LN2;
#pragma unroll
        for (int jj = 0; jj < NJ; jj++) o[i][jj] *= inv[i];
    }
    store_rows<T, RQ>(out, o, b, q0, Lq, Dv, 1.f);
}

// ---------------------------------------------------------------------------------------------- backward

// di[b, row] = sum over c of dO[b, row, c] * O[b, row, c], both read through views (the tensor-core forward writes O
// in its input's memory order). A warp per row.
template <class T>
__device__ __forceinline__ void attn_bwd_dot(View<T> go, View<T> out, float* di, int nb2, int Lq, int Dv, int rows) {
    ROW_LOOP(true, row, rows) {
        const int b = row / Lq, r = row - b * Lq;
        const long long gb = go.base(b, nb2) + (long long)r * go.r, ob = out.base(b, nb2) + (long long)r * out.r;
        float s = 0.f;
        for (int c = tid_; c < Dv; c += nth_)
            s += TypeOps<T>::to_c(go.p[gb + (long long)c * go.c]) * TypeOps<T>::to_c(out.p[ob + (long long)c * out.c]);
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
        if (tid_ == 0) di[row] = s;
    }
}

// dQ for one tile of query rows: dQ = scale * sum over key tiles of dS K, dS = P * (dP - di), dP = dO V^T.
template <class T>
__device__ __forceinline__ void attn_bwd_dq(View<T> q, View<T> k, View<T> v, View<T> go, const float* lse, const float* di,
                                            T* dq, int nb2, int Lq, int Lk, int D, int Dv, float scale) {
    constexpr int RQ = FWD_RQ, RK = FWD_RK, BQ = TS * RQ, BK = TS * RK;
    extern __shared__ float smem[];
    float* sQ = smem;              // [BQ][LD], pre-scaled to base-2 logits
    float* sG = sQ + BQ * LD;      // [BQ][LD] dO
    float* sK = sG + BQ * LD;      // [BK][LD]
    float* sV = sK + BK * LD;      // [BK][LD]
    float* sS = sV + BK * LD;      // [BQ][BK + 1] dS
    require_smem((2 * BQ + 2 * BK) * LD + BQ * (BK + 1));
    const int tx = threadIdx.x % TS, ty = threadIdx.x / TS;
    const int b = blockIdx.x, q0 = blockIdx.y * BQ;
    const long long kb = k.base(b, nb2), vb = v.base(b, nb2);
    load_tile<T, BQ>(sQ, q, q.base(b, nb2), q0, Lq, D, scale * LOG2E);
    load_tile<T, BQ>(sG, go, go.base(b, nb2), q0, Lq, Dv, 1.f);
    float lse2[RQ], dsub[RQ];
#pragma unroll
    for (int i = 0; i < RQ; i++) {
        const int row = q0 + ty + TS * i;
        const bool in = row < Lq;   // rows past Lq compute garbage that is never stored
        lse2[i] = in ? lse[(long long)b * Lq + row] * LOG2E : 0.f;
        dsub[i] = in ? di[(long long)b * Lq + row] : 0.f;
    }
    float acc[RQ][NJ];
#pragma unroll
    for (int i = 0; i < RQ; i++)
#pragma unroll
        for (int jj = 0; jj < NJ; jj++) acc[i][jj] = 0.f;
    for (int k0 = 0; k0 < Lk; k0 += BK) {
        __syncthreads();
        load_tile<T, BK>(sK, k, kb, k0, Lk, D, 1.f);
        load_tile<T, BK>(sV, v, vb, k0, Lk, Dv, 1.f);
        __syncthreads();
        float s[RQ][RK], dp[RQ][RK];
        tile_dot<RQ, RK>(sQ, sK, D, s);
        tile_dot<RQ, RK>(sG, sV, Dv, dp);
#pragma unroll
        for (int i = 0; i < RQ; i++)
#pragma unroll
            for (int j = 0; j < RK; j++) {
                const float p = k0 + tx + TS * j < Lk ? exp2f(s[i][j] - lse2[i]) : 0.f;
                sS[(ty + TS * i) * (BK + 1) + tx + TS * j] = p * (dp[i][j] - dsub[i]);
            }
        __syncthreads();
        tile_accum<RQ, BK>(sS, sK, acc);
    }
    store_rows<T, RQ>(dq, acc, b, q0, Lq, D, scale);
}

// dK and dV for one tile of key rows: dV = sum over query tiles of P^T dO, dK = scale * sum of dS^T Q.
template <class T>
__device__ __forceinline__ void attn_bwd_dkdv(View<T> q, View<T> k, View<T> v, View<T> go, const float* lse, const float* di,
                                              T* dk, T* dv, int nb2, int Lq, int Lk, int D, int Dv, float scale) {
    constexpr int RQ = BWD_RQ, RK = BWD_RK, BQ = TS * RQ, BK = TS * RK;
    extern __shared__ float smem[];
    float* sK = smem;              // [BK][LD]
    float* sV = sK + BK * LD;      // [BK][LD]
    float* sQ = sV + BK * LD;      // [BQ][LD], pre-scaled to base-2 logits
    float* sG = sQ + BQ * LD;      // [BQ][LD] dO
    float* sP = sG + BQ * LD;      // [BK][BQ + 1] P^T
    float* sS = sP + BK * (BQ + 1);  // [BK][BQ + 1] dS^T
    float* sL = sS + BK * (BQ + 1);  // [BQ] lse in base 2
    float* sD = sL + BQ;             // [BQ] di
    require_smem((2 * BK + 2 * BQ) * LD + 2 * BK * (BQ + 1) + 2 * BQ);
    const int tx = threadIdx.x % TS, ty = threadIdx.x / TS;
    const int b = blockIdx.x, k0 = blockIdx.y * BK;
    const long long qb = q.base(b, nb2), gb = go.base(b, nb2);
    const float sl2 = scale * LOG2E;
    load_tile<T, BK>(sK, k, k.base(b, nb2), k0, Lk, D, 1.f);
    load_tile<T, BK>(sV, v, v.base(b, nb2), k0, Lk, Dv, 1.f);
    float gk[RK][NJ], gv[RK][NJ];
#pragma unroll
    for (int i = 0; i < RK; i++)
#pragma unroll
        for (int jj = 0; jj < NJ; jj++) { gk[i][jj] = 0.f; gv[i][jj] = 0.f; }
    for (int q0 = 0; q0 < Lq; q0 += BQ) {
        __syncthreads();
        load_tile<T, BQ>(sQ, q, qb, q0, Lq, D, sl2);
        load_tile<T, BQ>(sG, go, gb, q0, Lq, Dv, 1.f);
        for (int r = threadIdx.x; r < BQ; r += NT) {
            const bool in = q0 + r < Lq;   // P = exp2(s - inf) = 0 for query rows past the end
            sL[r] = in ? lse[(long long)b * Lq + q0 + r] * LOG2E : F32_INF;
            sD[r] = in ? di[(long long)b * Lq + q0 + r] : 0.f;
        }
        __syncthreads();
        // S^T and dP^T, thread rows are keys, columns queries; key rows past Lk are computed but never stored
        float st[RK][RQ], dpt[RK][RQ];
        tile_dot<RK, RQ>(sK, sQ, D, st);
        tile_dot<RK, RQ>(sV, sG, Dv, dpt);
#pragma unroll
        for (int i = 0; i < RK; i++)
#pragma unroll
            for (int j = 0; j < RQ; j++) {
                const int c = tx + TS * j;
                const float p = exp2f(st[i][j] - sL[c]);
                sP[(ty + TS * i) * (BQ + 1) + c] = p;
                sS[(ty + TS * i) * (BQ + 1) + c] = p * (dpt[i][j] - sD[c]);
            }
        __syncthreads();
        tile_accum<RK, BQ>(sP, sG, gv);
        tile_accum<RK, BQ>(sS, sQ, gk);   // sQ holds q * scale * log2(e): LN2 below leaves scale * dS^T q
    }
    store_rows<T, RK>(dv, gv, b, k0, Lk, Dv, 1.f);
    store_rows<T, RK>(dk, gk, b, k0, Lk, D, LN2);
}

// ---------------------------------------------------------------------------------------------- entry points

#define ATTENTION_KERNELS(T, SFX) \
    extern "C" __global__ void __launch_bounds__(NT) attn_fwd_##SFX(VIEW_PARAMS(T, q), VIEW_PARAMS(T, k), VIEW_PARAMS(T, v), \
            T* out, float* lse, int nb2, int Lq, int Lk, int D, int Dv, float scale) { \
        attn_fwd<T>(VIEW_OF(T, q), VIEW_OF(T, k), VIEW_OF(T, v), out, lse, nb2, Lq, Lk, D, Dv, scale); } \
    extern "C" __global__ void attn_bwd_dot_##SFX(VIEW_PARAMS(T, go), VIEW_PARAMS(T, out), float* di, int nb2, int Lq, int Dv, int rows) { \
        attn_bwd_dot<T>(VIEW_OF(T, go), VIEW_OF(T, out), di, nb2, Lq, Dv, rows); } \
    extern "C" __global__ void __launch_bounds__(NT) attn_bwd_dq_##SFX(VIEW_PARAMS(T, q), VIEW_PARAMS(T, k), VIEW_PARAMS(T, v), \
            VIEW_PARAMS(T, go), const float* lse, const float* di, T* dq, int nb2, int Lq, int Lk, int D, int Dv, float scale) { \
        attn_bwd_dq<T>(VIEW_OF(T, q), VIEW_OF(T, k), VIEW_OF(T, v), VIEW_OF(T, go), lse, di, dq, nb2, Lq, Lk, D, Dv, scale); } \
    extern "C" __global__ void __launch_bounds__(NT) attn_bwd_dkdv_##SFX(VIEW_PARAMS(T, q), VIEW_PARAMS(T, k), VIEW_PARAMS(T, v), \
            VIEW_PARAMS(T, go), const float* lse, const float* di, T* dk, T* dv, int nb2, int Lq, int Lk, int D, int Dv, float scale) { \
        attn_bwd_dkdv<T>(VIEW_OF(T, q), VIEW_OF(T, k), VIEW_OF(T, v), VIEW_OF(T, go), lse, di, dk, dv, nb2, Lq, Lk, D, Dv, scale); }

ATTENTION_KERNELS(float, f32)
ATTENTION_KERNELS(bf16, bf16)
