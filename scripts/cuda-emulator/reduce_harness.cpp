// Runs reduce.cu's column reduction over 16-byte vectors (col_reduce_vec, col_part_vec; the partials then summed over
// the chunks in order, and by col_fin itself) on the CPU under emu_shim.h, launched as CudaReduce launches them, against
// a double reference: x [A, J, C] with rows sj apart (dense or strided), f32 and bf16, one chunk and several, columns
// that fill the last tile of 32 vectors or leave part of it idle. Compiled once per op (-DOP_SUM, -DOP_MAX). Exits 1
// on a difference beyond double rounding (an ulp of T where the kernel writes T; exact for max).
#include "emu_shim.h"
#define __grid_constant__
// the row reductions' warp sums (compiled here, not run: the column kernels need no shuffles)
template <class V> inline V __shfl_down_sync(unsigned m, V v, int d) {
    const int l = threadIdx.x % 32;
    return __shfl_sync(m, v, l + d < 32 ? l + d : l);
}
#include "kern.inc"
#include "harness_values.h"
#include <random>
static int failures = 0;
#if defined(OP_SUM)
static const char* OPNAME = "sum";
static double ref_combine(double a, double b) { return a + b; }
static double ref_identity() { return 0.0; }
#else
static const char* OPNAME = "max";
static double ref_combine(double a, double b) { return b > a ? b : a; }
static double ref_identity() { return -INFINITY; }
#endif

template <class T, class KR, class KP, class KF>
static void run(const char* name, int A, int J, int C, int sj, int split, KR reduce, KP part, KF fin) {
    const int V = 16 / sizeof(T);
    std::mt19937 rng(7 + C + J);
    std::normal_distribution<double> nd;
    const long sa = (long)J * sj;
    std::vector<T> x((size_t)A * sa);
    for (auto& v : x) v = mk<T>(nd(rng));
    std::vector<double> want((size_t)A * C);
    for (int a = 0; a < A; a++)
        for (int c = 0; c < C; c++) {
            double s = ref_identity();
            for (int j = 0; j < J; j++) s = ref_combine(s, val(x[a * sa + (long)j * sj + c]));
            want[(size_t)a * C + c] = s;
        }
    const int chunk = (J + split - 1) / split, chunks = (J + chunk - 1) / chunk, tiles = (C + 32 * V - 1) / (32 * V);
    std::vector<double> got((size_t)A * C);
    if (chunks == 1) {
        std::vector<T> out((size_t)A * C);
        launch3(tiles, A, 1, 256, 0, [&] { reduce(x.data(), out.data(), A, J, C, sa, (long)sj, chunk, (double)J); }, 32);
        for (size_t i = 0; i < out.size(); i++) got[i] = val(out[i]);
    } else {
        std::vector<double> p((size_t)chunks * A * C);
        launch3(tiles, A, chunks, 256, 0, [&] { part(x.data(), p.data(), A, J, C, sa, (long)sj, chunk); }, 32);
        for (size_t i = 0; i < got.size(); i++) {
            double s = ref_identity();
            for (int k = 0; k < chunks; k++) s = ref_combine(s, p[(size_t)k * A * C + i]);
            got[i] = s;
        }
        // col_fin as CudaReduce launches it: blocks of 32 outputs x 16 lanes over the chunks, writing T
        const int n = A * C;
        std::vector<T> out(n);
        launch3((n + 31) / 32, 1, 1, 32 * 16, 0, [&] { fin(p.data(), out.data(), n, chunks, (double)J); }, 32);
        double worst = 0;
        for (int i = 0; i < n; i++) worst = std::max(worst, std::fabs(val(out[i]) - val(mk<T>(got[i]))) / std::max(1.0, std::fabs(got[i])));
        const bool ok = worst <= (sizeof(T) == 2 ? 0x1p-7 : 0x1p-23);
        printf("col_fin        %s %-4s n %5d chunks %2d: max rel. error against the partials' sum %.1e %s\n", OPNAME, name, n, chunks, worst,
               ok ? "ok" : "TOO LARGE");
        if (!ok) failures++;
    }
    double worst = 0;
    for (size_t i = 0; i < got.size(); i++) {
        double w = want[i];
        if (chunks == 1) w = val(mk<T>(w));   // the one-chunk kernel writes T
        worst = std::max(worst, std::fabs(got[i] - w) / std::max(1.0, std::fabs(w)));
    }
    // one chunk: the sums in T, within an ulp of the reference's rounding; several: the double partials
    const bool ok = worst <= (chunks == 1 ? (sizeof(T) == 2 ? 0x1p-7 : 0x1p-23) : 1e-12);
    printf("col_reduce_vec %s %-4s A %d J %4d C %4d sj %4d chunks %2d: max rel. error %.1e %s\n", OPNAME, name, A, J, C, sj, chunks, worst,
           ok ? "ok" : "TOO LARGE");
    if (!ok) failures++;
}

int main() {
    run<float>("f32", 1, 300, 384, 384, 4, col_reduce_vec_f32, col_part_vec_f32, col_fin_f32);
    run<float>("f32", 3, 77, 136, 136, 1, col_reduce_vec_f32, col_part_vec_f32, col_fin_f32);
    run<bf16>("bf16", 1, 517, 384, 384, 5, col_reduce_vec_bf16, col_part_vec_bf16, col_fin_bf16);
    run<bf16>("bf16", 2, 90, 264, 272, 1, col_reduce_vec_bf16, col_part_vec_bf16, col_fin_bf16);   // strided rows, a part-filled tile
    run<bf16>("bf16", 1, 64, 512, 512, 2, col_reduce_vec_bf16, col_part_vec_bf16, col_fin_bf16);
    run<float>("f32", 2, 2000, 40, 40, 37, col_reduce_vec_f32, col_part_vec_f32, col_fin_f32);   // more chunks than col_fin's lanes
    return failures == 0 ? 0 : 1;
}
