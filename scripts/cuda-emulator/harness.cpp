// Runs attention_mma.cu's kernels (forward, dQ, dK/dV) on the CPU under emu_shim.h's SIMT emulation and compares
// out, the log-sum-exp and the three gradients with a double-precision reference; exits 1 when an error is over its
// bound. Built by run.sh once per head dim.
#include "emu_shim.h"
#include "kern.inc"
#include <functional>
#include <memory>
#include <random>
static int failures = 0;

static void launch(int gx, int gy, unsigned smem, const std::function<void()>& body) { launch3(gx, gy, 1, 128, smem, body); }
template <class T> static float val(T v);
template <> float val<bf16>(bf16 v) { return bf(v.x); }
template <> float val<float>(float v) { return v; }
template <class T> static T mk(float f);
template <> bf16 mk<bf16>(float f) { bf16 b; b.x = emu_bf16(f); return b; }
template <> float mk<float>(float f) { return f; }

template <class T, class FWD, class DQ, class DKDV, class DOT>
static void run(const char* name, int nb, int Lq, int Lk, int D, int Dv, FWD fwd, DQ dq, DKDV dkdv, DOT dot, int smemF, int smemQ, int smemKV) {
    std::mt19937 rng(42);
    std::normal_distribution<float> nd;
    auto fill = [&](std::vector<T>& v, size_t n) { v.resize(n); for (auto& x : v) x = mk<T>(nd(rng)); };
    std::vector<T> q, k, v, go;
    fill(q, (size_t)nb * Lq * D); fill(k, (size_t)nb * Lk * D); fill(v, (size_t)nb * Lk * Dv); fill(go, (size_t)nb * Lq * Dv);
    std::vector<T> out((size_t)nb * Lq * Dv), gq((size_t)nb * Lq * D), gk((size_t)nb * Lk * D), gv((size_t)nb * Lk * Dv);
    std::vector<float> lse((size_t)nb * Lq), di((size_t)nb * Lq);
    float scale = 1.f / std::sqrt((float)D);
    int gyf = (Lq + FWD_ROWS - 1) / FWD_ROWS, gyq = (Lq + 63) / 64, gyk = (Lk + 63) / 64;   // the forward's blocks take FWD_ROWS rows
    launch(nb * gyf, 1, smemF, [&] { fwd(q.data(), (long long)Lq * D, 0LL, (long long)D, 1LL, k.data(), (long long)Lk * D, 0LL, (long long)D, 1LL,
                                     v.data(), (long long)Lk * Dv, 0LL, (long long)Dv, 1LL, out.data(), (long long)Lq * Dv, 0LL, (long long)Dv, 1LL,
                                     lse.data(), 1, Lq, Lk, D, Dv, scale); });
    for (int r = 0; r < nb * Lq; r++) { float s = 0; for (int c = 0; c < Dv; c++) s += val(go[(size_t)r * Dv + c]) * val(out[(size_t)r * Dv + c]); di[r] = s; }
    constexpr int E = 16 / sizeof(T);
    if (Dv % E == 0 && Dv / E <= 32) {   // di from mma_attn_dot as CudaAttention launches it where rows are 16-byte chunks
        int G = 1, rows = nb * Lq;
        while (G < Dv / E) G *= 2;
        std::vector<float> dk(rows);
        launch3((rows + 8 * (32 / G) - 1) / (8 * (32 / G)), 1, 1, 256, 0, [&] {
            dot(go.data(), (long long)Lq * Dv, 0LL, (long long)Dv, 1LL, out.data(), (long long)Lq * Dv, 0LL, (long long)Dv, 1LL, dk.data(), 1, Lq, Dv, rows, G); });
        double e = 0, m = 0;
        for (int r = 0; r < rows; r++) { e = std::max(e, (double)std::fabs(dk[r] - di[r])); m = std::max(m, (double)std::fabs(di[r])); }
        printf("%-6s D %3d Lq %3d di from mma_attn_dot, %d lanes a row: %.2e\n", name, Dv, Lq, G, e / m);
        if (!(e / m <= 1e-5)) { printf("FAILED: di over its bound\n"); failures++; }
        di = dk;
    }
    launch(nb * gyq, 1, smemQ, [&] { dq(q.data(), (long long)Lq * D, 0LL, (long long)D, 1LL, k.data(), (long long)Lk * D, 0LL, (long long)D, 1LL,
                                    v.data(), (long long)Lk * Dv, 0LL, (long long)Dv, 1LL, go.data(), (long long)Lq * Dv, 0LL, (long long)Dv, 1LL,
                                    lse.data(), di.data(), gq.data(), (long long)Lq * D, 0LL, (long long)D, 1LL, 1, Lq, Lk, D, Dv, scale); });
    launch(nb * gyk, 1, smemKV, [&] { dkdv(q.data(), (long long)Lq * D, 0LL, (long long)D, 1LL, k.data(), (long long)Lk * D, 0LL, (long long)D, 1LL,
                                      v.data(), (long long)Lk * Dv, 0LL, (long long)Dv, 1LL, go.data(), (long long)Lq * Dv, 0LL, (long long)Dv, 1LL,
                                      lse.data(), di.data(), gk.data(), (long long)Lk * D, 0LL, (long long)D, 1LL,
                                      gv.data(), (long long)Lk * Dv, 0LL, (long long)Dv, 1LL, 1, Lq, Lk, D, Dv, scale); });
    // reference in double
    double eo = 0, mo = 0, el = 0, ml = 0, eq = 0, mq = 0, ek = 0, mk_ = 0, ev = 0, mv = 0;
    std::vector<double> rgk((size_t)nb * Lk * D, 0), rgv((size_t)nb * Lk * Dv, 0);
    for (int b = 0; b < nb; b++)
        for (int i = 0; i < Lq; i++) {
            std::vector<double> s(Lk), p(Lk);
            double m = -1e300;
            for (int j = 0; j < Lk; j++) { double a = 0; for (int d = 0; d < D; d++) a += (double)val(q[((size_t)b * Lq + i) * D + d]) * val(k[((size_t)b * Lk + j) * D + d]); s[j] = a * scale; m = std::max(m, s[j]); }
            double z = 0; for (int j = 0; j < Lk; j++) z += std::exp(s[j] - m);
            double L = m + std::log(z);
            el = std::max(el, std::fabs(L - lse[(size_t)b * Lq + i])); ml = std::max(ml, std::fabs(L));
            for (int j = 0; j < Lk; j++) p[j] = std::exp(s[j] - L);
            std::vector<double> o(Dv, 0), dp(Lk, 0);
            for (int c = 0; c < Dv; c++) { for (int j = 0; j < Lk; j++) o[c] += p[j] * val(v[((size_t)b * Lk + j) * Dv + c]);
                eo = std::max(eo, std::fabs(o[c] - val(out[((size_t)b * Lq + i) * Dv + c]))); mo = std::max(mo, std::fabs(o[c])); }
            double dd = 0; for (int c = 0; c < Dv; c++) dd += val(go[((size_t)b * Lq + i) * Dv + c]) * o[c];
            for (int j = 0; j < Lk; j++) { for (int c = 0; c < Dv; c++) dp[j] += val(go[((size_t)b * Lq + i) * Dv + c]) * val(v[((size_t)b * Lk + j) * Dv + c]); }
            for (int d = 0; d < D; d++) {
                double g = 0; for (int j = 0; j < Lk; j++) g += p[j] * (dp[j] - dd) * val(k[((size_t)b * Lk + j) * D + d]);
                g *= scale; eq = std::max(eq, std::fabs(g - val(gq[((size_t)b * Lq + i) * D + d]))); mq = std::max(mq, std::fabs(g));
            }
            for (int j = 0; j < Lk; j++) {
                double ds = p[j] * (dp[j] - dd);
                for (int d = 0; d < D; d++) rgk[((size_t)b * Lk + j) * D + d] += ds * scale * val(q[((size_t)b * Lq + i) * D + d]);
                for (int c = 0; c < Dv; c++) rgv[((size_t)b * Lk + j) * Dv + c] += p[j] * val(go[((size_t)b * Lq + i) * Dv + c]);
            }
        }
    for (size_t i = 0; i < rgk.size(); i++) { ek = std::max(ek, std::fabs(rgk[i] - val(gk[i]))); mk_ = std::max(mk_, std::fabs(rgk[i])); }
    for (size_t i = 0; i < rgv.size(); i++) { ev = std::max(ev, std::fabs(rgv[i] - val(gv[i]))); mv = std::max(mv, std::fabs(rgv[i])); }
    double errs[5] = {eo / mo, el / ml, eq / mq, ek / mk_, ev / mv};
    printf("%-6s D %3d Lq %3d Lk %3d  out %.2e lse %.2e dq %.2e dk %.2e dv %.2e\n", name, D, Lq, Lk, errs[0], errs[1], errs[2], errs[3], errs[4]);
    // bf16: P, dS and the outputs are rounded to 8 bits (about 4e-3); TF32 keeps 10 (about 1e-3); the bf16 inputs are
    // exact in the products, so its log-sum-exp is f32-exact
    bool isBf16 = name[0] == 'b';
    double bound = isBf16 ? 1e-2 : 2.5e-3, lseBound = isBf16 ? 1e-5 : 2.5e-3;
    for (int i = 0; i < 5; i++)
        if (!(errs[i] <= (i == 1 ? lseBound : bound))) { printf("FAILED: error %d over its bound\n", i); failures++; }
}

int main() {
    // ragged tiles: lengths that are not multiples of 64, Lq above and below Lk
    // the pipelined bf16 kernels need more shared memory than the single-buffered ones
    typedef Tiles<Bf16Ops> TB;
    // as CudaAttention gives them: the larger of the pipelined and single-buffered sizes (a pipelined kernel falls back)
    const int f = PIPE ? std::max(TB::FWD_PIPED, TB::FWD) : TB::FWD, q = PIPE_BWD ? std::max(TB::DQ_PIPED, TB::DQ) : TB::DQ,
              kv = PIPE_BWD ? std::max(TB::DKDV_PIPED, TB::DKDV) : TB::DKDV;
    run<bf16>("bf16", 2, 100, 77, DEF_D, DEF_D, mma_attn_fwd_bf16, mma_attn_bwd_dq_bf16, mma_attn_bwd_dkdv_bf16, mma_attn_dot_bf16, f, q, kv);
    // four key tiles (the forward's and dQ's two buffers each reused), one query tile; then the reverse for dK/dV
    run<bf16>("bf16", 1, 64, 200, DEF_D, DEF_D, mma_attn_fwd_bf16, mma_attn_bwd_dq_bf16, mma_attn_bwd_dkdv_bf16, mma_attn_dot_bf16, f, q, kv);
    run<bf16>("bf16", 1, 200, 64, DEF_D, DEF_D, mma_attn_fwd_bf16, mma_attn_bwd_dq_bf16, mma_attn_bwd_dkdv_bf16, mma_attn_dot_bf16, f, q, kv);
    // two batch entries of two forward blocks each at FWD_ROWS 128 (three 64-row tiles at 64)
    run<bf16>("bf16", 2, 130, 70, DEF_D, DEF_D, mma_attn_fwd_bf16, mma_attn_bwd_dq_bf16, mma_attn_bwd_dkdv_bf16, mma_attn_dot_bf16, f, q, kv);
    run<float>("tf32", 2, 70, 130, DEF_D, DEF_D, mma_attn_fwd_f32, mma_attn_bwd_dq_f32, mma_attn_bwd_dkdv_f32, mma_attn_dot_f32,
               Tiles<Tf32Ops>::FWD, Tiles<Tf32Ops>::DQ, Tiles<Tf32Ops>::DKDV);
    return failures == 0 ? 0 : 1;
}
