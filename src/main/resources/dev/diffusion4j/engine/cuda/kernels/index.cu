// index_select and its adjoint index_add over contiguous [outer, size, inner] layouts. An index
// outside [0, size) cannot throw here without a synchronisation, so it sets *err (checked at
// the next host read, which synchronises anyway) and reads or adds nothing.

// Moves elements of any type by width: W is unsigned short/int/long long.
template <class W>
__device__ __forceinline__ void index_select(const W* x, const i64* idx, W* out, int outer, int size, int k, int inner,
                                             int* err) {
    int n = outer * k * inner;
    GRID_STRIDE(i, n) {
        int c = (int)i % inner, t = (int)i / inner, j = t % k, o = t / k;
        i64 v = idx[j];
        if (v < 0 || v >= size) {
            *err = 1;
            out[i] = W(0);
        } else {
            out[i] = x[((i64)o * size + v) * inner + c];
        }
    }
}

extern "C" __global__ void index_select_w16(const unsigned short* x, const i64* idx, unsigned short* out, int outer, int size,
                                            int k, int inner, int* err) {
    index_select<unsigned short>(x, idx, out, outer, size, k, inner, err);
}
extern "C" __global__ void index_select_w32(const unsigned int* x, const i64* idx, unsigned int* out, int outer, int size,
                                            int k, int inner, int* err) {
    index_select<unsigned int>(x, idx, out, outer, size, k, inner, err);
}
extern "C" __global__ void index_select_w64(const unsigned long long* x, const i64* idx, unsigned long long* out, int outer,
                                            int size, int k, int inner, int* err) {
    index_select<unsigned long long>(x, idx, out, outer, size, k, inner, err);
}

// acc (zeroed, [outer, size, inner]) += src [outer, k, inner] at idx along the middle dim.
// Repeated indices meet in atomicAdd; A is the accumulator type (float for f32 and bf16).
template <class T, class A>
__device__ __forceinline__ void index_add(const T* src, const i64* idx, A* acc, int outer, int size, int k, int inner, int* err) {
    int n = outer * k * inner;
    GRID_STRIDE(i, n) {
        int c = (int)i % inner, t = (int)i / inner, j = t % k, o = t / k;
        i64 v = idx[j];
        if (v < 0 || v >= size) {
            *err = 1;
        } else {
            atomicAdd(acc + ((i64)o * size + v) * inner + c, (A)TypeOps<T>::to_c(src[i]));
        }
    }
}

extern "C" __global__ void index_add_f32(const float* src, const i64* idx, float* acc, int outer, int size, int k, int inner,
                                         int* err) {
    index_add<float, float>(src, idx, acc, outer, size, k, inner, err);
}
extern "C" __global__ void index_add_bf16(const bf16* src, const i64* idx, float* acc, int outer, int size, int k, int inner,
                                          int* err) {
    index_add<bf16, float>(src, idx, acc, outer, size, k, inner, err);
}
extern "C" __global__ void index_add_f64(const double* src, const i64* idx, double* acc, int outer, int size, int k, int inner,
                                         int* err) {
    index_add<double, double>(src, idx, acc, outer, size, k, inner, err);
}
