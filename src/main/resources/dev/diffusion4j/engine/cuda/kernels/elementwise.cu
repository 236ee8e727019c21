// Elementwise kernels used by the CUDA backend's foundation and its probe.
// Grid-stride loops: any grid size covers any n.

extern "C" __global__ void axpb_f32(const float* __restrict__ x, float* __restrict__ y,
                                    float a, float b, long long n) {
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        y[i] = fmaf(a, x[i], b);
    }
}

// SplitMix64: a counter-based hash, so element i gets the same value whatever the launch shape.
__device__ __forceinline__ unsigned long long splitmix64(unsigned long long z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Uniform floats in [lo, hi): 24 random bits per value, never all-zero data.
extern "C" __global__ void fill_uniform_f32(float* __restrict__ out, long long n,
                                            unsigned long long seed, float lo, float hi) {
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        unsigned long long r = splitmix64(seed ^ (unsigned long long)i * 0xD1B54A32D192ED03ull);
        float u = (float)(r >> 40) * (1.0f / 16777216.0f);
        out[i] = lo + (hi - lo) * u;
    }
}

// float -> bfloat16 bits, round to nearest even (NaN stays a quiet NaN); matches the CPU rounding.
extern "C" __global__ void f32_to_bf16(const float* __restrict__ in, unsigned short* __restrict__ out,
                                       long long n) {
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        unsigned int u = __float_as_uint(in[i]);
        if ((u & 0x7fffffffu) > 0x7f800000u) {
            out[i] = (unsigned short)((u >> 16) | 0x40u);
        } else {
            out[i] = (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
        }
    }
}

// The smallest useful kernel, for timing launch overhead.
extern "C" __global__ void touch_f32(float* p, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) p[i] += 1.0f;
}
