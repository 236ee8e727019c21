// Fused scaled dot-product attention on the tensor cores (sm_80 and later; f32 accumulation), for bf16 operands
// (mma m16n8k16) and for f32 ones rounded to TF32 where TF32 math is allowed (m16n8k8), for
// q [B, Lq, D], k [B, Lk, D], v [B, Lk, Dv] read through views (common.cuh) whose columns are contiguous, and
// outputs written through views too, so a head split or merge of a fused qkv costs no copy. The same algorithm as
// attention.cu (FlashAttention-2: online softmax, no [Lq, Lk] matrix, the backward recomputing P from the log-sum-exp,
// dQ and dK/dV in two kernels so the result is deterministic), with the products done by mma.sync:
//   a block is 4 warps over a 64-row tile; each warp owns 16 rows and never needs another warp's values (in the
//   pipelined bf16 forward with FWD_ROWS 128: a 128-row tile, 32 rows a warp, as two tiles of 16 sharing B fragments).
//   S = Q K^T, dP = dO V^T and the transposed S^T = K Q^T, dP^T = V dO^T read both operands from shared tiles whose
//   rows run along the reduction; P V, dS K, P^T dO and dS^T Q take P or dS from the accumulator registers (for bf16 an
//   m16n8 accumulator pair is an m16k16 A operand; for TF32 four shuffles per register rearrange one) and read the
//   other operand from a transposed shared tile.
// P and dS are rounded to the operand type for their products, as FlashAttention does.
// For bf16 each kernel also has a pipelined form (PIPE, PIPE_BWD), taken where every operand's rows are 16-byte chunks:
// tiles come in with cp.async, the next one loading while this one is used, and the products whose other operand the
// single-buffered kernels read from a transposed tile read it row-major with ldmatrix.trans instead.
//
// Compiled per padded head dim DP (a multiple of 16; D and Dv are padded with zeros up to it): the forward up to 256,
// the backward up to 128 (beyond, its accumulators would not fit in registers; CudaAttention then runs attention.cu's
// backward, which takes the same log-sum-exp; it also leaves a differentiated forward beyond 128 to the composed path).
// The shared-memory sizes here must match CudaAttention.smemBytes; each kernel traps when given less.
// scripts/cuda-emulator runs these kernels on the CPU against a double reference.

#if !defined(DP)
#error "attention_mma.cu needs DP (see CudaAttention)"
#endif
static_assert(DP % 16 == 0 && DP <= 256, "DP must be a multiple of 16, at most 256");
#if !defined(PIPE)
#define PIPE 1                // bf16 forward: double-buffered cp.async tiles, ldmatrix.trans instead of a transposed tile
#endif
#if !defined(PIPE_BWD)
#define PIPE_BWD 0            // the same for the bf16 backward kernels (CudaAttention passes 1 unless switched off)
#endif
#if !defined(FWD_ROWS)
#define FWD_ROWS 64           // query rows per forward block: 64, or 128 where each warp takes 32 rows (see below)
#endif

#define TILE 64               // query rows per block and keys per step (and the reverse in the dK/dV kernel)
#define NTHREADS 128          // four warps of 16 rows each (of 32 in the pipelined forward with FWD_ROWS 128)
static_assert(FWD_ROWS == TILE || FWD_ROWS == 2 * TILE, "FWD_ROWS must be 64 or 128");
#define LOG2E 1.4426950408889634f
#define LN2 0.6931471805599453f

typedef unsigned short u16;

__device__ __forceinline__ unsigned int to_tf32(float f) {
    unsigned int r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(f));
    return r;
}

// What differs between the operand types: the shared-memory element E, the reduction step K of one mma, the row
// padding, the mma itself and how A and B fragments are gathered (PTX ISA, "matrix fragments for mma.m16n8k16 / k8").
// Row strides: LDS = DP + PAD for [64][DP] tiles, LDT = 64 + PAD for transposed [DP][64] ones; with them the eight
// rows a fragment load touches fall in distinct banks.
struct Bf16Ops {
    typedef u16 E;
    typedef bf16 T;
    static constexpr int K = 16, PAD = 8;
    static __device__ __forceinline__ E from_global(bf16 v) { return v.x; }
    static __device__ __forceinline__ unsigned int word(const E* s, int at) { return *(const unsigned int*)(s + at); }
    // A (16 x 16) at rows r0.., reduction columns k0.. of X[row][k]
    static __device__ __forceinline__ void load_a(unsigned int (&a)[4], const E* X, int ld, int r0, int k0, int g, int t) {
        const E* p = X + (r0 + g) * ld + k0 + 2 * t;
        a[0] = word(p, 0);
        a[1] = word(p, 8 * ld);
        a[2] = word(p, 8);
        a[3] = word(p, 8 * ld + 8);
    }
    // B (16 x 8) of columns n0.. from Y[n][k], rows of Y running along the reduction
    static __device__ __forceinline__ void load_b(unsigned int (&b)[2], const E* Y, int ld, int n0, int k0, int g, int t) {
        const E* p = Y + (n0 + g) * ld + k0 + 2 * t;
        b[0] = word(p, 0);
        b[1] = word(p, 8);
    }
    static __device__ __forceinline__ unsigned int pack(float lo, float hi) {
        unsigned int r;
        asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));   // the first source goes to the upper half
        return r;
    }
    // A for reduction chunk kc from a 16 x 64 accumulator: tiles 2 kc and 2 kc + 1 side by side are the operand
    template <int NT>
    static __device__ __forceinline__ void a_from_acc(unsigned int (&a)[4], const float (&p)[NT][4], int kc, int t) {
        a[0] = pack(p[2 * kc][0], p[2 * kc][1]);
        a[1] = pack(p[2 * kc][2], p[2 * kc][3]);
        a[2] = pack(p[2 * kc + 1][0], p[2 * kc + 1][1]);
        a[3] = pack(p[2 * kc + 1][2], p[2 * kc + 1][3]);
    }
    static __device__ __forceinline__ void mma(float (&c)[4], const unsigned int (&a)[4], const unsigned int (&b)[2]) {
#if __CUDA_ARCH__ >= 800
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#else
        __trap();   // CudaAttention only launches these kernels on sm_80 and later
#endif
    }
};

struct Tf32Ops {
    typedef unsigned int E;   // TF32 bits (an f32 with the low mantissa bits rounded off)
    typedef float T;
    static constexpr int K = 8, PAD = 4;
    static __device__ __forceinline__ E from_global(float v) { return to_tf32(v); }
    static __device__ __forceinline__ void load_a(unsigned int (&a)[4], const E* X, int ld, int r0, int k0, int g, int t) {
        const E* p = X + (r0 + g) * ld + k0 + t;
        a[0] = p[0];
        a[1] = p[8 * ld];
        a[2] = p[4];
        a[3] = p[8 * ld + 4];
    }
    static __device__ __forceinline__ void load_b(unsigned int (&b)[2], const E* Y, int ld, int n0, int k0, int g, int t) {
        const E* p = Y + (n0 + g) * ld + k0 + t;
        b[0] = p[0];
        b[1] = p[4];
    }
    // A for reduction chunk kc (8 keys: accumulator tile kc): thread t needs columns t and t + 4 of rows g and g + 8,
    // which its group's threads t / 2 and t / 2 + 2 hold as element t % 2 of their pairs
    template <int NT>
    static __device__ __forceinline__ void a_from_acc(unsigned int (&a)[4], const float (&p)[NT][4], int kc, int t) {
        const int lane = threadIdx.x & 31, src = (lane & ~3) | (t >> 1);
        const bool odd = t & 1;
        const float x0 = __shfl_sync(0xffffffffu, p[kc][0], src), x1 = __shfl_sync(0xffffffffu, p[kc][1], src);
        const float y0 = __shfl_sync(0xffffffffu, p[kc][2], src), y1 = __shfl_sync(0xffffffffu, p[kc][3], src);
        const float u0 = __shfl_sync(0xffffffffu, p[kc][0], src + 2), u1 = __shfl_sync(0xffffffffu, p[kc][1], src + 2);
        const float v0 = __shfl_sync(0xffffffffu, p[kc][2], src + 2), v1 = __shfl_sync(0xffffffffu, p[kc][3], src + 2);
        a[0] = to_tf32(odd ? x1 : x0);
        a[1] = to_tf32(odd ? y1 : y0);
        a[2] = to_tf32(odd ? u1 : u0);
        a[3] = to_tf32(odd ? v1 : v0);
    }
    static __device__ __forceinline__ void mma(float (&c)[4], const unsigned int (&a)[4], const unsigned int (&b)[2]) {
#if __CUDA_ARCH__ >= 800
        asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#else
        __trap();
#endif
    }
};

template <class Ops> struct Tiles {
    static constexpr int LDS = DP + Ops::PAD, LDT = TILE + Ops::PAD, EB = sizeof(typename Ops::E);
    // shared-memory bytes per kernel (CudaAttention.smemBytes computes the same numbers)
    static constexpr int FWD = (2 * TILE * LDS + DP * LDT) * EB;
    // the pipelined bf16 kernels: Q (FWD_ROWS rows) and two K and two V tiles; Q and dO and two K and two V tiles; K
    // and V and two Q and two dO tiles with two rows of lse and di
    static constexpr int FWD_PIPED = (FWD_ROWS / TILE + 4) * TILE * LDS * EB;
    static constexpr int DQ_PIPED = 6 * TILE * LDS * EB;
    static constexpr int DKDV_PIPED = 6 * TILE * LDS * EB + 4 * TILE * 4;
    static constexpr int DQ = (4 * TILE * LDS + DP * LDT) * EB;
    static constexpr int DKDV = (4 * TILE * LDS + 2 * DP * LDT) * EB + 2 * TILE * 4;
};

// c[j] += A times the B operand of columns 8 j, from a shared tile Y[n][k] of row stride ld, for NT column tiles.
template <class Ops, int NT>
__device__ __forceinline__ void mma_row(float (&c)[NT][4], const unsigned int (&a)[4], const typename Ops::E* Y, int ld, int k0) {
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int j = 0; j < NT; j++) {
        unsigned int b[2];
        Ops::load_b(b, Y, ld, 8 * j, k0, g, t);
        Ops::mma(c[j], a, b);
    }
}

// C (16 x 8 NT) += A B over the DP-wide reduction: A = the warp's rows r0.. of the [64][DP] tile X, B from the [64][DP]
// tile Y as in mma_row.
template <class Ops, int NT>
__device__ __forceinline__ void mma_tiles(float (&c)[NT][4], const typename Ops::E* X, int r0, const typename Ops::E* Y) {
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
#pragma unroll 2
    for (int k0 = 0; k0 < DP; k0 += Ops::K) {
        unsigned int a[4];
        Ops::load_a(a, X, Tiles<Ops>::LDS, r0, k0, g, t);
        mma_row<Ops, NT>(c, a, Y, Tiles<Ops>::LDS, k0);
    }
}

// C (16 x DP) += P Z for P a 16 x 64 accumulator held in registers (rounded to the operand type) and Zt the transposed
// [DP][64] shared tile of Z [64][DP].
template <class Ops>
__device__ __forceinline__ void mma_from_regs(float (&c)[DP / 8][4], const float (&p)[TILE / 8][4], const typename Ops::E* Zt) {
    const int t = threadIdx.x & 3;
#pragma unroll
    for (int kc = 0; kc < TILE / Ops::K; kc++) {
        unsigned int a[4];
        Ops::template a_from_acc<TILE / 8>(a, p, kc, t);
        mma_row<Ops, DP / 8>(c, a, Zt, Tiles<Ops>::LDT, Ops::K * kc);
    }
}

template <int NT>
__device__ __forceinline__ void zero(float (&c)[NT][4]) {
#pragma unroll
    for (int j = 0; j < NT; j++) c[j][0] = c[j][1] = c[j][2] = c[j][3] = 0.f;
}

// Blocks form a 1-D grid in which one batch entry's row tiles (of `tile` rows) are adjacent: the blocks that read the
// same K and V (the same Q and dO in the dK/dV kernel) run at about the same time, so all but the first read those
// tiles from L2. With the batch entries along x and the tiles along y, each tile's blocks ran a whole batch apart and
// read them from HBM.
__device__ __forceinline__ int block_batch(int rows, int tile = TILE) { return blockIdx.x / ((rows + tile - 1) / tile); }
__device__ __forceinline__ int block_row0(int rows, int tile = TILE) { return blockIdx.x % ((rows + tile - 1) / tile) * tile; }

// Rows [row0, row0 + 64) x columns [0, DP) of one batch's matrix into a shared tile: [64][LDS], or transposed
// [DP][LDT] when TRANS. Rows past `rows` and columns past `cols` become zeros. For bf16, 16-byte loads where the view
// allows.
template <class Ops, bool TRANS>
__device__ __forceinline__ void load_tile(typename Ops::E* s, const View<typename Ops::T>& v, long long base, int row0, int rows, int cols) {
    typedef typename Ops::E E;
    constexpr int LDS = Tiles<Ops>::LDS, LDT = Tiles<Ops>::LDT;
    const typename Ops::T* src = v.p + base;
    const bool vec = sizeof(E) == 2 && cols % 8 == 0 && v.r % 8 == 0 && ((unsigned long long)src & 15) == 0;
    if (vec) {
        const u16* s16 = (const u16*)src;
        for (int i = threadIdx.x; i < TILE * (DP / 8); i += NTHREADS) {
            const int r = i / (DP / 8), c = (i - r * (DP / 8)) * 8;
            uint4 x = make_uint4(0u, 0u, 0u, 0u);
            if (row0 + r < rows && c < cols) x = *(const uint4*)(s16 + (long long)(row0 + r) * v.r + c);
            if (!TRANS) {
                *(uint4*)(s + r * LDS + c) = x;
            } else {
                const unsigned int w[4] = {x.x, x.y, x.z, x.w};
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    s[(c + 2 * e) * LDT + r] = (E)(w[e] & 0xffffu);
                    s[(c + 2 * e + 1) * LDT + r] = (E)(w[e] >> 16);
                }
            }
        }
    } else {
        for (int i = threadIdx.x; i < TILE * DP; i += NTHREADS) {
            const int r = i / DP, c = i - r * DP;
            const E x = row0 + r < rows && c < cols ? Ops::from_global(src[(long long)(row0 + r) * v.r + c]) : (E)0;
            s[TRANS ? c * LDT + r : r * LDS + c] = x;
        }
    }
}

// Writes a warp's 16 x DP accumulator (times mul) to rows r0.. of an output view, skipping rows past L and columns
// past cols.
template <class T>
__device__ __forceinline__ void store_tile(const View<T>& out, long long base, const float (&c)[DP / 8][4], int r0, int L,
                                           int cols, float mul0, float mul1) {
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    T* o = (T*)out.p + base;
#pragma unroll
    for (int j = 0; j < DP / 8; j++)
#pragma unroll
        for (int e = 0; e < 4; e++) {
            const int row = r0 + g + (e >= 2 ? 8 : 0), col = 8 * j + 2 * t + (e & 1);
            if (row < L && col < cols) o[(long long)row * out.r + col] = TypeOps<T>::from_c(c[j][e] * (e >= 2 ? mul1 : mul0));
        }
}

// ---------------------------------------------------------------------------------------------- forward

// The online-softmax step shared by both forwards: scales and masks the scores s of keys k0.. (base 2), updates the
// running max m and sum l of the warp's rows g and g + 8, rescales the output accumulator o and leaves P in s.
__device__ __forceinline__ void online_softmax(float (&s)[TILE / 8][4], float (&o)[DP / 8][4], float (&m)[2], float (&l)[2],
                                               int k0, int Lk, float sl2) {
    const int t = threadIdx.x & 3;
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
}

// O = o / l and the log-sum-exp (natural base) of the warp's rows.
template <class T>
__device__ __forceinline__ void finish_forward(const View<T>& O, long long obase, float* lse, int b, int q0, int r0, int Lq, int Dv,
                                               const float (&o)[DP / 8][4], const float (&m)[2], float (&l)[2]) {
    const int lane = threadIdx.x & 31, t = lane & 3;
#pragma unroll
    for (int h = 0; h < 2; h++) {
        l[h] += __shfl_xor_sync(0xffffffffu, l[h], 1);
        l[h] += __shfl_xor_sync(0xffffffffu, l[h], 2);
    }
    store_tile(O, obase, o, q0 + r0, Lq, Dv, 1.f / l[0], 1.f / l[1]);
    if (t == 0)
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const int row = q0 + r0 + (lane >> 2) + 8 * h;
            if (row < Lq) lse[(long long)b * Lq + row] = (m[h] + log2f(l[h])) * LN2;
        }
}

// ---- the pipelined bf16 forward: Q, K and V tiles copied with cp.async (16 bytes a thread, zeros past the matrix),
// the next key tile's K and V loading while this one's are used, and V kept row-major: ldmatrix.trans gathers the
// B operand of P V, which the other forward gets from a transposed tile written element by element.

__device__ __forceinline__ void cp_async16(u16* dst, const u16* src, bool in) {
    const unsigned int d = (unsigned int)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(d), "l"(src), "r"(in ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;"); }
template <int N> __device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;" :: "n"(N)); }

// Four 8 x 8 bf16 matrices transposed: lane L gives the address of row L % 8 of matrix L / 8.
__device__ __forceinline__ void ldsm_x4_trans(unsigned int (&r)[4], const u16* p) {
    const unsigned int a = (unsigned int)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a));
}

// Four 8 x 8 bf16 matrices: lane L gives the address of row L % 8 of matrix L / 8 and receives, of each matrix, row
// L / 4's elements 2 (L % 4) and 2 (L % 4) + 1.
__device__ __forceinline__ void ldsm_x4(unsigned int (&r)[4], const u16* p) {
    const unsigned int a = (unsigned int)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a));
}

// mma_tiles for the pipelined kernels' row-major bf16 tiles, gathered with ldmatrix, for MT tiles of 16 rows (rows
// r0 + 16 mt ..): each 16-wide step of the reduction takes each A fragment in one x4 load and the B fragments of two
// column tiles in another, where load_a and load_b take four and two 32-bit loads. With MT 2 each B fragment feeds
// two products, so a warp reads half the shared memory per product (shared-memory bandwidth bounds MT 1 on sm_90).
template <int MT, int NT>
__device__ __forceinline__ void mma_tiles_ldsm_m(float (&c)[MT][NT][4], const u16* X, int r0, const u16* Y) {
    static_assert(NT % 2 == 0, "column tiles go in pairs");
    constexpr int LDS = Tiles<Bf16Ops>::LDS;
    const int lane = threadIdx.x & 31;
    const int arow = r0 + (lane & 7) + ((lane >> 3) & 1) * 8, acol = (lane >> 4) * 8;   // rows 0-7, 8-15 of columns 0-7, then 8-15
    const int brow = (lane & 7) + (lane >> 4) * 8, bcol = ((lane >> 3) & 1) * 8;       // Y rows 0-7 of columns 0-7, then 8-15; rows 8-15 ...
#pragma unroll
    for (int k0 = 0; k0 < DP; k0 += 16) {
        unsigned int a[MT][4];
#pragma unroll
        for (int mt = 0; mt < MT; mt++) ldsm_x4(a[mt], X + (arow + 16 * mt) * LDS + k0 + acol);
#pragma unroll
        for (int j = 0; j < NT; j += 2) {
            unsigned int r[4];
            ldsm_x4(r, Y + (8 * j + brow) * LDS + k0 + bcol);
            const unsigned int b0[2] = {r[0], r[1]}, b1[2] = {r[2], r[3]};
#pragma unroll
            for (int mt = 0; mt < MT; mt++) {
                Bf16Ops::mma(c[mt][j], a[mt], b0);
                Bf16Ops::mma(c[mt][j + 1], a[mt], b1);
            }
        }
    }
}

template <int NT>
__device__ __forceinline__ void mma_tiles_ldsm(float (&c)[NT][4], const u16* X, int r0, const u16* Y) {
    mma_tiles_ldsm_m<1, NT>(reinterpret_cast<float (&)[1][NT][4]>(c), X, r0, Y);
}

// Rows [row0, row0 + 64) x columns [0, DP) of one batch's bf16 matrix into the [64][LDS] tile s, queued with cp.async.
__device__ __forceinline__ void cp_async_tile(u16* s, const View<bf16>& v, long long base, int row0, int rows, int cols) {
    constexpr int LDS = Tiles<Bf16Ops>::LDS;
    const u16* src = (const u16*)(v.p + base);
    for (int i = threadIdx.x; i < TILE * (DP / 8); i += NTHREADS) {
        const int r = i / (DP / 8), c = (i - r * (DP / 8)) * 8;
        const bool in = row0 + r < rows && c < cols;   // cols % 8 == 0: a chunk is all in or all out
        cp_async16(s + r * LDS + c, in ? src + (long long)(row0 + r) * v.r + c : src, in);
    }
}

// One step of the double buffering: where another tile follows (row0 < rows), queues the two matrices' tiles at row0
// into the free buffers a and b and waits for the tiles in use only; after the last, waits for everything.
__device__ __forceinline__ void next_tiles(u16* a, const View<bf16>& A, long long abase, int acols,
                                           u16* b, const View<bf16>& B, long long bbase, int bcols, int row0, int rows) {
    if (row0 < rows) {
        cp_async_tile(a, A, abase, row0, rows, acols);
        cp_async_tile(b, B, bbase, row0, rows, bcols);
        cp_async_commit();
        cp_async_wait<1>();
    } else {
        cp_async_wait<0>();
    }
}

// Whether a view's rows can be copied in 16-byte chunks: 8-element columns and row stride, a 16-byte aligned start.
__device__ __forceinline__ bool chunked(const View<bf16>& v, long long base, int cols) {
    return cols % 8 == 0 && v.r % 8 == 0 && ((unsigned long long)(v.p + base) & 15) == 0;
}

// Whether the pipelined bf16 forward takes block b's operands (else the single-buffered one does).
__device__ __forceinline__ bool chunked_forward(const View<bf16>& Q, const View<bf16>& K, const View<bf16>& V, int b, int nb2, int D, int Dv) {
    return chunked(Q, Q.base(b, nb2), D) && chunked(K, K.base(b, nb2), D) && chunked(V, V.base(b, nb2), Dv);
}

// c (16 x DP, for each of MT row tiles) += P Z for P a warp's 16 x 64 accumulator (rounded to bf16) and Z the
// row-major [64][LDS] tile sZ, whose B fragments ldmatrix.trans gathers (P V and, in the backward, dS K, P^T dO and
// dS^T Q); with MT 2 each fragment feeds both row tiles' products.
template <int MT>
__device__ __forceinline__ void mma_from_regs_ldsm_m(float (&c)[MT][DP / 8][4], const float (&p)[MT][TILE / 8][4], const u16* sV) {
    constexpr int LDS = Tiles<Bf16Ops>::LDS;
    const int lane = threadIdx.x & 31, t = lane & 3;
    const int row = (lane & 7) + ((lane >> 3) & 1) * 8, col = (lane >> 4) * 8;   // matrices: keys 0-7, 8-15 of columns j, j + 1
#pragma unroll
    for (int kc = 0; kc < TILE / 16; kc++) {
        unsigned int a[MT][4];
#pragma unroll
        for (int mt = 0; mt < MT; mt++) Bf16Ops::a_from_acc<TILE / 8>(a[mt], p[mt], kc, t);
#pragma unroll
        for (int j = 0; j < DP / 8; j += 2) {
            unsigned int r[4];
            ldsm_x4_trans(r, sV + (16 * kc + row) * LDS + 8 * j + col);
            const unsigned int b0[2] = {r[0], r[1]}, b1[2] = {r[2], r[3]};
#pragma unroll
            for (int mt = 0; mt < MT; mt++) {
                Bf16Ops::mma(c[mt][j], a[mt], b0);
                Bf16Ops::mma(c[mt][j + 1], a[mt], b1);
            }
        }
    }
}

__device__ __forceinline__ void mma_from_regs_ldsm(float (&c)[DP / 8][4], const float (&p)[TILE / 8][4], const u16* sV) {
    mma_from_regs_ldsm_m<1>(reinterpret_cast<float (&)[1][DP / 8][4]>(c), reinterpret_cast<const float (&)[1][TILE / 8][4]>(p), sV);
}

// Query rows q0 .. q0 + 64 MT of batch entry b; each warp takes 16 MT of them (rows r0 ..), as MT tiles of 16 rows.
template <int MT>
__device__ __forceinline__ void attn_fwd_bf16_pipelined(const View<bf16>& Q, const View<bf16>& K, const View<bf16>& V, const View<bf16>& O,
        float* lse, int nb2, int Lq, int Lk, int D, int Dv, float scale, int b, int q0) {
    constexpr int LDS = Tiles<Bf16Ops>::LDS;
    extern __shared__ __align__(16) unsigned char smem_raw[];
    u16* sQ = (u16*)smem_raw;           // [64 MT][LDS]
    u16* sK = sQ + MT * TILE * LDS;     // two [64][LDS] buffers
    u16* sV = sK + 2 * TILE * LDS;      // two [64][LDS] buffers
    const int r0 = (threadIdx.x >> 5) * 16 * MT;
    const long long kb = K.base(b, nb2), vb = V.base(b, nb2);
    const float sl2 = scale * LOG2E;
#pragma unroll
    for (int mt = 0; mt < MT; mt++) cp_async_tile(sQ + mt * TILE * LDS, Q, Q.base(b, nb2), q0 + mt * TILE, Lq, D);
    cp_async_tile(sK, K, kb, 0, Lk, D);
    cp_async_tile(sV, V, vb, 0, Lk, Dv);
    cp_async_commit();

    float o[MT][DP / 8][4], m[MT][2], l[MT][2];
#pragma unroll
    for (int mt = 0; mt < MT; mt++) {
        zero<DP / 8>(o[mt]);
        m[mt][0] = m[mt][1] = -F32_INF;
        l[mt][0] = l[mt][1] = 0.f;
    }
    for (int k0 = 0, buf = 0; k0 < Lk; k0 += TILE, buf ^= 1) {
        // the next tiles into the other buffers (last read before the barrier that ended the previous step)
        next_tiles(sK + (buf ^ 1) * TILE * LDS, K, kb, D, sV + (buf ^ 1) * TILE * LDS, V, vb, Dv, k0 + TILE, Lk);
        __syncthreads();
        float s[MT][TILE / 8][4];
#pragma unroll
        for (int mt = 0; mt < MT; mt++) zero<TILE / 8>(s[mt]);
        mma_tiles_ldsm_m<MT, TILE / 8>(s, sQ, r0, sK + buf * TILE * LDS);
#pragma unroll
        for (int mt = 0; mt < MT; mt++) online_softmax(s[mt], o[mt], m[mt], l[mt], k0, Lk, sl2);
        mma_from_regs_ldsm_m<MT>(o, s, sV + buf * TILE * LDS);
        __syncthreads();
    }
#pragma unroll
    for (int mt = 0; mt < MT; mt++) finish_forward(O, O.base(b, nb2), lse, b, q0, r0 + 16 * mt, Lq, Dv, o[mt], m[mt], l[mt]);
}

// The single-buffered forward of query rows q0 .. q0 + 64 of batch entry b.
template <class Ops>
__device__ __forceinline__ void attn_fwd_tile(const View<typename Ops::T>& Q, const View<typename Ops::T>& K, const View<typename Ops::T>& V,
        const View<typename Ops::T>& O, float* lse, int nb2, int Lq, int Lk, int D, int Dv, float scale, int b, int q0) {
    typedef typename Ops::E E;
    constexpr int LDS = Tiles<Ops>::LDS;
    extern __shared__ __align__(16) unsigned char smem_raw[];
    E* sQ = (E*)smem_raw;              // [64][LDS]
    E* sK = sQ + TILE * LDS;           // [64][LDS]
    E* sVt = sK + TILE * LDS;          // [DP][LDT]
    require_smem_bytes(Tiles<Ops>::FWD);
    const int r0 = (threadIdx.x >> 5) * 16;
    const long long kb = K.base(b, nb2), vb = V.base(b, nb2);
    const float sl2 = scale * LOG2E;
    load_tile<Ops, false>(sQ, Q, Q.base(b, nb2), q0, Lq, D);

    float o[DP / 8][4], m[2] = {-F32_INF, -F32_INF}, l[2] = {0.f, 0.f};   // rows g and g + 8: running max (base 2), sum
    zero<DP / 8>(o);
    for (int k0 = 0; k0 < Lk; k0 += TILE) {
        __syncthreads();
        load_tile<Ops, false>(sK, K, kb, k0, Lk, D);
        load_tile<Ops, true>(sVt, V, vb, k0, Lk, Dv);
        __syncthreads();
        float s[TILE / 8][4];
        zero<TILE / 8>(s);
        mma_tiles<Ops, TILE / 8>(s, sQ, r0, sK);
        online_softmax(s, o, m, l, k0, Lk, sl2);
        mma_from_regs<Ops>(o, s, sVt);
    }
    finish_forward(O, O.base(b, nb2), lse, b, q0, r0, Lq, Dv, o, m, l);
}

// A block's FWD_ROWS query rows: the pipelined bf16 forward where its operands allow, else the single-buffered one
// tile of 64 rows after another.
template <class Ops>
__device__ __forceinline__ void attn_fwd_tc(const View<typename Ops::T> Q, const View<typename Ops::T> K, const View<typename Ops::T> V,
        const View<typename Ops::T> O, float* lse, int nb2, int Lq, int Lk, int D, int Dv, float scale) {
    const int b = block_batch(Lq, FWD_ROWS), q0 = block_row0(Lq, FWD_ROWS);
    if constexpr (sizeof(typename Ops::E) == 2 && PIPE) {
        require_smem_bytes(Tiles<Ops>::FWD_PIPED);
        if (chunked_forward(Q, K, V, b, nb2, D, Dv)) {
            attn_fwd_bf16_pipelined<FWD_ROWS / TILE>(Q, K, V, O, lse, nb2, Lq, Lk, D, Dv, scale, b, q0);
            return;
        }
    }
    for (int h = 0; h < FWD_ROWS && q0 + h < Lq; h += TILE) {
        if (h > 0) __syncthreads();   // the previous tile's warps are done with sQ
        attn_fwd_tile<Ops>(Q, K, V, O, lse, nb2, Lq, Lk, D, Dv, scale, b, q0 + h);
    }
}

// ---------------------------------------------------------------------------------------------- backward
// di (rowsum(dO * O), per query row) comes from attention.cu's attn_bwd_dot, run first.
#if DP <= 128

// The pipelined bf16 backward kernels: as the forward, tiles through cp.async with the next one loading while this one
// is used, and the products' row-major operands (K for dQ; dO and Q for dV and dK) read with ldmatrix.trans, so no
// transposed tile is written.

// dS = P * (dP - di) for the warp's rows of one key tile (keys past Lk: 0), in s; lse2 is the log-sum-exp in base 2.
__device__ __forceinline__ void dq_scores(float (&s)[TILE / 8][4], const float (&dp)[TILE / 8][4], const float (&lse2)[2],
                                          const float (&dsub)[2], int k0, int Lk, float sl2) {
    const int t = threadIdx.x & 3;
#pragma unroll
    for (int j = 0; j < TILE / 8; j++)
#pragma unroll
        for (int e = 0; e < 4; e++) {
            const float p = k0 + 8 * j + 2 * t + (e & 1) < Lk ? exp2f(s[j][e] * sl2 - lse2[e >> 1]) : 0.f;
            s[j][e] = p * (dp[j][e] - dsub[e >> 1]);
        }
}

// The warp's rows' lse (base 2) and di; rows past Lq get values that are never stored.
__device__ __forceinline__ void dq_row_stats(float (&lse2)[2], float (&dsub)[2], const float* lse, const float* di, int b, int q0, int r0, int Lq) {
    const int lane = threadIdx.x & 31;
#pragma unroll
    for (int h = 0; h < 2; h++) {
        const int row = q0 + r0 + (lane >> 2) + 8 * h;
        const bool in = row < Lq;
        lse2[h] = in ? lse[(long long)b * Lq + row] * LOG2E : 0.f;
        dsub[h] = in ? di[(long long)b * Lq + row] : 0.f;
    }
}

__device__ __forceinline__ void attn_bwd_dq_bf16_pipelined(const View<bf16>& Q, const View<bf16>& K, const View<bf16>& V, const View<bf16>& G,
        const float* lse, const float* di, const View<bf16>& DQ, int nb2, int Lq, int Lk, int D, int Dv, float scale) {
    constexpr int LDS = Tiles<Bf16Ops>::LDS;
    extern __shared__ __align__(16) unsigned char smem_raw[];
    u16* sQ = (u16*)smem_raw;           // [64][LDS]
    u16* sG = sQ + TILE * LDS;          // [64][LDS] dO
    u16* sK = sG + TILE * LDS;          // two [64][LDS] buffers
    u16* sV = sK + 2 * TILE * LDS;      // two [64][LDS] buffers
    const int r0 = (threadIdx.x >> 5) * 16;
    const int b = block_batch(Lq), q0 = block_row0(Lq);
    const long long kb = K.base(b, nb2), vb = V.base(b, nb2);
    const float sl2 = scale * LOG2E;
    cp_async_tile(sQ, Q, Q.base(b, nb2), q0, Lq, D);
    cp_async_tile(sG, G, G.base(b, nb2), q0, Lq, Dv);
    cp_async_tile(sK, K, kb, 0, Lk, D);
    cp_async_tile(sV, V, vb, 0, Lk, Dv);
    cp_async_commit();
    float lse2[2], dsub[2];
    dq_row_stats(lse2, dsub, lse, di, b, q0, r0, Lq);
    float acc[DP / 8][4];
    zero<DP / 8>(acc);
    for (int k0 = 0, buf = 0; k0 < Lk; k0 += TILE, buf ^= 1) {
        next_tiles(sK + (buf ^ 1) * TILE * LDS, K, kb, D, sV + (buf ^ 1) * TILE * LDS, V, vb, Dv, k0 + TILE, Lk);
        __syncthreads();
        float s[TILE / 8][4], dp[TILE / 8][4];
        zero<TILE / 8>(s);
        zero<TILE / 8>(dp);
        mma_tiles_ldsm<TILE / 8>(s, sQ, r0, sK + buf * TILE * LDS);
        mma_tiles_ldsm<TILE / 8>(dp, sG, r0, sV + buf * TILE * LDS);
        dq_scores(s, dp, lse2, dsub, k0, Lk, sl2);
        mma_from_regs_ldsm(acc, s, sK + buf * TILE * LDS);
        __syncthreads();
    }
    store_tile(DQ, DQ.base(b, nb2), acc, q0 + r0, Lq, D, scale, scale);
}

// lse (base 2; +inf past Lq, so P = 0 there) and di of query tile q0 into sL and sD.
__device__ __forceinline__ void dkdv_tile_stats(float* sL, float* sD, const float* lse, const float* di, int b, int q0, int Lq) {
    for (int r = threadIdx.x; r < TILE; r += NTHREADS) {
        const bool in = q0 + r < Lq;
        sL[r] = in ? lse[(long long)b * Lq + q0 + r] * LOG2E : F32_INF;
        sD[r] = in ? di[(long long)b * Lq + q0 + r] : 0.f;
    }
}

// P^T and dS^T for the warp's 16 keys by one tile's 64 queries, from S^T in st and dP^T in dpt.
__device__ __forceinline__ void dkdv_scores(float (&st)[TILE / 8][4], float (&dpt)[TILE / 8][4], const float* sL, const float* sD, float sl2) {
    const int t = threadIdx.x & 3;
#pragma unroll
    for (int j = 0; j < TILE / 8; j++)
#pragma unroll
        for (int e = 0; e < 4; e++) {
            const int c = 8 * j + 2 * t + (e & 1);
            const float p = exp2f(st[j][e] * sl2 - sL[c]);
            st[j][e] = p;
            dpt[j][e] = p * (dpt[j][e] - sD[c]);
        }
}

__device__ __forceinline__ void attn_bwd_dkdv_bf16_pipelined(const View<bf16>& Q, const View<bf16>& K, const View<bf16>& V, const View<bf16>& G,
        const float* lse, const float* di, const View<bf16>& DK, const View<bf16>& DV, int nb2, int Lq, int Lk, int D, int Dv, float scale) {
    constexpr int LDS = Tiles<Bf16Ops>::LDS;
    extern __shared__ __align__(16) unsigned char smem_raw[];
    u16* sK = (u16*)smem_raw;           // [64][LDS]
    u16* sV = sK + TILE * LDS;          // [64][LDS]
    u16* sQ = sV + TILE * LDS;          // two [64][LDS] buffers
    u16* sG = sQ + 2 * TILE * LDS;      // two [64][LDS] buffers of dO
    float* sL = (float*)(sG + 2 * TILE * LDS);   // two rows of 64: lse of the query tile, base 2
    float* sD = sL + 2 * TILE;                   // two rows of 64: di
    const int r0 = (threadIdx.x >> 5) * 16;
    const int b = block_batch(Lk), k0 = block_row0(Lk);
    const long long qb = Q.base(b, nb2), gb = G.base(b, nb2);
    const float sl2 = scale * LOG2E;
    cp_async_tile(sK, K, K.base(b, nb2), k0, Lk, D);
    cp_async_tile(sV, V, V.base(b, nb2), k0, Lk, Dv);
    cp_async_tile(sQ, Q, qb, 0, Lq, D);
    cp_async_tile(sG, G, gb, 0, Lq, Dv);
    cp_async_commit();
    dkdv_tile_stats(sL, sD, lse, di, b, 0, Lq);
    float gk[DP / 8][4], gv[DP / 8][4];
    zero<DP / 8>(gk);
    zero<DP / 8>(gv);
    for (int q0 = 0, buf = 0; q0 < Lq; q0 += TILE, buf ^= 1) {
        // the next query tile into the other buffers (their last readers passed the barrier ending the previous step)
        if (q0 + TILE < Lq) dkdv_tile_stats(sL + (buf ^ 1) * TILE, sD + (buf ^ 1) * TILE, lse, di, b, q0 + TILE, Lq);
        next_tiles(sQ + (buf ^ 1) * TILE * LDS, Q, qb, D, sG + (buf ^ 1) * TILE * LDS, G, gb, Dv, q0 + TILE, Lq);
        __syncthreads();
        const u16* q = sQ + buf * TILE * LDS;
        const u16* g = sG + buf * TILE * LDS;
        float st[TILE / 8][4], dpt[TILE / 8][4];
        zero<TILE / 8>(st);
        zero<TILE / 8>(dpt);
        mma_tiles_ldsm<TILE / 8>(st, sK, r0, q);
        mma_tiles_ldsm<TILE / 8>(dpt, sV, r0, g);
        dkdv_scores(st, dpt, sL + buf * TILE, sD + buf * TILE, sl2);
        mma_from_regs_ldsm(gv, st, g);
        mma_from_regs_ldsm(gk, dpt, q);
        __syncthreads();
    }
    store_tile(DV, DV.base(b, nb2), gv, k0 + r0, Lk, Dv, 1.f, 1.f);
    store_tile(DK, DK.base(b, nb2), gk, k0 + r0, Lk, D, scale, scale);
}

// Whether a pipelined bf16 backward kernel takes block b's operands (else the single-buffered one does).
__device__ __forceinline__ bool chunked_backward(const View<bf16>& Q, const View<bf16>& K, const View<bf16>& V, const View<bf16>& G,
                                                 int b, int nb2, int D, int Dv) {
    return chunked_forward(Q, K, V, b, nb2, D, Dv) && chunked(G, G.base(b, nb2), Dv);
}

// dQ for one tile of query rows: dQ = scale * sum over key tiles of dS K, dS = P * (dP - di), dP = dO V^T.
template <class Ops>
__device__ __forceinline__ void attn_bwd_dq_tc(const View<typename Ops::T> Q, const View<typename Ops::T> K, const View<typename Ops::T> V,
        const View<typename Ops::T> G, const float* lse, const float* di, const View<typename Ops::T> DQ, int nb2, int Lq, int Lk,
        int D, int Dv, float scale) {
    if constexpr (sizeof(typename Ops::E) == 2 && PIPE_BWD) {
        require_smem_bytes(Tiles<Ops>::DQ_PIPED);
        if (chunked_backward(Q, K, V, G, block_batch(Lq), nb2, D, Dv)) {
            attn_bwd_dq_bf16_pipelined(Q, K, V, G, lse, di, DQ, nb2, Lq, Lk, D, Dv, scale);
            return;
        }
    }
    typedef typename Ops::E E;
    constexpr int LDS = Tiles<Ops>::LDS;
    extern __shared__ __align__(16) unsigned char smem_raw[];
    E* sQ = (E*)smem_raw;              // [64][LDS]
    E* sG = sQ + TILE * LDS;           // [64][LDS] dO
    E* sK = sG + TILE * LDS;           // [64][LDS]
    E* sV = sK + TILE * LDS;           // [64][LDS]
    E* sKt = sV + TILE * LDS;          // [DP][LDT]
    require_smem_bytes(Tiles<Ops>::DQ);
    const int r0 = (threadIdx.x >> 5) * 16;
    const int b = block_batch(Lq), q0 = block_row0(Lq);
    const long long kb = K.base(b, nb2), vb = V.base(b, nb2);
    const float sl2 = scale * LOG2E;
    load_tile<Ops, false>(sQ, Q, Q.base(b, nb2), q0, Lq, D);
    load_tile<Ops, false>(sG, G, G.base(b, nb2), q0, Lq, Dv);
    float lse2[2], dsub[2];
    dq_row_stats(lse2, dsub, lse, di, b, q0, r0, Lq);
    float acc[DP / 8][4];
    zero<DP / 8>(acc);
    for (int k0 = 0; k0 < Lk; k0 += TILE) {
        __syncthreads();
        load_tile<Ops, false>(sK, K, kb, k0, Lk, D);
        load_tile<Ops, false>(sV, V, vb, k0, Lk, Dv);
        load_tile<Ops, true>(sKt, K, kb, k0, Lk, D);
        __syncthreads();
        float s[TILE / 8][4], dp[TILE / 8][4];
        zero<TILE / 8>(s);
        zero<TILE / 8>(dp);
        mma_tiles<Ops, TILE / 8>(s, sQ, r0, sK);
        mma_tiles<Ops, TILE / 8>(dp, sG, r0, sV);
        dq_scores(s, dp, lse2, dsub, k0, Lk, sl2);
        mma_from_regs<Ops>(acc, s, sKt);
    }
    store_tile(DQ, DQ.base(b, nb2), acc, q0 + r0, Lq, D, scale, scale);
}

// dK and dV for one tile of key rows: dV = sum over query tiles of P^T dO, dK = scale * sum of dS^T Q.
template <class Ops>
__device__ __forceinline__ void attn_bwd_dkdv_tc(const View<typename Ops::T> Q, const View<typename Ops::T> K, const View<typename Ops::T> V,
        const View<typename Ops::T> G, const float* lse, const float* di, const View<typename Ops::T> DK, const View<typename Ops::T> DV,
        int nb2, int Lq, int Lk, int D, int Dv, float scale) {
    if constexpr (sizeof(typename Ops::E) == 2 && PIPE_BWD) {
        require_smem_bytes(Tiles<Ops>::DKDV_PIPED);
        if (chunked_backward(Q, K, V, G, block_batch(Lk), nb2, D, Dv)) {
            attn_bwd_dkdv_bf16_pipelined(Q, K, V, G, lse, di, DK, DV, nb2, Lq, Lk, D, Dv, scale);
            return;
        }
    }
    typedef typename Ops::E E;
    constexpr int LDS = Tiles<Ops>::LDS, LDT = Tiles<Ops>::LDT;
    extern __shared__ __align__(16) unsigned char smem_raw[];
    E* sK = (E*)smem_raw;              // [64][LDS]
    E* sV = sK + TILE * LDS;           // [64][LDS]
    E* sQ = sV + TILE * LDS;           // [64][LDS]
    E* sG = sQ + TILE * LDS;           // [64][LDS] dO
    E* sQt = sG + TILE * LDS;          // [DP][LDT]
    E* sGt = sQt + DP * LDT;           // [DP][LDT]
    float* sL = (float*)(sGt + DP * LDT);   // [64] lse of the query tile, base 2
    float* sD = sL + TILE;                  // [64] di
    require_smem_bytes(Tiles<Ops>::DKDV);
    const int r0 = (threadIdx.x >> 5) * 16;
    const int b = block_batch(Lk), k0 = block_row0(Lk);
    const long long qb = Q.base(b, nb2), gb = G.base(b, nb2);
    const float sl2 = scale * LOG2E;
    load_tile<Ops, false>(sK, K, K.base(b, nb2), k0, Lk, D);
    load_tile<Ops, false>(sV, V, V.base(b, nb2), k0, Lk, Dv);
    float gk[DP / 8][4], gv[DP / 8][4];
    zero<DP / 8>(gk);
    zero<DP / 8>(gv);
    for (int q0 = 0; q0 < Lq; q0 += TILE) {
        __syncthreads();
        load_tile<Ops, false>(sQ, Q, qb, q0, Lq, D);
        load_tile<Ops, true>(sQt, Q, qb, q0, Lq, D);
        load_tile<Ops, false>(sG, G, gb, q0, Lq, Dv);
        load_tile<Ops, true>(sGt, G, gb, q0, Lq, Dv);
        dkdv_tile_stats(sL, sD, lse, di, b, q0, Lq);
        __syncthreads();
        // S^T and dP^T: the warp's 16 keys by the tile's 64 queries; key rows past Lk are computed but never stored
        float st[TILE / 8][4], dpt[TILE / 8][4];
        zero<TILE / 8>(st);
        zero<TILE / 8>(dpt);
        mma_tiles<Ops, TILE / 8>(st, sK, r0, sQ);
        mma_tiles<Ops, TILE / 8>(dpt, sV, r0, sG);
        dkdv_scores(st, dpt, sL, sD, sl2);
        mma_from_regs<Ops>(gv, st, sGt);
        mma_from_regs<Ops>(gk, dpt, sQt);
    }
    store_tile(DV, DV.base(b, nb2), gv, k0 + r0, Lk, Dv, 1.f, 1.f);
    store_tile(DK, DK.base(b, nb2), gk, k0 + r0, Lk, D, scale, scale);
}
#endif   // DP <= 128

// ---------------------------------------------------------------------------------------------- di for the backward

// di[b, row] = sum over c of dO[b, row, c] * O[b, row, c] (as attention.cu's attn_bwd_dot) with 16-byte loads: G lanes
// a row (G a power of two, each lane 16 bytes of the row at a time), 32 / G rows per warp step. For views whose rows
// start 16-byte aligned with adjacent columns and Dv a multiple of 16 bytes (CudaAttention checks); attention.cu's
// warp-per-row kernel read 4 bytes a lane, one row a warp at a time, and ran at a third of the memory's speed.
template <class T>
__device__ __forceinline__ void attn_dot_rows(const View<T>& go, const View<T>& out, float* di, int nb2, int Lq, int Dv, int rows, int G) {
    constexpr int E = 16 / sizeof(T);
    const int lane = threadIdx.x & 31, part = lane % G, per = 32 / G;
    const int warps = gridDim.x * (blockDim.x >> 5), w = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    for (int row0 = w * per; row0 < rows; row0 += warps * per) {   // every lane of a warp takes the same steps (shuffles)
        const int row = row0 + lane / G;
        float s = 0.f;
        if (row < rows) {
            const int b = row / Lq, r = row - b * Lq;
            const T* g = go.p + go.base(b, nb2) + (long long)r * go.r;
            const T* o = out.p + out.base(b, nb2) + (long long)r * out.r;
            for (int c = part * E; c < Dv; c += G * E) {
                const uint4 gw = *reinterpret_cast<const uint4*>(g + c), ow = *reinterpret_cast<const uint4*>(o + c);
                const T* ge = reinterpret_cast<const T*>(&gw);
                const T* oe = reinterpret_cast<const T*>(&ow);
#pragma unroll
                for (int e = 0; e < E; e++) s += TypeOps<T>::to_c(ge[e]) * TypeOps<T>::to_c(oe[e]);
            }
        }
        for (int off = G / 2; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
        if (part == 0 && row < rows) di[row] = s;
    }
}

// ---------------------------------------------------------------------------------------------- entry points

#define DOT_KERNEL(T, SFX) \
    extern "C" __global__ void mma_attn_dot_##SFX(VIEW_PARAMS(T, go), VIEW_PARAMS(T, out), float* di, int nb2, int Lq, int Dv, int rows, int G) { \
        attn_dot_rows<T>(VIEW_OF(T, go), VIEW_OF(T, out), di, nb2, Lq, Dv, rows, G); }
DOT_KERNEL(bf16, bf16)
DOT_KERNEL(float, f32)

#define TC_KERNELS(OPS, T, SFX) \
    extern "C" __global__ void __launch_bounds__(NTHREADS) mma_attn_fwd_##SFX(VIEW_PARAMS(T, q), VIEW_PARAMS(T, k), VIEW_PARAMS(T, v), \
            VIEW_PARAMS(T, out), float* lse, int nb2, int Lq, int Lk, int D, int Dv, float scale) { \
        attn_fwd_tc<OPS>(VIEW_OF(T, q), VIEW_OF(T, k), VIEW_OF(T, v), VIEW_OF(T, out), lse, nb2, Lq, Lk, D, Dv, scale); } \
    TC_BACKWARD(OPS, T, SFX)

#if DP <= 128
#define TC_BACKWARD(OPS, T, SFX) \
    extern "C" __global__ void __launch_bounds__(NTHREADS) mma_attn_bwd_dq_##SFX(VIEW_PARAMS(T, q), VIEW_PARAMS(T, k), VIEW_PARAMS(T, v), \
            VIEW_PARAMS(T, go), const float* lse, const float* di, VIEW_PARAMS(T, dq), int nb2, int Lq, int Lk, int D, int Dv, float scale) { \
        attn_bwd_dq_tc<OPS>(VIEW_OF(T, q), VIEW_OF(T, k), VIEW_OF(T, v), VIEW_OF(T, go), lse, di, VIEW_OF(T, dq), nb2, Lq, Lk, D, Dv, scale); } \
    extern "C" __global__ void __launch_bounds__(NTHREADS) mma_attn_bwd_dkdv_##SFX(VIEW_PARAMS(T, q), VIEW_PARAMS(T, k), VIEW_PARAMS(T, v), \
            VIEW_PARAMS(T, go), const float* lse, const float* di, VIEW_PARAMS(T, dk), VIEW_PARAMS(T, dv), \
            int nb2, int Lq, int Lk, int D, int Dv, float scale) { \
        attn_bwd_dkdv_tc<OPS>(VIEW_OF(T, q), VIEW_OF(T, k), VIEW_OF(T, v), VIEW_OF(T, go), lse, di, VIEW_OF(T, dk), VIEW_OF(T, dv), \
                              nb2, Lq, Lk, D, Dv, scale); }
#else
#define TC_BACKWARD(OPS, T, SFX)
#endif

TC_KERNELS(Bf16Ops, bf16, bf16)
TC_KERNELS(Tf32Ops, float, f32)
