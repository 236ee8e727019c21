// where(cond, a, b) with broadcasting; cond has the values' type (the ops layer casts it), nonzero is true.
// Operands: 0 = out, 1 = cond, 2 = a, 3 = b.
template <class T>
__device__ __forceinline__ void where_strided(const Layout& L, const T* c, const T* a, const T* b, T* o) {
    // unrolled: several independent strided loads in flight per thread
#pragma unroll 4
    GRID_STRIDE(i, L.n) {
        int off[4];
        layout_offsets<4>(L, i, off);
        o[off[0]] = TypeOps<T>::to_c(c[off[1]]) != 0 ? a[off[2]] : b[off[3]];
    }
}

#define WHERE_KERNEL(T, S) \
    extern "C" __global__ void where_##S(const __grid_constant__ Layout L, const T* c, const T* a, const T* b, T* o) { \
        where_strided<T>(L, c, a, b, o); }

WHERE_KERNEL(float, f32)
WHERE_KERNEL(bf16, bf16)
WHERE_KERNEL(double, f64)
WHERE_KERNEL(i64, i64)
