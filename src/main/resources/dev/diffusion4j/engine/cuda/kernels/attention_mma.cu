// Fused scaled dot-product attention on the tensor cores (bf16 operands, f32 accumulation; sm_80 and later), for
// q [B, Lq, D], k [B, Lk, D], v [B, Lk, Dv] read through views (common.cuh) whose columns are contiguous, and
// outputs written through views too, so a head split or merge of a fused qkv costs no copy. The same algorithm as
// attention.cu (FlashAttention-2: online softmax, no [Lq, Lk] matrix, the backward recomputing P from the log-sum-exp,
// dQ and dK/dV in two kernels so the result is deterministic), with the products done by mma.sync m16n8k16:
//   a block is 4 warps over a 64-row tile; each warp owns 16 rows and never needs another warp's values.
//   S = Q K^T, dP = dO V^T and the transposed S^T = K Q^T, dP^T = V dO^T read both operands from shared tiles whose
//   rows run along the reduction; P V, dS K, P^T dO and dS^T Q take P or dS straight from the accumulator registers
//   (an m16n8 accumulator pair is an m16k16 A operand) and read the other operand from a transposed shared tile.
// P and dS are rounded to bf16 for their products, as FlashAttention does.
//
// Compiled per padded head dim DP (a multiple of 16; D and Dv are padded with zeros up to it): the forward up to 256,
// the backward up to 128 (beyond, its accumulators would not fit in registers; CudaAttention then runs attention.cu's
// backward, which takes the same log-sum-exp). The shared-memory sizes here must match CudaAttention.smemBytes; each
// kernel traps when given less.

#if !defined(DP)
#error "attention_mma.cu needs DP (see CudaAttention)"
#endif
static_assert(DP % 16 == 0 && DP <= 256, "DP must be a multiple of 16, at most 256");

#define TILE 64               // query rows per block and keys per step (and the reverse in the dK/dV kernel)
#define NTHREADS 128          // four warps of 16 rows each
#define LDS (DP + 8)          // row stride (elements) of a [64][DP] tile: rows 8 apart in 4-byte words fall in distinct banks
#define LDT (TILE + 8)        // row stride of a transposed [DP][64] tile
#define LOG2E 1.4426950408889634f
#define LN2 0.6931471805599453f

typedef unsigned short u16;

// Shared-memory bytes per kernel (CudaAttention.TensorCoreTiles computes the same numbers).
#define FWD_SMEM ((2 * TILE * LDS + DP * LDT) * 2)
#define DQ_SMEM ((4 * TILE * LDS + DP * LDT) * 2)
#define DKDV_SMEM ((4 * TILE * LDS + 2 * DP * LDT) * 2 + 2 * TILE * 4)

__device__ __forceinline__ unsigned int pack_bf16(float lo, float hi) {
    unsigned int r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));   // the first source goes to the upper half
    return r;
}

__device__ __forceinline__ void mma(float (&c)[4], const unsigned int (&a)[4], unsigned int b0, unsigned int b1) {
#if __CUDA_ARCH__ >= 800
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#else
    __trap();   // CudaAttention only launches these kernels on sm_80 and later
#endif
}

__device__ __forceinline__ unsigned int word(const u16* s, int at) { return *(const unsigned int*)(s + at); }

// The A operand (16 rows x 16 along the reduction) from a shared tile X[row][k] of row stride ld.
__device__ __forceinline__ void load_a(unsigned int (&a)[4], const u16* X, int ld, int r0, int k0) {
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const u16* p = X + (r0 + g) * ld + k0 + 2 * t;
    a[0] = word(p, 0);
    a[1] = word(p, 8 * ld);
    a[2] = word(p, 8);
    a[3] = word(p, 8 * ld + 8);
}

// c[j] += A times the B operand of columns n0 + 8 j, from a shared tile Y[n][k] of row stride ld (rows are B's
// columns, running along the reduction), for NT columns tiles.
template <int NT>
__device__ __forceinline__ void mma_row(float (&c)[NT][4], const unsigned int (&a)[4], const u16* Y, int ld, int k0) {
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int j = 0; j < NT; j++) {
        const u16* p = Y + (8 * j + g) * ld + k0 + 2 * t;
        mma(c[j], a, word(p, 0), word(p, 8));
    }
}

// C (16 x 8 NK tiles) += A B over a reduction of KC * 16: A = the warp's rows of X, B from Y as in mma_row.
template <int NT>
__device__ __forceinline__ void mma_tiles(float (&c)[NT][4], const u16* X, int r0, const u16* Y, int kchunks) {
    for (int kc = 0; kc < kchunks; kc++) {
        unsigned int a[4];
        load_a(a, X, LDS, r0, 16 * kc);
        mma_row<NT>(c, a, Y, LDS, 16 * kc);
    }
}

// C (16 x DP) += P Z for P a 16 x 64 accumulator held in registers (rounded to bf16) and Zt the transposed [DP][64]
// shared tile of Z [64][DP].
__device__ __forceinline__ void mma_from_regs(float (&c)[DP / 8][4], const float (&p)[TILE / 8][4], const u16* Zt) {
#pragma unroll
    for (int kc = 0; kc < TILE / 16; kc++) {
        const unsigned int a[4] = {pack_bf16(p[2 * kc][0], p[2 * kc][1]), pack_bf16(p[2 * kc][2], p[2 * kc][3]),
                                   pack_bf16(p[2 * kc + 1][0], p[2 * kc + 1][1]), pack_bf16(p[2 * kc + 1][2], p[2 * kc + 1][3])};
        mma_row<DP / 8>(c, a, Zt, LDT, 16 * kc);
    }
}

template <int NT>
__device__ __forceinline__ void zero(float (&c)[NT][4]) {
#pragma unroll
    for (int j = 0; j < NT; j++) c[j][0] = c[j][1] = c[j][2] = c[j][3] = 0.f;
}

// Rows [row0, row0 + 64) x columns [0, DP) of one batch's matrix into a shared tile: [64][LDS], or transposed
// [DP][LDT] when TRANS. Rows past `rows` and columns past `cols` become zeros. 16-byte loads where the view allows.
template <bool TRANS>
__device__ __forceinline__ void load_tile(u16* s, const View<bf16>& v, long long base, int row0, int rows, int cols) {
    const u16* src = (const u16*)v.p + base;
    const bool vec = cols % 8 == 0 && v.r % 8 == 0 && ((unsigned long long)src & 15) == 0;
    if (vec) {
        for (int i = threadIdx.x; i < TILE * (DP / 8); i += NTHREADS) {
            const int r = i / (DP / 8), c = (i - r * (DP / 8)) * 8;
            uint4 x = make_uint4(0u, 0u, 0u, 0u);
            if (row0 + r < rows && c < cols) x = *(const uint4*)(src + (long long)(row0 + r) * v.r + c);
            if (!TRANS) {
                *(uint4*)(s + r * LDS + c) = x;
            } else {
                const unsigned int w[4] = {x.x, x.y, x.z, x.w};
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    s[(c + 2 * e) * LDT + r] = (u16)(w[e] & 0xffffu);
                    s[(c + 2 * e + 1) * LDT + r] = (u16)(w[e] >> 16);
                }
            }
        }
    } else {
        for (int i = threadIdx.x; i < TILE * DP; i += NTHREADS) {
            const int r = i / DP, c = i - r * DP;
            const u16 x = row0 + r < rows && c < cols ? src[(long long)(row0 + r) * v.r + c] : (u16)0;
            s[TRANS ? c * LDT + r : r * LDS + c] = x;
        }
    }
}

// Writes a warp's 16 x DP accumulator (times mul) to rows r0.. of an output view, skipping rows past L and columns
// past cols.
__device__ __forceinline__ void store_tile(const View<bf16>& out, long long base, const float (&c)[DP / 8][4], int r0, int L,
                                           int cols, float mul0, float mul1) {
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    bf16* o = (bf16*)out.p + base;
#pragma unroll
    for (int j = 0; j < DP / 8; j++)
#pragma unroll
        for (int e = 0; e < 4; e++) {
            const int row = r0 + g + (e >= 2 ? 8 : 0), col = 8 * j + 2 * t + (e & 1);
            if (row < L && col < cols) o[(long long)row * out.r + col] = TypeOps<bf16>::from_c(c[j][e] * (e >= 2 ? mul1 : mul0));
        }
}

// ---------------------------------------------------------------------------------------------- forward

extern "C" __global__ void __launch_bounds__(NTHREADS) mma_attn_fwd(VIEW_PARAMS(bf16, q), VIEW_PARAMS(bf16, k), VIEW_PARAMS(bf16, v),
        VIEW_PARAMS(bf16, out), float* lse, int nb2, int Lq, int Lk, int D, int Dv, float scale) {
    extern __shared__ __align__(16) unsigned char smem_raw[];
    u16* sQ = (u16*)smem_raw;          // [64][LDS]
    u16* sK = sQ + TILE * LDS;         // [64][LDS]
    u16* sVt = sK + TILE * LDS;        // [DP][LDT]
    require_smem_bytes(FWD_SMEM);
    const View<bf16> Q = VIEW_OF(bf16, q), K = VIEW_OF(bf16, k), V = VIEW_OF(bf16, v), O = VIEW_OF(bf16, out);
    const int lane = threadIdx.x & 31, t = lane & 3, r0 = (threadIdx.x >> 5) * 16;
    const int b = blockIdx.x, q0 = blockIdx.y * TILE;
    const long long kb = K.base(b, nb2), vb = V.base(b, nb2);
    const float sl2 = scale * LOG2E;
    load_tile<false>(sQ, Q, Q.base(b, nb2), q0, Lq, D);

    float o[DP / 8][4], m[2] = {-F32_INF, -F32_INF}, l[2] = {0.f, 0.f};   // rows g and g + 8: running max (base 2), sum
    zero<DP / 8>(o);
    for (int k0 = 0; k0 < Lk; k0 += TILE) {
        __syncthreads();
        load_tile<false>(sK, K, kb, k0, Lk, D);
        load_tile<true>(sVt, V, vb, k0, Lk, Dv);
        __syncthreads();
        float s[TILE / 8][4];
        zero<TILE / 8>(s);
        mma_tiles<TILE / 8>(s, sQ, r0, sK, DP / 16);
        float mx[2] = {m[0], m[1]};
#pragma unroll
        for (int j = 0; j < TILE / 8; j++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const float x = k0 + 8 * j + 2 * t + (e & 1) < Lk ? s[j][e] * sl2 : -F32_INF;
                s[j][e] = x;
                mx[e >> 1] = fmaxf(mx[e >> 1], x);
            }
        float corr[2], sum[2] = {0.f, 0.f};
#pragma unroll
        for (int h = 0; h < 2; h++) {
            mx[h] = fmaxf(mx[h], __shfl_xor_sync(0xffffffffu, mx[h], 1));
            mx[h] = fmaxf(mx[h], __shfl_xor_sync(0xffffffffu, mx[h], 2));   // the row's four threads agree
            corr[h] = exp2f(m[h] - mx[h]);   // 0 on the first tile (m = -inf; every tile has a key in range)
            m[h] = mx[h];
        }
#pragma unroll
        for (int j = 0; j < TILE / 8; j++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const float p = exp2f(s[j][e] - m[e >> 1]);
                s[j][e] = p;
                sum[e >> 1] += p;
            }
#pragma unroll
        for (int h = 0; h < 2; h++) l[h] = l[h] * corr[h] + sum[h];
#pragma unroll
        for (int j = 0; j < DP / 8; j++) {
            o[j][0] *= corr[0]; o[j][1] *= corr[0];
            o[j][2] *= corr[1]; o[j][3] *= corr[1];
        }
        mma_from_regs(o, s, sVt);
    }
#pragma unroll
    for (int h = 0; h < 2; h++) {
        l[h] += __shfl_xor_sync(0xffffffffu, l[h], 1);
        l[h] += __shfl_xor_sync(0xffffffffu, l[h], 2);
    }
    store_tile(O, O.base(b, nb2), o, q0 + r0, Lq, Dv, 1.f / l[0], 1.f / l[1]);
    if (t == 0)
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const int row = q0 + r0 + (lane >> 2) + 8 * h;
            if (row < Lq) lse[(long long)b * Lq + row] = (m[h] + log2f(l[h])) * LN2;
        }
}

// ---------------------------------------------------------------------------------------------- backward
// di (rowsum(dO * O), per query row) comes from attention.cu's attn_bwd_dot, run first.
#if DP <= 128

// dQ for one tile of query rows: dQ = scale * sum over key tiles of dS K, dS = P * (dP - di), dP = dO V^T.
extern "C" __global__ void __launch_bounds__(NTHREADS) mma_attn_bwd_dq(VIEW_PARAMS(bf16, q), VIEW_PARAMS(bf16, k), VIEW_PARAMS(bf16, v),
        VIEW_PARAMS(bf16, go), const float* lse, const float* di, VIEW_PARAMS(bf16, dq), int nb2, int Lq, int Lk, int D, int Dv, float scale) {
    extern __shared__ __align__(16) unsigned char smem_raw[];
    u16* sQ = (u16*)smem_raw;          // [64][LDS]
    u16* sG = sQ + TILE * LDS;         // [64][LDS] dO
    u16* sK = sG + TILE * LDS;         // [64][LDS]
    u16* sV = sK + TILE * LDS;         // [64][LDS]
    u16* sKt = sV + TILE * LDS;        // [DP][LDT]
    require_smem_bytes(DQ_SMEM);
    const View<bf16> Q = VIEW_OF(bf16, q), K = VIEW_OF(bf16, k), V = VIEW_OF(bf16, v), G = VIEW_OF(bf16, go), DQ = VIEW_OF(bf16, dq);
    const int lane = threadIdx.x & 31, t = lane & 3, r0 = (threadIdx.x >> 5) * 16;
    const int b = blockIdx.x, q0 = blockIdx.y * TILE;
    const long long kb = K.base(b, nb2), vb = V.base(b, nb2);
    const float sl2 = scale * LOG2E;
    load_tile<false>(sQ, Q, Q.base(b, nb2), q0, Lq, D);
    load_tile<false>(sG, G, G.base(b, nb2), q0, Lq, Dv);
    float lse2[2], dsub[2];
#pragma unroll
    for (int h = 0; h < 2; h++) {
        const int row = q0 + r0 + (lane >> 2) + 8 * h;
        const bool in = row < Lq;   // rows past Lq compute values that are never stored
        lse2[h] = in ? lse[(long long)b * Lq + row] * LOG2E : 0.f;
        dsub[h] = in ? di[(long long)b * Lq + row] : 0.f;
    }
    float acc[DP / 8][4];
    zero<DP / 8>(acc);
    for (int k0 = 0; k0 < Lk; k0 += TILE) {
        __syncthreads();
        load_tile<false>(sK, K, kb, k0, Lk, D);
        load_tile<false>(sV, V, vb, k0, Lk, Dv);
        load_tile<true>(sKt, K, kb, k0, Lk, D);
        __syncthreads();
        float s[TILE / 8][4], dp[TILE / 8][4];
        zero<TILE / 8>(s);
        zero<TILE / 8>(dp);
        mma_tiles<TILE / 8>(s, sQ, r0, sK, DP / 16);
        mma_tiles<TILE / 8>(dp, sG, r0, sV, DP / 16);
#pragma unroll
        for (int j = 0; j < TILE / 8; j++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const float p = k0 + 8 * j + 2 * t + (e & 1) < Lk ? exp2f(s[j][e] * sl2 - lse2[e >> 1]) : 0.f;
                s[j][e] = p * (dp[j][e] - dsub[e >> 1]);
            }
        mma_from_regs(acc, s, sKt);
    }
    store_tile(DQ, DQ.base(b, nb2), acc, q0 + r0, Lq, D, scale, scale);
}

// dK and dV for one tile of key rows: dV = sum over query tiles of P^T dO, dK = scale * sum of dS^T Q.
extern "C" __global__ void __launch_bounds__(NTHREADS) mma_attn_bwd_dkdv(VIEW_PARAMS(bf16, q), VIEW_PARAMS(bf16, k), VIEW_PARAMS(bf16, v),
        VIEW_PARAMS(bf16, go), const float* lse, const float* di, VIEW_PARAMS(bf16, dk), VIEW_PARAMS(bf16, dv),
        int nb2, int Lq, int Lk, int D, int Dv, float scale) {
    extern __shared__ __align__(16) unsigned char smem_raw[];
    u16* sK = (u16*)smem_raw;          // [64][LDS]
    u16* sV = sK + TILE * LDS;         // [64][LDS]
    u16* sQ = sV + TILE * LDS;         // [64][LDS]
    u16* sG = sQ + TILE * LDS;         // [64][LDS] dO
    u16* sQt = sG + TILE * LDS;        // [DP][LDT]
    u16* sGt = sQt + DP * LDT;         // [DP][LDT]
    float* sL = (float*)(sGt + DP * LDT);   // [64] lse of the query tile, base 2
    float* sD = sL + TILE;                  // [64] di
    require_smem_bytes(DKDV_SMEM);
    const View<bf16> Q = VIEW_OF(bf16, q), K = VIEW_OF(bf16, k), V = VIEW_OF(bf16, v), G = VIEW_OF(bf16, go);
    const View<bf16> DK = VIEW_OF(bf16, dk), DV = VIEW_OF(bf16, dv);
    const int lane = threadIdx.x & 31, t = lane & 3, r0 = (threadIdx.x >> 5) * 16;
    const int b = blockIdx.x, k0 = blockIdx.y * TILE;
    const long long qb = Q.base(b, nb2), gb = G.base(b, nb2);
    const float sl2 = scale * LOG2E;
    load_tile<false>(sK, K, K.base(b, nb2), k0, Lk, D);
    load_tile<false>(sV, V, V.base(b, nb2), k0, Lk, Dv);
    float gk[DP / 8][4], gv[DP / 8][4];
    zero<DP / 8>(gk);
    zero<DP / 8>(gv);
    for (int q0 = 0; q0 < Lq; q0 += TILE) {
        __syncthreads();
        load_tile<false>(sQ, Q, qb, q0, Lq, D);
        load_tile<true>(sQt, Q, qb, q0, Lq, D);
        load_tile<false>(sG, G, gb, q0, Lq, Dv);
        load_tile<true>(sGt, G, gb, q0, Lq, Dv);
        for (int r = threadIdx.x; r < TILE; r += NTHREADS) {
            const bool in = q0 + r < Lq;   // P = exp2(s - inf) = 0 for query columns past the end
            sL[r] = in ? lse[(long long)b * Lq + q0 + r] * LOG2E : F32_INF;
            sD[r] = in ? di[(long long)b * Lq + q0 + r] : 0.f;
        }
        __syncthreads();
        // S^T and dP^T: the warp's 16 keys by the tile's 64 queries; key rows past Lk are computed but never stored
        float st[TILE / 8][4], dpt[TILE / 8][4];
        zero<TILE / 8>(st);
        zero<TILE / 8>(dpt);
        mma_tiles<TILE / 8>(st, sK, r0, sQ, DP / 16);
        mma_tiles<TILE / 8>(dpt, sV, r0, sG, DP / 16);
#pragma unroll
        for (int j = 0; j < TILE / 8; j++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int c = 8 * j + 2 * t + (e & 1);
                const float p = exp2f(st[j][e] * sl2 - sL[c]);
                st[j][e] = p;
                dpt[j][e] = p * (dpt[j][e] - sD[c]);
            }
        mma_from_regs(gv, st, sGt);
        mma_from_regs(gk, dpt, sQt);
    }
    store_tile(DV, DV.base(b, nb2), gv, k0 + r0, Lk, Dv, 1.f, 1.f);
    store_tile(DK, DK.base(b, nb2), gk, k0 + r0, Lk, D, scale, scale);
}
#endif   // DP <= 128
