// Philox 4x32-10 draws, the same streams as Philox.java / CpuRandom: element i of a draw at
// `offset` uses counter offset + i/4 (seed as key), lane i%4. One thread per counter. Normals
// and uniforms are formed in double as on the CPU, then rounded to the storage type.
//
// `base` is null, or (inside a recorded CUDA graph) a device slot the host sets before each replay to its generator's
// offset then: the draw's counters start at *base + offset, so each replay draws new numbers (GraphRandom.java).

__device__ __forceinline__ unsigned long long draw_offset(const unsigned long long* base, unsigned long long offset) {
    return base ? *base + offset : offset;
}

__device__ __forceinline__ void philox4x32_10(unsigned int k0, unsigned int k1, unsigned long long counter, unsigned int* out) {
    unsigned int c0 = (unsigned int)counter, c1 = (unsigned int)(counter >> 32), c2 = 0, c3 = 0;
#pragma unroll
    for (int r = 0; r < 10; r++) {
        unsigned long long p0 = 0xD2511F53ull * c0, p1 = 0xCD9E8D57ull * c2;
        unsigned int hi0 = (unsigned int)(p0 >> 32), lo0 = (unsigned int)p0;
        unsigned int hi1 = (unsigned int)(p1 >> 32), lo1 = (unsigned int)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

#define TWO_POW_M24 (1.0 / 16777216.0)
#define TWO_PI_D (2.0 * 3.141592653589793)

__device__ __forceinline__ double uniform_bits(unsigned int b) { return (double)(b >> 8) * TWO_POW_M24; }
__device__ __forceinline__ double uniform_open_zero(unsigned int b) { return (double)((b >> 8) + 1) * TWO_POW_M24; }

// What a draw makes of its Philox bits: normals (Box-Muller on pairs), uniforms, or inverted dropout's mask (the
// uniform rounded to T, compared with p in the compute type as the composed uniform >= p does, times 1 / (1 - p)).
enum Draw { NORMAL, UNIFORM, DROPOUT };

template <class T, Draw KIND>
__device__ __forceinline__ void fill_random(T* out, int n, unsigned long long seed, const unsigned long long* base,
                                            unsigned long long offset0, double p, double scale) {
    const unsigned long long offset = draw_offset(base, offset0);
    typedef typename TypeOps<T>::C C;
    const C pt = TypeOps<T>::to_c(TypeOps<T>::from_d(p)), sc = (C)scale;
    int counters = (n + 3) >> 2;
    GRID_STRIDE(c, counters) {
        unsigned int bits[4];
        philox4x32_10((unsigned int)seed, (unsigned int)(seed >> 32), offset + c, bits);
        double z[4];
        if (KIND == NORMAL) {
#pragma unroll
            for (int q = 0; q < 2; q++) {
                double u1 = uniform_open_zero(bits[2 * q]);
                double u2 = uniform_bits(bits[2 * q + 1]);
                double r = sqrt(-2.0 * log(u1));
                double th = TWO_PI_D * u2;
                z[2 * q] = r * cos(th);
                z[2 * q + 1] = r * sin(th);
            }
        } else {
#pragma unroll
            for (int l = 0; l < 4; l++) z[l] = uniform_bits(bits[l]);
        }
#pragma unroll
        for (int l = 0; l < 4; l++) {
            int i = 4 * (int)c + l;
            if (i >= n) continue;
            if (KIND == DROPOUT) out[i] = TypeOps<T>::from_c((TypeOps<T>::to_c(TypeOps<T>::from_d(z[l])) >= pt ? C(1) : C(0)) * sc + C(0));
            else out[i] = TypeOps<T>::from_d(z[l]);
        }
    }
}

#define RANDOM_KERNELS(T, S) \
    extern "C" __global__ void normal_##S(T* out, int n, unsigned long long seed, const unsigned long long* base, \
                                          unsigned long long offset) { \
        fill_random<T, NORMAL>(out, n, seed, base, offset, 0, 0); } \
    extern "C" __global__ void uniform_##S(T* out, int n, unsigned long long seed, const unsigned long long* base, \
                                           unsigned long long offset) { \
        fill_random<T, UNIFORM>(out, n, seed, base, offset, 0, 0); }

#define DROPOUT_KERNELS(T, S) \
    extern "C" __global__ void dropout_mask_##S(T* out, int n, unsigned long long seed, const unsigned long long* base, \
                                                unsigned long long offset, double p, double scale) { \
        fill_random<T, DROPOUT>(out, n, seed, base, offset, p, scale); }

DROPOUT_KERNELS(float, f32)
DROPOUT_KERNELS(bf16, bf16)
DROPOUT_KERNELS(double, f64)

RANDOM_KERNELS(float, f32)
RANDOM_KERNELS(bf16, bf16)
RANDOM_KERNELS(half16, f16)
RANDOM_KERNELS(double, f64)

// Integers in [low, low + range): low + (32 random bits, unsigned) mod range, as CpuRandom.randint.
extern "C" __global__ void randint_i64(i64* out, int n, unsigned long long seed, const unsigned long long* base,
                                       unsigned long long offset0, i64 low, unsigned long long range) {
    const unsigned long long offset = draw_offset(base, offset0);
    int counters = (n + 3) >> 2;
    GRID_STRIDE(c, counters) {
        unsigned int bits[4];
        philox4x32_10((unsigned int)seed, (unsigned int)(seed >> 32), offset + c, bits);
#pragma unroll
        for (int l = 0; l < 4; l++) {
            int i = 4 * (int)c + l;
            if (i < n) out[i] = low + (i64)((unsigned long long)bits[l] % range);
        }
    }
}
