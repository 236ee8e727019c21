// Runs norm.cu's adaLN-modulated layer norm (ln_mod_fwd, ln_mod_bwd, ln_mod_partials and param_grad, launched as
// CudaNorm launches them, and the one-pass backward ln_mod_bwd_vec) on the CPU under emu_shim.h and compares y, dx, dshift and dscale with a double reference,
// for f32 and bf16 outputs and for warp rows (C 384) and block rows (C 1100), and the register-resident forward
// (ln_mod_fwd_vec) for C 384, 1024 and 72 (the one-pass backward also with an addend folded into dx), and the gated residual fused with it (gated_ln_mod_fwd_vec) against its two
// steps, and the backward with the gated residual's (ln_mod_bwd_gated_vec) against the plain one's; shift, scale and gate are chunks of one [B, 6C] tensor. Exits 1 when an error is over its bound.
#include "emu_shim.h"
#include "kern.inc"
#include "harness_values.h"
#include <functional>
#include <memory>
#include <random>
static int failures = 0;
static const float* ref_add = nullptr;   // the addend the reference dx includes (the backward's add), or none

// The backward as CudaNorm runs it: ln_mod_bwd for dx, ln_mod_partials for the per-chunk column sums, param_grad.
template <class O, class BWD, class PART, class PG>
static auto two_pass(BWD bwd, PART part, PG pg) {
    return [=](const O* gy, const float* x, const float* mean, const float* rstd, const O* scale, float* dx, O* dshift, O* dscale,
               int B, int L, int C, long long rs, bool warp) {
        int rows = B * L, blocks = warp ? (rows + 7) / 8 : rows;
        launch3(blocks, 1, 1, 256, 0, [&] { bwd(gy, x, mean, rstd, scale, dx, rows, C, L, rs, warp ? 1 : 0); });
        int colBlocks = (C + 255) / 256, chunks = 3, per = (L + chunks - 1) / chunks;
        std::vector<double> pw((size_t)chunks * B * C), pb((size_t)chunks * B * C);
        launch3(colBlocks, chunks, B, 256, 0, [&] { part(gy, x, mean, rstd, pw.data(), pb.data(), C, L, B, per); });
        int cols = B * C;
        launch3((cols + 31) / 32, 1, 1, 256, 0, [&] { pg(pw.data(), pb.data(), dscale, dshift, chunks, cols); });
    };
}

// The one-pass backward (ln_mod_bwd_vec<V>, a block of eight warps per chunk of a sample's rows), then param_grad; with
// add, dx includes it (x's gradient from its other uses).
template <class O, class VEC, class PG>
static auto one_pass(VEC vec, PG pg, const float* add = nullptr) {
    return [=](const O* gy, const float* x, const float* mean, const float* rstd, const O* scale, float* dx, O* dshift, O* dscale,
               int B, int L, int C, long long rs, bool) {
        int per = 9, chunks = (L + per - 1) / per;   // ragged: the last chunk of a sample shorter, some warps with fewer rows
        std::vector<double> pw((size_t)chunks * B * C), pb((size_t)chunks * B * C);
        int slots = C <= 128 ? 1 : C <= 256 ? 2 : C <= 384 ? 3 : C <= 512 ? 4 : C <= 768 ? 6 : 8;
        launch3(chunks, B, 1, 256, 2 * 8 * 128 * slots * 4, [&] {
            vec(gy, x, mean, rstd, scale, dx, add, nullptr, nullptr, nullptr, 0, pw.data(), pb.data(), nullptr, nullptr, C, L, B, rs, per); });
        int cols = B * C;
        launch3((cols + 31) / 32, 1, 1, 256, 0, [&] { pg(pw.data(), pb.data(), dscale, dshift, chunks, cols); });
    };
}

template <class O, class FWD, class BACKWARD>
static void run(const char* name, int B, int L, int C, FWD fwd, BACKWARD backward, double bound) {
    std::mt19937 rng(7);
    std::normal_distribution<double> nd;
    int rows = B * L;
    std::vector<float> x((size_t)rows * C), mean(rows), rstd(rows), dx((size_t)rows * C);
    for (auto& v : x) v = (float)(nd(rng) * 2 + 0.5);
    std::vector<O> mod((size_t)B * 6 * C), gy((size_t)rows * C), y((size_t)rows * C), dshift((size_t)B * C), dscale((size_t)B * C);
    for (auto& v : mod) v = mk<O>(nd(rng) * 0.3);
    for (auto& v : gy) v = mk<O>(nd(rng));
    const O* shift = mod.data() + 3 * C;   // chunks 3 and 4 of [B, 6C]
    const O* scale = mod.data() + 4 * C;
    long long rs = 6LL * C;
    bool warp = C <= 1024;
    int blocks = warp ? (rows + 7) / 8 : rows;
    launch3(blocks, 1, 1, 256, 0, [&] { fwd(x.data(), shift, scale, y.data(), mean.data(), rstd.data(), rows, C, L, rs, rs, 1e-6, warp ? 1 : 0); });
    backward(gy.data(), x.data(), mean.data(), rstd.data(), scale, dx.data(), dshift.data(), dscale.data(), B, L, C, rs, warp);
    double ey = 0, my = 0, ex = 0, mx = 0, eh = 0, mh = 0, es = 0, ms = 0;
    for (int b = 0; b < B; b++) {
        std::vector<double> sh(C, 0), ss(C, 0);
        for (int l = 0; l < L; l++) {
            int r = b * L + l;
            double mu = 0, var = 0;
            for (int c = 0; c < C; c++) mu += x[(size_t)r * C + c];
            mu /= C;
            for (int c = 0; c < C; c++) var += (x[(size_t)r * C + c] - mu) * (x[(size_t)r * C + c] - mu);
            double rsd = 1 / std::sqrt(var / C + 1e-6), m1 = 0, m2 = 0;
            std::vector<double> xh(C), wg(C);
            for (int c = 0; c < C; c++) {
                xh[c] = (x[(size_t)r * C + c] - mu) * rsd;
                double sc = val(scale[b * rs + c]), h = val(shift[b * rs + c]), g = val(gy[(size_t)r * C + c]);
                double yy = xh[c] * (1 + sc) + h;
                ey = std::max(ey, std::fabs(yy - val(y[(size_t)r * C + c]))); my = std::max(my, std::fabs(yy));
                wg[c] = (1 + sc) * g; m1 += wg[c]; m2 += wg[c] * xh[c];
                sh[c] += g; ss[c] += g * xh[c];
            }
            m1 /= C; m2 /= C;
            for (int c = 0; c < C; c++) {
                double d = rsd * (wg[c] - m1 - xh[c] * m2) + (ref_add ? ref_add[(size_t)r * C + c] : 0.0);
                ex = std::max(ex, std::fabs(d - dx[(size_t)r * C + c])); mx = std::max(mx, std::fabs(d));
            }
        }
        for (int c = 0; c < C; c++) {
            eh = std::max(eh, std::fabs(sh[c] - val(dshift[(size_t)b * C + c]))); mh = std::max(mh, std::fabs(sh[c]));
            es = std::max(es, std::fabs(ss[c] - val(dscale[(size_t)b * C + c]))); ms = std::max(ms, std::fabs(ss[c]));
        }
    }
    double e[4] = {ey / my, ex / mx, eh / mh, es / ms};
    printf("%-10s B %d L %3d C %4d  y %.2e dx %.2e dshift %.2e dscale %.2e\n", name, B, L, C, e[0], e[1], e[2], e[3]);
    for (double v : e) if (!(v <= bound)) { printf("FAILED: over %.0e\n", bound); failures++; break; }
}

// gated_ln_mod_fwd_vec against its two steps: the sum x + gate * branch computed as gated_add computes it, then
// ln_mod_fwd_vec of that sum; xo, y, mean and rstd must be equal bit for bit. gate is chunk 2 of the [B, 6C] tensor.
// With pad 8 both kernels also write y with rows C + 8 apart, each followed by a one and seven zeros (the ones column
// of CudaNorm's training outputs): the rows must equal the dense ones bit for bit, and the padding be exactly that.
template <class O, class GATED, class VEC>
static void run_gated(const char* name, int B, int L, int C, GATED gated, VEC vec, int pad = 0) {
    std::mt19937 rng(11);
    std::normal_distribution<double> nd;
    int rows = B * L;
    long long rs = 6LL * C;
    std::vector<float> x((size_t)rows * C), xo((size_t)rows * C), z((size_t)rows * C), m1(rows), r1(rows), m2(rows), r2(rows);
    for (auto& v : x) v = (float)(nd(rng) * 2 + 0.5);
    const int ys = C + pad;
    std::vector<O> mod((size_t)B * 6 * C), br((size_t)rows * C), y1((size_t)rows * ys), y2((size_t)rows * C), y3((size_t)rows * ys);
    for (auto& v : mod) v = mk<O>(nd(rng) * 0.3);
    for (auto& v : br) v = mk<O>(nd(rng));
    const O *gate = mod.data() + 2 * C, *shift = mod.data() + 3 * C, *scale = mod.data() + 4 * C;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < C; c++) {
            size_t i = (size_t)r * C + c;
            z[i] = x[i] + (float)val(gate[(r / L) * rs + c]) * (float)val(br[i]);
        }
    int blocks = (rows + 7) / 8;
    launch3(blocks, 1, 1, 256, 0, [&] { gated(x.data(), gate, br.data(), xo.data(), rs, shift, scale, y1.data(), m1.data(), r1.data(), rows, C, L, rs, rs, 1e-6, ys); });
    launch3(blocks, 1, 1, 256, 0, [&] { vec(z.data(), shift, scale, y2.data(), m2.data(), r2.data(), rows, C, L, rs, rs, 1e-6, C); });
    long diff = 0;
    for (size_t i = 0; i < x.size(); i++) diff += xo[i] != z[i];
    for (int r = 0; r < rows; r++) {
        diff += m1[r] != m2[r] || r1[r] != r2[r];
        for (int c = 0; c < C; c++) diff += val(y1[(size_t)r * ys + c]) != val(y2[(size_t)r * C + c]);
        for (int c = C; c < ys; c++) diff += val(y1[(size_t)r * ys + c]) != (c == C ? 1.0 : 0.0);
    }
    if (pad) {   // the plain forward into padded rows too
        launch3(blocks, 1, 1, 256, 0, [&] { vec(z.data(), shift, scale, y3.data(), m2.data(), r2.data(), rows, C, L, rs, rs, 1e-6, ys); });
        for (size_t i = 0; i < y3.size(); i++) diff += val(y3[i]) != val(y1[i]);
    }
    printf("%-10s B %d L %3d C %4d pad %d  gated sum and its norm in one pass == the two steps: %s\n", name, B, L, C, pad, diff == 0 ? "yes" : "NO");
    if (diff) failures++;
}

// The kernel NAME<V>_SFX for rows of d, V the smallest slot count with 128 V >= d (CudaNorm.slots).
#define SLOTS(NAME, SFX, d) ((d) <= 128 ? NAME##1_##SFX : (d) <= 256 ? NAME##2_##SFX : (d) <= 384 ? NAME##3_##SFX \
                             : (d) <= 512 ? NAME##4_##SFX : (d) <= 768 ? NAME##6_##SFX : NAME##8_##SFX)

// ln_mod_bwd_gated_vec (the norm's backward with the gated residual's, s = x + gate * branch) against ln_mod_bwd_vec on
// the same rows: dx, dshift and dscale bit for bit; dbranch = O(O(dx) * gate) bit for bit (gated_add_bwd's roundings);
// dgate against the double sum over each sample's rows of O(dx) * branch. gate is chunk 2 of the [B, 6C] tensor.
template <class O, class GATED, class PLAIN, class PG>
static void run_gated_bwd(const char* name, int B, int L, int C, GATED gated, PLAIN plain, PG pg, double bound) {
    std::mt19937 rng(17);
    std::normal_distribution<double> nd;
    int rows = B * L, per = 9, chunks = (L + per - 1) / per, cols = B * C;
    long long rs = 6LL * C;
    std::vector<float> x((size_t)rows * C), mean(rows), rstd(rows), add((size_t)rows * C), dx1((size_t)rows * C), dx2((size_t)rows * C);
    for (auto& v : x) v = (float)(nd(rng) * 2 + 0.5);
    for (auto& v : add) v = (float)nd(rng);
    for (int r = 0; r < rows; r++) {
        double mu = 0, var = 0;
        for (int c = 0; c < C; c++) mu += x[(size_t)r * C + c];
        mu /= C;
        for (int c = 0; c < C; c++) var += (x[(size_t)r * C + c] - mu) * (x[(size_t)r * C + c] - mu);
        mean[r] = (float)mu;
        rstd[r] = (float)(1 / std::sqrt(var / C + 1e-6));
    }
    std::vector<O> mod((size_t)B * 6 * C), gy((size_t)rows * C), br((size_t)rows * C), db((size_t)rows * C);
    std::vector<O> h1(cols), s1(cols), h2(cols), s2(cols), dgate(cols);
    for (auto& v : mod) v = mk<O>(nd(rng) * 0.3);
    for (auto& v : gy) v = mk<O>(nd(rng));
    for (auto& v : br) v = mk<O>(nd(rng));
    const O *gate = mod.data() + 2 * C, *scale = mod.data() + 4 * C;
    int slots = C <= 128 ? 1 : C <= 256 ? 2 : C <= 384 ? 3 : C <= 512 ? 4 : C <= 768 ? 6 : 8;
    std::vector<double> pw((size_t)chunks * cols), pb((size_t)chunks * cols), pgs((size_t)chunks * cols), pds((size_t)chunks * cols);
    launch3(chunks, B, 1, 256, 4 * 8 * 128 * slots * 4, [&] {
        gated(gy.data(), x.data(), mean.data(), rstd.data(), scale, dx1.data(), add.data(), gate, br.data(), db.data(), rs, pw.data(), pb.data(),
              pgs.data(), pds.data(), C, L, B, rs, per); });
    launch3((cols + 31) / 32, 1, 1, 256, 0, [&] { pg(pw.data(), pb.data(), s1.data(), h1.data(), chunks, cols); });
    launch3((cols + 31) / 32, 1, 1, 256, 0, [&] { pg(pgs.data(), nullptr, dgate.data(), nullptr, chunks, cols); });
    launch3(chunks, B, 1, 256, 2 * 8 * 128 * slots * 4, [&] {
        plain(gy.data(), x.data(), mean.data(), rstd.data(), scale, dx2.data(), add.data(), nullptr, nullptr, nullptr, 0, pw.data(), pb.data(),
              nullptr, nullptr, C, L, B, rs, per); });
    launch3((cols + 31) / 32, 1, 1, 256, 0, [&] { pg(pw.data(), pb.data(), s2.data(), h2.data(), chunks, cols); });
    long diff = 0, dbDiff = 0;
    for (size_t i = 0; i < dx1.size(); i++) diff += dx1[i] != dx2[i];
    for (int i = 0; i < cols; i++) diff += val(h1[i]) != val(h2[i]) || val(s1[i]) != val(s2[i]);
    double e = 0, m = 0;
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            double ref = 0;
            for (int l = 0; l < L; l++) {
                size_t i = ((size_t)b * L + l) * C + c;
                double g = val(mk<O>(dx1[i]));
                ref += g * val(br[i]);
                dbDiff += val(db[i]) != val(mk<O>((float)g * (float)val(gate[b * rs + c])));
            }
            e = std::max(e, std::fabs(ref - val(dgate[(size_t)b * C + c])));
            m = std::max(m, std::fabs(ref));
        }
    // dbranch's column sums (the partials [chunks * B, C] added up) against the double sum of the dbranch it wrote
    double es = 0, ms = 0;
    for (int c = 0; c < C; c++) {
        double ref = 0, got = 0;
        for (int r = 0; r < rows; r++) ref += val(db[(size_t)r * C + c]);
        for (int k = 0; k < chunks * B; k++) got += pds[(size_t)k * C + c];
        es = std::max(es, std::fabs(ref - got));
        ms = std::max(ms, std::fabs(ref));
    }
    printf("%-10s B %d L %3d C %4d  gated backward: norm's outputs as ln_mod_bwd_vec's: %s, dbranch mismatches %ld, dgate %.2e, dbranch's "
           "column sums %.2e\n", name, B, L, C, diff == 0 ? "yes" : "NO", dbDiff, e / m, es / ms);
    if (diff || dbDiff || !(e / m <= bound) || !(es / ms <= 1e-6)) failures++;
}

int main() {
    auto two32 = two_pass<float>(ln_mod_bwd_f32_f32, ln_mod_partials_f32_f32, param_grad_f32);
    auto two16 = two_pass<bf16>(ln_mod_bwd_f32_bf16, ln_mod_partials_f32_bf16, param_grad_bf16);
    for (int C : {384, 1100}) {
        run<float>("f32>f32", 3, 70, C, ln_mod_fwd_f32_f32, two32, 1e-5);
        run<bf16>("f32>bf16", 3, 70, C, ln_mod_fwd_f32_bf16, two16, 1e-2);
    }
    // the register-resident forward (ln_mod_fwd_vec<V>, a warp per row, launched as the warp form, V picked as CudaNorm
    // picks it): a full row of 1024, a row whose last 4-element slot is partly used by the lanes (C 384 = 3 slots of 128)
    // and one that leaves lanes idle
    auto vec32 = [](const float* x, const float* sh, const float* sc, float* y, float* m, float* r, int rows, int d, int L, long long hs,
                    long long ss, double eps, int) { SLOTS(ln_mod_fwd_vec, f32_f32, d)(x, sh, sc, y, m, r, rows, d, L, hs, ss, eps, d); };
    auto vec16 = [](const float* x, const bf16* sh, const bf16* sc, bf16* y, float* m, float* r, int rows, int d, int L, long long hs,
                    long long ss, double eps, int) { SLOTS(ln_mod_fwd_vec, f32_bf16, d)(x, sh, sc, y, m, r, rows, d, L, hs, ss, eps, d); };
    for (int C : {384, 1024, 72}) {
        run<float>("f32>f32 v", 3, 70, C, vec32, two32, 1e-5);
        run<bf16>("f32>bf16 v", 3, 70, C, vec16, two16, 1e-2);
    }
    // the one-pass backward (ln_mod_bwd_vec<V>) for its slot counts: C 384 = 3 full slots, 72 (one slot, lanes idle),
    // 1024 = 8 slots, 640 in the 6-slot kernel with its last slot unused
    run<float>("f32>f32 1p", 3, 70, 384, vec32, one_pass<float>(ln_mod_bwd_vec3_f32_f32, param_grad_f32), 1e-5);
    run<bf16>("f32>bf16 1p", 3, 70, 384, vec16, one_pass<bf16>(ln_mod_bwd_vec3_f32_bf16, param_grad_bf16), 1e-2);
    {   // with x's gradient from its other uses added as dx is written
        std::mt19937 rng(13);
        std::normal_distribution<double> nd;
        std::vector<float> add(3 * 70 * 384);
        for (auto& v : add) v = (float)nd(rng);
        ref_add = add.data();
        run<float>("f32 1p+add", 3, 70, 384, vec32, one_pass<float>(ln_mod_bwd_vec3_f32_f32, param_grad_f32, add.data()), 1e-5);
        run<bf16>("bf16 1p+add", 3, 70, 384, vec16, one_pass<bf16>(ln_mod_bwd_vec3_f32_bf16, param_grad_bf16, add.data()), 1e-2);
        ref_add = nullptr;
    }
    run<float>("f32>f32 1p", 3, 70, 72, vec32, one_pass<float>(ln_mod_bwd_vec1_f32_f32, param_grad_f32), 1e-5);
    run<bf16>("f32>bf16 1p", 2, 40, 1024, vec16, one_pass<bf16>(ln_mod_bwd_vec8_f32_bf16, param_grad_bf16), 1e-2);
    run<bf16>("f32>bf16 1p", 2, 40, 640, vec16, one_pass<bf16>(ln_mod_bwd_vec6_f32_bf16, param_grad_bf16), 1e-2);
    run_gated_bwd<bf16>("f32>bf16 gb", 3, 70, 384, ln_mod_bwd_gated_vec3_f32_bf16, ln_mod_bwd_vec3_f32_bf16, param_grad_bf16, 8e-3);
    run_gated_bwd<float>("f32>f32 gb", 3, 70, 384, ln_mod_bwd_gated_vec3_f32_f32, ln_mod_bwd_vec3_f32_f32, param_grad_f32, 1e-5);
    run_gated_bwd<bf16>("f32>bf16 gb", 2, 40, 72, ln_mod_bwd_gated_vec1_f32_bf16, ln_mod_bwd_vec1_f32_bf16, param_grad_bf16, 8e-3);
    run_gated_bwd<bf16>("f32>bf16 gb", 2, 40, 640, ln_mod_bwd_gated_vec6_f32_bf16, ln_mod_bwd_vec6_f32_bf16, param_grad_bf16, 8e-3);
    for (int C : {384, 1024, 72}) {
        run_gated<float>("f32>f32 g", 2, 37, C, SLOTS(gated_ln_mod_fwd_vec, f32_f32, C), SLOTS(ln_mod_fwd_vec, f32_f32, C));
        run_gated<bf16>("f32>bf16 g", 2, 37, C, SLOTS(gated_ln_mod_fwd_vec, f32_bf16, C), SLOTS(ln_mod_fwd_vec, f32_bf16, C));
        run_gated<bf16>("f32>bf16 g", 2, 37, C, SLOTS(gated_ln_mod_fwd_vec, f32_bf16, C), SLOTS(ln_mod_fwd_vec, f32_bf16, C), 8);
    }
    return failures == 0 ? 0 : 1;
}
