// Runs index.cu's index_add_ordered (the class embedding's gradient without atomics, launched as CudaIndex launches it)
// on the CPU under emu_shim.h against a sum in index order on the host, bit for bit, for f32 and bf16 sources with
// repeated indices; an index out of range must raise the error flag. Exits 1 on a difference.
#include "emu_shim.h"
#define __grid_constant__
template <class T> inline void atomicAdd(T* p, T v) { *p += v; }   // index_add's atomic kernel (not run here)
#include "kern.inc"
#include "harness_values.h"
#include <random>
static int failures = 0;

template <class T, class K>
static void run(const char* name, int outer, int size, int k, int inner, K kernel) {
    std::mt19937 rng(5);
    std::normal_distribution<double> nd;
    std::vector<T> src((size_t)outer * k * inner);
    for (auto& v : src) v = mk<T>(nd(rng));
    std::vector<long long> idx(k);
    for (int j = 0; j < k; j++) idx[j] = j % 3 == 0 ? size - 1 : (j * 7) % size;   // many repeats
    std::vector<float> acc((size_t)outer * size * inner, -1.f);
    int err = 0, n = outer * size * inner;
    launch3((n + 255) / 256, 1, 1, 256, 0, [&] { kernel(src.data(), idx.data(), acc.data(), outer, size, k, inner, &err); });
    long diff = 0;
    for (int o = 0; o < outer; o++)
        for (int v = 0; v < size; v++)
            for (int c = 0; c < inner; c++) {
                float s = 0;
                for (int j = 0; j < k; j++) if (idx[j] == v) s += (float)val(src[((size_t)o * k + j) * inner + c]);
                diff += s != acc[((size_t)o * size + v) * inner + c];
            }
    idx[k / 2] = size;   // out of range
    launch3((n + 255) / 256, 1, 1, 256, 0, [&] { kernel(src.data(), idx.data(), acc.data(), outer, size, k, inner, &err); });
    printf("index_add_ordered %-4s outer %d size %2d k %3d inner %3d: %s, out-of-range index flagged: %s\n", name, outer, size, k, inner,
           diff == 0 ? "equal to the ordered host sums" : "DIFFERENT", err ? "yes" : "NO");
    if (diff || !err) failures++;
}

int main() {
    run<float>("f32", 1, 11, 256, 128, index_add_ordered_f32);
    run<bf16>("bf16", 2, 5, 37, 24, index_add_ordered_bf16);
    return failures == 0 ? 0 : 1;
}
