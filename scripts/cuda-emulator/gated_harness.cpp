// Runs binary.cu's one-pass gated residual (gated_add, o = x + gate * b with the gate a chunk of an [A, 6C] tensor, as
// CudaElementwise launches it) on the CPU under emu_shim.h for its three type combinations, vectorised (C 96) and not
// (C 6), and compares o with a double reference; likewise its backward (gated_add_bwd and gated_bwd_sum). Exits 1 when
// an error is over its bound.
#define OP_ADD
#include "emu_shim.h"
#define __grid_constant__   // a kernel-parameter qualifier of the strided kernels in the same file
#include "kern.inc"
#include "harness_values.h"
#include <random>
static int failures = 0;

template <class TX, class TG, class TB, class K>
static void run(const char* name, int A, int J, int C, K kernel, double bound) {
    std::mt19937 rng(11);
    std::normal_distribution<double> nd;
    int n = A * J * C, rs = 6 * C;
    std::vector<TX> x(n), o(n);
    std::vector<TB> b(n);
    std::vector<TG> mods((size_t)A * rs);
    for (auto& v : x) v = mk<TX>(nd(rng));
    for (auto& v : b) v = mk<TB>(nd(rng));
    for (auto& v : mods) v = mk<TG>(nd(rng));
    const TG* gate = mods.data() + 2 * C;   // chunk 2 of [A, 6C]
    int vec = C % 4 == 0 && rs % 4 == 0 ? 1 : 0;
    int items = vec ? n / 4 : n, threads = 256, blocks = (items + threads - 1) / threads;
    launch3(blocks, 1, 1, threads, 0, [&] { kernel(x.data(), gate, b.data(), o.data(), n, C, J * C, rs, vec); });
    double e = 0, m = 0;
    for (int i = 0; i < n; i++) {
        int a = i / (J * C), c = i % C;
        double ref = val(x[i]) + val(gate[(size_t)a * rs + c]) * val(b[i]);
        e = std::max(e, std::fabs(ref - val(o[i])));
        m = std::max(m, std::fabs(ref));
    }
    printf("gated_add %-14s A %d J %3d C %3d vec %d  o %.2e\n", name, A, J, C, vec, e / m);
    if (!(e / m <= bound)) { printf("FAILED: over %.0e\n", bound); failures++; }
}

// The backward (gated_add_bwd, then gated_bwd_sum): db against the composed backward's rounding bit for bit (g = gy
// rounded to TO, then g * gate rounded to TO), dgate against a double sum of g * b.
template <class TO> static TO rnd(double v) { return mk<TO>((float)v); }
template <class TY, class TO, class K, class S>
static void run_bwd(const char* name, int A, int J, int C, int chunks, K kernel, S sum, double bound) {
    std::mt19937 rng(12);
    std::normal_distribution<double> nd;
    int n = A * J * C, rs = 6 * C, per = (J + chunks - 1) / chunks;
    chunks = (J + per - 1) / per;
    std::vector<TY> gy(n);
    std::vector<TO> b(n), db(n), mods((size_t)A * rs), dgate((size_t)A * C);
    std::vector<double> pg((size_t)chunks * A * C);
    for (auto& v : gy) v = mk<TY>(nd(rng));
    for (auto& v : b) v = mk<TO>(nd(rng));
    for (auto& v : mods) v = mk<TO>(nd(rng));
    const TO* gate = mods.data() + 2 * C;
    int vec = C % 4 == 0 && rs % 4 == 0 ? 1 : 0, threads = std::min(256, ((C / (vec ? 4 : 1)) + 31) / 32 * 32);
    launch3(chunks, A, 1, threads, 0, [&] { kernel(gy.data(), gate, b.data(), db.data(), pg.data(), A, J, C, rs, per, vec); });
    launch3(2, 1, 1, 128, 0, [&] { sum(pg.data(), dgate.data(), chunks, A * C); });
    int mismatches = 0;
    std::vector<double> ref((size_t)A * C, 0.0);
    for (int i = 0; i < n; i++) {
        int a = i / (J * C), c = i % C;
        float g = (float)val(rnd<TO>(val(gy[i])));
        TO want = rnd<TO>((double)(g * (float)val(gate[(size_t)a * rs + c])));
        if (val(want) != val(db[i])) mismatches++;
        ref[(size_t)a * C + c] += (double)g * val(b[i]);
    }
    double e = 0, m = 0;
    for (size_t i = 0; i < ref.size(); i++) { e = std::max(e, std::fabs(ref[i] - val(dgate[i]))); m = std::max(m, std::fabs(ref[i])); }
    printf("gated_add_bwd %-9s A %d J %3d C %3d chunks %d vec %d  db mismatches %d  dgate %.2e\n", name, A, J, C, chunks, vec, mismatches, e / m);
    if (mismatches != 0 || !(e / m <= bound)) { printf("FAILED\n"); failures++; }
}

int main() {
    for (int C : {96, 6}) {
        run_bwd<float, float>("f32_f32", 3, 50, C, 4, gated_add_bwd_f32_f32, gated_bwd_sum_f32, 1e-6);
        run_bwd<float, bf16>("f32_bf16", 3, 50, C, 4, gated_add_bwd_f32_bf16, gated_bwd_sum_bf16, 8e-3);
        run_bwd<bf16, bf16>("bf16_bf16", 2, 37, C, 3, gated_add_bwd_bf16_bf16, gated_bwd_sum_bf16, 8e-3);
    }
    run_bwd<float, bf16>("f32_bf16", 2, 20, 1200, 1, gated_add_bwd_f32_bf16, gated_bwd_sum_bf16, 8e-3);   // C over 4 * 256: threads loop over columns
    for (int C : {96, 6}) {
        run<float, float, float>("f32_f32_f32", 3, 50, C, gated_add_f32_f32_f32, 1e-6);
        run<float, bf16, bf16>("f32_bf16_bf16", 3, 50, C, gated_add_f32_bf16_bf16, 1e-6);
        run<bf16, bf16, bf16>("bf16_bf16_bf16", 3, 50, C, gated_add_bf16_bf16_bf16, 1e-2);
    }
    return failures == 0 ? 0 : 1;
}
