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

// index_add without atomics: a thread per element of acc [outer, size, inner] adds the src rows whose index is its row,
// in index order, so repeated indices sum the same way every run (a class embedding's gradient, where exact resume
// compares optimizer states bit for bit). Each thread reads all k indices: for small size * k only (CudaIndex).
template <class T, class A>
__device__ __forceinline__ void index_add_ordered(const T* src, const i64* idx, A* acc, int outer, int size, int k, int inner, int* err) {
    int n = outer * size * inner;
    GRID_STRIDE(i, n) {
        int c = (int)i % inner, t = (int)i / inner, v = t % size, o = t / size;
        A s = 0;
        for (int j = 0; j < k; j++) {
            i64 w = idx[j];
            if (w < 0 || w >= size) *err = 1;
            else if (w == v) s += (A)TypeOps<T>::to_c(src[((i64)o * k + j) * inner + c]);
        }
        acc[i] = s;
    }
}

#define INDEX_ADD_ORDERED_KERNEL(T, A, S) \
    extern "C" __global__ void index_add_ordered_##S(const T* src, const i64* idx, A* acc, int outer, int size, int k, int inner, int* err) { \
        index_add_ordered<T, A>(src, idx, acc, outer, size, k, inner, err); }
INDEX_ADD_ORDERED_KERNEL(float, float, f32)
INDEX_ADD_ORDERED_KERNEL(bf16, float, bf16)
INDEX_ADD_ORDERED_KERNEL(double, double, f64)

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
