// Runs norm.cu's split group norm (gn_stats + gn_apply forward; gn_bwd_planes, gn_bwd_rows and gn_bwd_apply backward,
// launched as CudaNorm launches them; and the channels-last *_cl kernels on [N, H*W, C]) on the CPU under emu_shim.h and compares y, dx and the per-(n, channel) sums
// pb / pw with a double reference, f32 and bf16 storage, with and without the fused SiLU, for planes of whole 16-byte
// vectors (4x4 in f32, 8x8 in bf16) and not (5x5). Exits 1 when an error is over its bound.
#include "emu_shim.h"
#include "kern.inc"
#include "harness_values.h"
#include <random>
static int failures = 0;


// The five kernels of one storage type, as CudaNorm launches them.
struct F32 { decltype(&gn_stats_f32) stats = gn_stats_f32; decltype(&gn_apply_f32) apply = gn_apply_f32;
             decltype(&gn_bwd_planes_f32) planes = gn_bwd_planes_f32; decltype(&gn_bwd_rows_f32) rows = gn_bwd_rows_f32;
             decltype(&gn_bwd_apply_f32) bwd = gn_bwd_apply_f32; };
struct BF16 { decltype(&gn_stats_bf16) stats = gn_stats_bf16; decltype(&gn_apply_bf16) apply = gn_apply_bf16;
              decltype(&gn_bwd_planes_bf16) planes = gn_bwd_planes_bf16; decltype(&gn_bwd_rows_bf16) rows = gn_bwd_rows_bf16;
              decltype(&gn_bwd_apply_bf16) bwd = gn_bwd_apply_bf16; };
// The channels-last kernels (x [N, H*W, C]): column sums, per-row terms, elementwise maps; gn_bwd_rows is shared.
struct F32CL { decltype(&gn_cols_stats_cl_f32) cols = gn_cols_stats_cl_f32; decltype(&gn_stats_cl_f32) stats = gn_stats_cl_f32;
               decltype(&gn_apply_cl_f32) apply = gn_apply_cl_f32; decltype(&gn_bwd_cols_cl_f32) planes = gn_bwd_cols_cl_f32;
               decltype(&gn_bwd_rows_f32) rows = gn_bwd_rows_f32; decltype(&gn_bwd_coef_cl_f32) coef = gn_bwd_coef_cl_f32;
               decltype(&gn_bwd_apply_cl_f32) bwd = gn_bwd_apply_cl_f32; };
struct BF16CL { decltype(&gn_cols_stats_cl_bf16) cols = gn_cols_stats_cl_bf16; decltype(&gn_stats_cl_bf16) stats = gn_stats_cl_bf16;
                decltype(&gn_apply_cl_bf16) apply = gn_apply_cl_bf16; decltype(&gn_bwd_cols_cl_bf16) planes = gn_bwd_cols_cl_bf16;
                decltype(&gn_bwd_rows_bf16) rows = gn_bwd_rows_bf16; decltype(&gn_bwd_coef_cl_bf16) coef = gn_bwd_coef_cl_bf16;
                decltype(&gn_bwd_apply_cl_bf16) bwd = gn_bwd_apply_cl_bf16; };
template <class K> concept ChannelsLast = requires(K k) { k.cols; };

// perChunk (channels-last only): pixels per chunk of the column sums, as CudaNorm picks to fill the device.
// shifted (channels-last only): the norm is of x + shift, shift [N, C] given to the kernels and added as they read x.
template <class T, class K>
static void run(const char* type, K kernels, int N, int C, int groups, int H, int W, bool silu, double bound, int perChunk = 0,
                bool shifted = false) {
    std::mt19937 rng(11);
    std::normal_distribution<double> nd;
    constexpr bool cl = ChannelsLast<K>;
    const int cg = C / groups, sp = H * W, rows = N * groups, n = N * C * sp, planes = N * C;
    const int chunks = cl ? (sp + perChunk - 1) / perChunk : 1;
    std::vector<T> x(n), w(C), b(C), y(n), gy(n), dx(n);
    std::vector<float> mean(rows), rstd(rows);
    for (auto& v : x) v = mk<T>(nd(rng) * 1.5 + 0.3);
    for (auto& v : gy) v = mk<T>(nd(rng));
    for (auto& v : w) v = mk<T>(1 + 0.3 * nd(rng));
    for (auto& v : b) v = mk<T>(0.3 * nd(rng));
    std::vector<T> sh(N * C);
    for (auto& v : sh) v = mk<T>(2 * nd(rng));
    const T* shp = shifted ? sh.data() : nullptr;
    std::vector<double> pw(planes * chunks), pb(planes * chunks), m1(rows), m2(rows);
    const double eps = 1e-5;
    if constexpr (cl) {
        std::vector<double> s1(planes * chunks), s2(planes * chunks);
        launch3((C + 31) / 32 * N, chunks, 1, 256, 0, [&] { kernels.cols(x.data(), s1.data(), s2.data(), sp, C, perChunk); });
        std::vector<float> ab(2 * planes), coef(4 * planes);
        launch3((rows + 255) / 256, 1, 1, 256, 0, [&] {
            kernels.stats(x.data(), s1.data(), s2.data(), mean.data(), rstd.data(), shp, w.data(), b.data(), ab.data(), rows, sp, C, cg, chunks, eps); });
        // one thread per 16-byte vector, as CudaNorm launches the maps (the scalar fallback loops over the rest)
        const int vecs = std::max(1, n * (int)sizeof(T) / 16);
        launch3((vecs + 255) / 256, 1, 1, 256, 0, [&] { kernels.apply(x.data(), ab.data(), y.data(), C, sp * C, n, silu); });
        launch3((C + 31) / 32 * N, chunks, 1, 256, 0, [&] {
            kernels.planes(gy.data(), x.data(), shp, mean.data(), rstd.data(), w.data(), b.data(), pw.data(), pb.data(), sp, C, cg, perChunk, silu); });
        launch3((rows + 255) / 256, 1, 1, 256, 0, [&] { kernels.rows(w.data(), pw.data(), pb.data(), m1.data(), m2.data(), rows, C, cg, sp, chunks); });
        launch3((planes + 255) / 256, 1, 1, 256, 0, [&] {
            kernels.coef(mean.data(), rstd.data(), shp, w.data(), b.data(), m1.data(), m2.data(), coef.data(), planes, C, cg); });
        launch3((vecs + 255) / 256, 1, 1, 256, 0, [&] { kernels.bwd(gy.data(), x.data(), coef.data(), dx.data(), C, sp * C, n, silu); });
        for (int k = 1; k < chunks; k++)   // the chunks' sums, as the row kernels and param_grad add them
            for (int p = 0; p < planes; p++) { pw[p] += pw[k * planes + p]; pb[p] += pb[k * planes + p]; }
    } else {
        launch3(rows, 1, 1, 256, 0, [&] { kernels.stats(x.data(), mean.data(), rstd.data(), rows, cg * sp, eps); });
        launch3((n + 255) / 256, 1, 1, 256, 0, [&] { kernels.apply(x.data(), w.data(), b.data(), y.data(), mean.data(), rstd.data(), C, cg, sp, n, silu); });
        launch3((planes + 7) / 8, 1, 1, 256, 0, [&] {
            kernels.planes(gy.data(), x.data(), mean.data(), rstd.data(), w.data(), b.data(), pw.data(), pb.data(), C, cg, sp, planes, silu); });
        launch3((rows + 255) / 256, 1, 1, 256, 0, [&] { kernels.rows(w.data(), pw.data(), pb.data(), m1.data(), m2.data(), rows, C, cg, sp, 1); });
        launch3((n + 255) / 256, 1, 1, 256, 0, [&] {
            kernels.bwd(gy.data(), x.data(), mean.data(), rstd.data(), w.data(), b.data(), m1.data(), m2.data(), dx.data(), C, cg, sp, n, silu); });
    }
    double ey = 0, my = 0, ex = 0, mx = 0, ep = 0, mp = 0;
    const int m = cg * sp;
    for (int r = 0; r < rows; r++) {
        // element i of row r = (n, group): channel (r % groups) * cg + i / sp, pixel i % sp, stored channels-first or last
        auto at = [&](int i) -> size_t {
            const int c = (r % groups) * cg + i / sp, s = i % sp, nn = r / groups;
            return cl ? ((size_t)nn * sp + s) * C + c : (size_t)r * m + i;
        };
        auto xv = [&](int i) { return val(x[at(i)]) + (shifted ? val(sh[(r / groups) * C + (r % groups) * cg + i / sp]) : 0.0); };
        double mu = 0, var = 0;
        for (int i = 0; i < m; i++) mu += xv(i);
        mu /= m;
        for (int i = 0; i < m; i++) var += (xv(i) - mu) * (xv(i) - mu);
        const double rs = 1 / std::sqrt(var / m + eps);
        std::vector<double> xh(m), dxh(m);
        double s1 = 0, s2 = 0;
        for (int i = 0; i < m; i++) {
            const int c = (r % groups) * cg + i / sp;
            xh[i] = (xv(i) - mu) * rs;
            double z = xh[i] * val(w[c]) + val(b[c]), g = val(gy[at(i)]), out = z;
            if (silu) { double q = 1 / (1 + std::exp(-z)); out = z * q; g *= q * (1 + z * (1 - q)); }
            ey = std::max(ey, std::fabs(out - val(y[at(i)]))); my = std::max(my, std::fabs(out));
            dxh[i] = g * val(w[c]);
            s1 += dxh[i]; s2 += dxh[i] * xh[i];
        }
        for (int i = 0; i < m; i++) {
            double d = rs * (dxh[i] - s1 / m - xh[i] * s2 / m);
            ex = std::max(ex, std::fabs(d - val(dx[at(i)]))); mx = std::max(mx, std::fabs(d));
        }
        for (int j = 0; j < cg; j++) {   // the per-plane sums of gz and gz * xhat
            const int c = (r % groups) * cg + j, p = (r / groups) * C + c;
            double sg = 0, sgx = 0;
            for (int s = 0; s < sp; s++) { sg += dxh[j * sp + s] / val(w[c]); sgx += dxh[j * sp + s] / val(w[c]) * xh[j * sp + s]; }
            ep = std::max({ep, std::fabs(sg - pb[p]), std::fabs(sgx - pw[p])}); mp = std::max({mp, std::fabs(sg), std::fabs(sgx)});
        }
    }
    double e[3] = {ey / my, ex / mx, ep / mp};
    printf("%-4s group norm%s%s N %d C %3d groups %d %dx%d  y %.2e dx %.2e sums %.2e\n", type, silu ? "+silu" : "     ",
           cl ? (shifted ? " (channels-last, shifted)" : " (channels-last)") : "",
           N, C, groups, H, W, e[0], e[1], e[2]);
    for (double v : e) if (!(v <= bound)) { printf("FAILED: over %.0e\n", bound); failures++; break; }
}

int main() {
    for (bool silu : {false, true}) {
        run<float>("f32", F32{}, 2, 12, 3, 4, 4, silu, 2e-5);   // 16-byte vectors
        run<float>("f32", F32{}, 2, 12, 4, 5, 5, silu, 2e-5);   // element by element
        run<float>("f32", F32{}, 1, 64, 32, 8, 8, silu, 2e-5);  // two channels per group, many planes per warp-block
        run<bf16>("bf16", BF16{}, 2, 12, 3, 8, 8, silu, 1e-2);  // 16-byte vectors of eight
        run<bf16>("bf16", BF16{}, 2, 12, 4, 5, 5, silu, 1e-2);  // element by element
        run<float>("f32", F32CL{}, 2, 12, 3, 4, 4, silu, 2e-5, 16);  // 16-byte vectors of four channels, one chunk
        run<float>("f32", F32CL{}, 2, 40, 4, 5, 5, silu, 2e-5, 7);   // two column blocks, four chunks (the last short)
        run<float>("f32", F32CL{}, 1, 6, 3, 3, 3, silu, 2e-5, 9);    // element by element (C not a whole vector)
        run<bf16>("bf16", BF16CL{}, 2, 16, 2, 8, 8, silu, 1e-2, 20); // 16-byte vectors of eight channels, groups inside a vector
        run<bf16>("bf16", BF16CL{}, 2, 12, 4, 5, 5, silu, 1e-2, 25); // element by element
        run<float>("f32", F32CL{}, 2, 40, 4, 5, 5, silu, 2e-5, 7, true);    // a per-sample shift [N, C] added as x is read
        run<bf16>("bf16", BF16CL{}, 2, 16, 2, 8, 8, silu, 1e-2, 20, true);
    }
    return failures == 0 ? 0 : 1;
}
