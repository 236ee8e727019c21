// Runs norm.cu's split group norm (gn_stats + gn_apply forward; gn_bwd_planes, gn_bwd_rows and gn_bwd_apply backward,
// launched as CudaNorm launches them) on the CPU under emu_shim.h and compares y, dx and the per-(n, channel) sums
// pb / pw with a double reference, f32, with and without the fused SiLU, for planes of whole 16-byte vectors (4x4)
// and not (5x5). Exits 1 when an error is over its bound.
#include "emu_shim.h"
#include "kern.inc"
#include <random>
static int failures = 0;

static void run(int N, int C, int groups, int H, int W, bool silu) {
    std::mt19937 rng(11);
    std::normal_distribution<double> nd;
    const int cg = C / groups, sp = H * W, rows = N * groups, n = N * C * sp, planes = N * C;
    std::vector<float> x(n), w(C), b(C), y(n), gy(n), dx(n), mean(rows), rstd(rows);
    for (auto& v : x) v = (float)(nd(rng) * 1.5 + 0.3);
    for (auto& v : gy) v = (float)nd(rng);
    for (auto& v : w) v = (float)(1 + 0.3 * nd(rng));
    for (auto& v : b) v = (float)(0.3 * nd(rng));
    std::vector<double> pw(planes), pb(planes), m1(rows), m2(rows);
    const double eps = 1e-5;
    launch3(rows, 1, 1, 256, 0, [&] { gn_stats_f32(x.data(), mean.data(), rstd.data(), rows, cg * sp, eps); });
    launch3((n + 255) / 256, 1, 1, 256, 0, [&] { gn_apply_f32(x.data(), w.data(), b.data(), y.data(), mean.data(), rstd.data(), C, cg, sp, n, silu); });
    launch3((planes + 7) / 8, 1, 1, 256, 0, [&] {
        gn_bwd_planes_f32(gy.data(), x.data(), mean.data(), rstd.data(), w.data(), b.data(), pw.data(), pb.data(), C, cg, sp, planes, silu); });
    launch3((rows + 255) / 256, 1, 1, 256, 0, [&] { gn_bwd_rows_f32(w.data(), pw.data(), pb.data(), m1.data(), m2.data(), rows, C, cg, sp); });
    launch3((n + 255) / 256, 1, 1, 256, 0, [&] {
        gn_bwd_apply_f32(gy.data(), x.data(), mean.data(), rstd.data(), w.data(), b.data(), m1.data(), m2.data(), dx.data(), C, cg, sp, n, silu); });
    double ey = 0, my = 0, ex = 0, mx = 0, ep = 0, mp = 0;
    const int m = cg * sp;
    for (int r = 0; r < rows; r++) {
        const size_t base = (size_t)r * m;
        double mu = 0, var = 0;
        for (int i = 0; i < m; i++) mu += x[base + i];
        mu /= m;
        for (int i = 0; i < m; i++) var += (x[base + i] - mu) * (x[base + i] - mu);
        const double rs = 1 / std::sqrt(var / m + eps);
        std::vector<double> xh(m), dxh(m);
        double s1 = 0, s2 = 0;
        for (int i = 0; i < m; i++) {
            const int c = (r % groups) * cg + i / sp, p = (r / groups) * C + c;
            xh[i] = (x[base + i] - mu) * rs;
            double z = xh[i] * w[c] + b[c], g = gy[base + i], out = z;
            if (silu) { double q = 1 / (1 + std::exp(-z)); out = z * q; g *= q * (1 + z * (1 - q)); }
            ey = std::max(ey, std::fabs(out - y[base + i])); my = std::max(my, std::fabs(out));
            dxh[i] = g * w[c];
            s1 += dxh[i]; s2 += dxh[i] * xh[i];
            (void)p;
        }
        for (int i = 0; i < m; i++) {
            double d = rs * (dxh[i] - s1 / m - xh[i] * s2 / m);
            ex = std::max(ex, std::fabs(d - dx[base + i])); mx = std::max(mx, std::fabs(d));
        }
        for (int j = 0; j < cg; j++) {   // the per-plane sums of gz and gz * xhat
            const int c = (r % groups) * cg + j, p = (r / groups) * C + c;
            double sg = 0, sgx = 0;
            for (int s = 0; s < sp; s++) { sg += dxh[j * sp + s] / w[c]; sgx += dxh[j * sp + s] / w[c] * xh[j * sp + s]; }
            ep = std::max({ep, std::fabs(sg - pb[p]), std::fabs(sgx - pw[p])}); mp = std::max({mp, std::fabs(sg), std::fabs(sgx)});
        }
    }
    double e[3] = {ey / my, ex / mx, ep / mp};
    printf("group norm%s N %d C %3d groups %d %dx%d  y %.2e dx %.2e sums %.2e\n", silu ? "+silu" : "     ", N, C, groups, H, W, e[0], e[1], e[2]);
    for (double v : e) if (!(v <= 2e-5)) { printf("FAILED: over 2e-5\n"); failures++; break; }
}

int main() {
    for (bool silu : {false, true}) {
        run(2, 12, 3, 4, 4, silu);   // 16-byte vectors
        run(2, 12, 4, 5, 5, silu);   // element by element
        run(1, 64, 32, 8, 8, silu);  // two channels per group, many planes per warp-block
    }
    return failures == 0 ? 0 : 1;
}
