// SIMT emulation of the CUDA pieces the emulated kernels use (scripts/cuda-emulator/run.sh): a CPU thread per GPU thread
// of a block, barriers for __syncthreads and per warp for shuffles and mma.sync, whose fragment layouts follow the PTX ISA.
#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>
#include <algorithm>
#include <functional>
#include <memory>
struct dim3u { unsigned x = 0, y = 0, z = 0; };
thread_local dim3u threadIdx, blockIdx;
static dim3u blockDim{128, 1, 1}, gridDim{1, 1, 1};
#define __device__
#define __global__
#define __forceinline__ inline
#define __align__(n) alignas(n)
#define __launch_bounds__(...)
#define __CUDA_ARCH__ 900
static unsigned int emu_smem_size;
alignas(16) static unsigned char smem_raw[240 * 1024];
static std::barrier<>* block_bar;
static std::barrier<>* warp_bar[8];
inline void __syncthreads() { block_bar->arrive_and_wait(); }
using std::min;
using std::max;
inline void __trap() { fprintf(stderr, "trap\n"); abort(); }
inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
// the fast intrinsics, exact on the CPU (their device error is far below the bounds of the bf16 cases that use them)
inline float __expf(float x) { return std::exp(x); }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
inline double __longlong_as_double(long long l) { double d; memcpy(&d, &l, 8); return d; }
struct uint4 { unsigned x, y, z, w; };
inline uint4 make_uint4(unsigned a, unsigned b, unsigned c, unsigned d) { return {a, b, c, d}; }
static double xch_d[8][32];
template <class V> inline V __shfl_sync(unsigned, V v, int src) {
    int w = threadIdx.x / 32, l = threadIdx.x % 32;
    xch_d[w][l] = (double)v; warp_bar[w]->arrive_and_wait();
    V r = (V)xch_d[w][src & 31]; warp_bar[w]->arrive_and_wait();
    return r;
}
template <class V> inline V __shfl_xor_sync(unsigned m, V v, int x) { return __shfl_sync(m, v, (int)(threadIdx.x % 32) ^ x); }
inline unsigned short emu_bf16(float f) {   // round to nearest even
    unsigned u = __float_as_uint(f);
    return (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
inline unsigned emu_pack_bf16(float hi, float lo) { return (unsigned)emu_bf16(lo) | ((unsigned)emu_bf16(hi) << 16); }
inline unsigned emu_tf32(float f) {  // round to nearest, ties away: keep 10 mantissa bits
    unsigned u = __float_as_uint(f);
    return (u + 0x1000u) & 0xffffe000u;
}
inline float bf(unsigned short h) { return __uint_as_float(((unsigned)h) << 16); }
static unsigned xa[8][32][4], xb[8][32][2];
// the PTX fragment layouts, in the words of the ISA's figures
inline void emu_mma(float (&c)[4], const unsigned (&a)[4], const unsigned (&b)[2], int K) {
    int w = threadIdx.x / 32, l = threadIdx.x % 32;
    for (int i = 0; i < 4; i++) xa[w][l][i] = a[i];
    xb[w][l][0] = b[0]; xb[w][l][1] = b[1];
    warp_bar[w]->arrive_and_wait();
    float A[16][16] = {}, B[16][8] = {};
    for (int ln = 0; ln < 32; ln++) {
        int g = ln >> 2, t = ln & 3;
        if (K == 16) {
            auto lo = [](unsigned v) { return bf(v & 0xffff); };
            auto hi = [](unsigned v) { return bf(v >> 16); };
            A[g][2 * t] = lo(xa[w][ln][0]); A[g][2 * t + 1] = hi(xa[w][ln][0]);
            A[g + 8][2 * t] = lo(xa[w][ln][1]); A[g + 8][2 * t + 1] = hi(xa[w][ln][1]);
            A[g][2 * t + 8] = lo(xa[w][ln][2]); A[g][2 * t + 9] = hi(xa[w][ln][2]);
            A[g + 8][2 * t + 8] = lo(xa[w][ln][3]); A[g + 8][2 * t + 9] = hi(xa[w][ln][3]);
            B[2 * t][g] = lo(xb[w][ln][0]); B[2 * t + 1][g] = hi(xb[w][ln][0]);
            B[2 * t + 8][g] = lo(xb[w][ln][1]); B[2 * t + 9][g] = hi(xb[w][ln][1]);
        } else {
            A[g][t] = __uint_as_float(xa[w][ln][0]); A[g + 8][t] = __uint_as_float(xa[w][ln][1]);
            A[g][t + 4] = __uint_as_float(xa[w][ln][2]); A[g + 8][t + 4] = __uint_as_float(xa[w][ln][3]);
            B[t][g] = __uint_as_float(xb[w][ln][0]); B[t + 4][g] = __uint_as_float(xb[w][ln][1]);
        }
    }
    warp_bar[w]->arrive_and_wait();
    int g = l >> 2, t = l & 3;
    int rows[4] = {g, g, g + 8, g + 8}, cols[4] = {2 * t, 2 * t + 1, 2 * t, 2 * t + 1};
    for (int e = 0; e < 4; e++) {
        double s = c[e];
        for (int k = 0; k < K; k++) s += (double)A[rows[e]][k] * B[k][cols[e]];
        c[e] = (float)s;
    }
}

// ldmatrix.sync.aligned.m8n8.x4.trans.b16: lane L gives row L % 8 of matrix L / 8 and receives, of each matrix m,
// the elements (row 2t, column g) and (row 2t + 1, column g), g = L / 4, t = L % 4, low half first
static const unsigned short* xp[8][32];
inline void emu_ldsm_x4_trans(unsigned (&r)[4], const unsigned short* p) {
    int w = threadIdx.x / 32, l = threadIdx.x % 32;
    xp[w][l] = p;
    warp_bar[w]->arrive_and_wait();
    int g = l >> 2, t = l & 3;
    for (int m = 0; m < 4; m++) r[m] = (unsigned)xp[w][m * 8 + 2 * t][g] | ((unsigned)xp[w][m * 8 + 2 * t + 1][g] << 16);
    warp_bar[w]->arrive_and_wait();
}

// ldmatrix.sync.aligned.m8n8.x4.b16: lane L gives row L % 8 of matrix L / 8 and receives, of each matrix m, the
// elements (row g, column 2t) and (row g, column 2t + 1), g = L / 4, t = L % 4, low half first
inline void emu_ldsm_x4(unsigned (&r)[4], const unsigned short* p) {
    int w = threadIdx.x / 32, l = threadIdx.x % 32;
    xp[w][l] = p;
    warp_bar[w]->arrive_and_wait();
    int g = l >> 2, t = l & 3;
    for (int m = 0; m < 4; m++) r[m] = (unsigned)xp[w][m * 8 + g][2 * t] | ((unsigned)xp[w][m * 8 + g][2 * t + 1] << 16);
    warp_bar[w]->arrive_and_wait();
}

// Runs a kernel over a grid, `threads` emulated threads per block (a multiple of 32), blocks one after another; with
// bx > 0 the block is two-dimensional, bx threads along x (threadIdx.x = t % bx, threadIdx.y = t / bx).
static void launch3(int gx, int gy, int gz, int threads, unsigned smem, const std::function<void()>& body, int bx_threads = 0) {
    emu_smem_size = smem;
    const unsigned bxt = bx_threads > 0 ? (unsigned)bx_threads : (unsigned)threads;
    blockDim = {bxt, (unsigned)threads / bxt, 1};
    gridDim = {(unsigned)gx, (unsigned)gy, (unsigned)gz};
    for (int bz = 0; bz < gz; bz++)
        for (int by = 0; by < gy; by++)
            for (int bx = 0; bx < gx; bx++) {
                std::barrier<> bb(threads);
                std::vector<std::unique_ptr<std::barrier<>>> wb;
                for (int w = 0; w < threads / 32; w++) { wb.emplace_back(new std::barrier<>(32)); warp_bar[w] = wb.back().get(); }
                block_bar = &bb;
                memset(smem_raw, 0xcd, sizeof smem_raw);   // garbage, as on a GPU
                std::vector<std::thread> ts;
                for (int t = 0; t < threads; t++)
                    ts.emplace_back([&, t] { threadIdx = {t % bxt, t / bxt, 0}; blockIdx = {(unsigned)bx, (unsigned)by, (unsigned)bz}; body(); });
                for (auto& th : ts) th.join();
            }
}
