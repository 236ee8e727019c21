// Runs binary.cu's one-pass gated residual (gated_add, o = x + gate * b with the gate a chunk of an [A, 6C] tensor, as
// CudaElementwise launches it) on the CPU under emu_shim.h for its three type combinations, vectorised (C 96) and not
// (C 6), and compares o with a double reference. Exits 1 when an error is over its bound.
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

int main() {
    for (int C : {96, 6}) {
        run<float, float, float>("f32_f32_f32", 3, 50, C, gated_add_f32_f32_f32, 1e-6);
        run<float, bf16, bf16>("f32_bf16_bf16", 3, 50, C, gated_add_f32_bf16_bf16, 1e-6);
        run<bf16, bf16, bf16>("bf16_bf16_bf16", 3, 50, C, gated_add_bf16_bf16_bf16, 1e-2);
    }
    return failures == 0 ? 0 : 1;
}
