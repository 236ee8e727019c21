// Runs random.cu's Philox draws on the CPU under emu_shim.h: the Philox block against Random123's known answer, and
// each draw (normals, uniforms, dropout masks, integers) with its offset given directly and through a device slot
// holding a base (slot + distance, as a replayed CUDA graph reads it; GraphRandom.java): the same values, bit for bit.
// Also the layout (element i uses counter offset + i/4) and the values' ranges. Exits 1 on any failure.
#include "emu_shim.h"
#define __grid_constant__
#include "kern.inc"
#include <cstdio>
#include <vector>
static int failures = 0;
#define CHECK(cond, what) do { if (!(cond)) { printf("FAILED: %s\n", what); failures++; } } while (0)

static const unsigned long long SEED = 0x0123456789ABCDEFULL, OFFSET = 4242, BASE = 4000;

// Runs kernel(out, direct) and kernel(out, via slot) for n elements and checks they agree bit for bit.
template <class T, class K>
static std::vector<T> both(const char* name, int n, K kernel) {
    std::vector<T> a(n), b(n);
    unsigned long long slot = BASE;
    int blocks = ((n + 3) / 4 + 127) / 128;
    launch3(blocks, 1, 1, 128, 0, [&] { kernel(a.data(), n, (const unsigned long long*)nullptr, OFFSET); });
    launch3(blocks, 1, 1, 128, 0, [&] { kernel(b.data(), n, (const unsigned long long*)&slot, OFFSET - BASE); });
    bool same = memcmp(a.data(), b.data(), n * sizeof(T)) == 0;
    printf("%-16s n %5d  direct == through a slot: %s\n", name, n, same ? "yes" : "NO");
    CHECK(same, name);
    return a;
}

int main() {
    unsigned int kat[4];
    philox4x32_10(0, 0, 0ull, kat);
    CHECK(kat[0] == 0x6627e8d5u && kat[1] == 0xe169c58du && kat[2] == 0xbc57ac4cu && kat[3] == 0x9b00dbd8u, "Philox4x32-10 known answer");

    const int n = 1001;   // not a multiple of 4: the last counter's lanes run past the end
    auto u = both<double>("uniform_f64", n, [](double* o, int m, const unsigned long long* b, unsigned long long off) {
        uniform_f64(o, m, SEED, b, off); });
    bool inRange = true;
    for (double x : u) inRange &= x >= 0 && x < 1;
    CHECK(inRange, "uniforms in [0, 1)");
    std::vector<double> shifted(n);
    launch3(2, 1, 1, 128, 0, [&] { uniform_f64(shifted.data(), n, SEED, nullptr, OFFSET + 1); });
    CHECK(memcmp(shifted.data(), u.data() + 4, (n - 4) * sizeof(double)) == 0, "element i at counter offset + i/4");

    auto z = both<float>("normal_f32", n, [](float* o, int m, const unsigned long long* b, unsigned long long off) {
        normal_f32(o, m, SEED, b, off); });
    double mean = 0, sq = 0;
    for (float x : z) { mean += x; sq += (double)x * x; }
    mean /= n; sq /= n;
    printf("normal_f32 mean %.3f, mean square %.3f\n", mean, sq);
    CHECK(std::fabs(mean) < 0.15 && std::fabs(sq - 1) < 0.15, "normals' moments");

    const double p = 0.3, scale = 1 / (1 - p);
    auto d = both<float>("dropout_mask_f32", n, [&](float* o, int m, const unsigned long long* b, unsigned long long off) {
        dropout_mask_f32(o, m, SEED, b, off, p, scale); });
    int zeros = 0;
    bool twoValues = true;
    for (float x : d) { zeros += x == 0; twoValues &= x == 0 || x == (float)scale; }
    printf("dropout_mask_f32 p %.1f: %d of %d zero\n", p, zeros, n);
    CHECK(twoValues && std::abs(zeros - p * n) < 60, "dropout mask values and rate");

    auto r = both<i64>("randint_i64", n, [](i64* o, int m, const unsigned long long* b, unsigned long long off) {
        randint_i64(o, m, SEED, b, off, -3, 10); });
    bool ints = true;
    for (i64 x : r) ints &= x >= -3 && x < 7;
    CHECK(ints, "integers in [low, low + range)");
    return failures == 0 ? 0 : 1;
}
