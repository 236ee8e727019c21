// Group norm (with an optional fused SiLU) and layer norm, forward and backward, over contiguous
// rows: a group-norm row is one (n, group) block of cg channels x spatial elements, a layer-norm
// row is the normalised trailing dims. One block (or, for short layer-norm rows, one warp) per
// row; statistics in double from shifted sums (one read for the moments, one to write), stored as
// S = float (f32 and bf16 inputs) or double. Parameter gradients are per-row (or per-chunk)
// partials in double that param_grad_* sums over rows.

// Sums a and b over the threads that share a row (the warp, or the whole block); every thread
// gets the totals. shm holds 64 doubles.
template <bool WARP>
__device__ __forceinline__ void row_sum2(double& a, double& b, double* shm) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        a += __shfl_xor_sync(0xffffffffu, a, o);
        b += __shfl_xor_sync(0xffffffffu, b, o);
    }
    if (WARP) return;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    if (lane == 0) { shm[warp] = a; shm[32 + warp] = b; }
    __syncthreads();
    a = lane < nw ? shm[lane] : 0.0;
    b = lane < nw ? shm[32 + lane] : 0.0;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        a += __shfl_xor_sync(0xffffffffu, a, o);
        b += __shfl_xor_sync(0xffffffffu, b, o);
    }
    __syncthreads(); // shm is reused by the next call
}

template <class C> __device__ __forceinline__ C sigm(C z) {
    if (z >= C(0)) return C(1) / (C(1) + m_exp(-z));
    C e = m_exp(z);
    return e / (C(1) + e);
}

// mean and rstd of m elements from the sums s1, s2 of (x - shift) and its square.
__device__ __forceinline__ void moments_from_sums(double s1, double s2, int m, double shift, double eps, double& mu, double& rs) {
    const double d = m > 0 ? s1 / m : 0.0, var = m > 0 ? fmax(0.0, s2 / m - d * d) : 0.0;
    mu = shift + d;
    rs = 1.0 / sqrt(var + eps);
}

// mean and rstd of x[0, m) (shifted by x[0] against cancellation); every thread gets them. V > 1 reads V elements at a
// time (x aligned to them, m a multiple of V): 16-byte vectors for the group norm's statistics.
template <class T, bool WARP, int V = 1>
__device__ __forceinline__ void row_moments(const T* x, int m, double eps, int tid, int nth, double* shm, double& mu, double& rs) {
    double shift = m > 0 ? TypeOps<T>::to_d(x[0]) : 0.0, s1 = 0, s2 = 0;
#pragma unroll 4
    for (int i = tid * V; i < m; i += nth * V) {
        const Pack<T, V> a = *(const Pack<T, V>*)(x + i);
#pragma unroll
        for (int l = 0; l < V; l++) {
            double d = TypeOps<T>::to_d(a.v[l]) - shift;
            s1 += d;
            s2 += d * d;
        }
    }
    row_sum2<WARP>(s1, s2, shm);
    moments_from_sums(s1, s2, m, shift, eps, mu, rs);
}

// ---- group norm ----

#define GN_FWD_CH 256 // channels per group up to which the forward keeps per-channel maps in shared memory

template <class T, class S, bool SILU>
__device__ __forceinline__ void gn_fwd(const T* x, const T* w, const T* b, T* y, S* mean, S* rstd, int rows, int groups, int cg,
                                       int spatial, double eps) {
    typedef typename TypeOps<T>::C C;
    __shared__ double shm[64];
    __shared__ C sa[GN_FWD_CH], sc[GN_FWD_CH];
    const int m = cg * spatial;
    ROW_LOOP(false, row, rows) {
        const long long base = (long long)row * m;
        double mu, rs;
        row_moments<T, false>(x + base, m, eps, tid_, nth_, shm, mu, rs);
        if (tid_ == 0) { mean[row] = (S)mu; rstd[row] = (S)rs; }
        const int ch0 = (row % groups) * cg;
        if (cg <= GN_FWD_CH) {
            // each channel's map z = a x + c once in shared memory, and each thread's channel followed with a carry:
            // a divide and double math per element made this kernel compute-bound
            __syncthreads(); // the previous row's readers are done with sa/sc
            for (int j = tid_; j < cg; j += nth_) {
                double a = (w ? TypeOps<T>::to_d(w[ch0 + j]) : 1.0) * rs;
                sa[j] = (C)a;
                sc[j] = (C)((b ? TypeOps<T>::to_d(b[ch0 + j]) : 0.0) - mu * a);
            }
            __syncthreads();
            const int dq = nth_ / spatial, dr = nth_ - dq * spatial;
            int j = tid_ / spatial, s = tid_ - j * spatial;
#pragma unroll 4
            for (int i = tid_; i < m; i += nth_) {
                C z = sa[j] * TypeOps<T>::to_c(x[base + i]) + sc[j];
                if (SILU) z = z * sigm(z);
                y[base + i] = TypeOps<T>::from_c(z);
                j += dq; s += dr;
                if (s >= spatial) { s -= spatial; j++; }
            }
            continue;
        }
#pragma unroll 4
        for (int i = tid_; i < m; i += nth_) {
            int ch = ch0 + i / spatial;
            // per channel the norm and its affine are one map z = a x + c
            double a = (w ? TypeOps<T>::to_d(w[ch]) : 1.0) * rs;
            double c = (b ? TypeOps<T>::to_d(b[ch]) : 0.0) - mu * a;
            C z = (C)a * TypeOps<T>::to_c(x[base + i]) + (C)c;
            if (SILU) z = z * sigm(z);
            y[base + i] = TypeOps<T>::from_c(z);
        }
    }
}

// The forward in two launches (CudaNorm's default since issue 19): gn_stats gives each (n, group) row's mean and rstd,
// one block per row reading it once; gn_apply then maps every element on its own, 16-byte vectors where a channel plane
// holds whole vectors, like any elementwise kernel. gn_fwd's block per row paid its reduction, barriers and the
// per-channel coefficients between the two passes over each row, which left it at about a third of the bandwidth.
template <class T, class S>
__device__ __forceinline__ void gn_stats(const T* x, S* mean, S* rstd, int rows, int m, double eps) {
    __shared__ double shm[64];
    const bool vec = m % (16 / (int)sizeof(T)) == 0 && (unsigned long long)x % 16 == 0;
    ROW_LOOP(false, row, rows) {
        double mu, rs;
        if (vec) row_moments<T, false, 16 / sizeof(T)>(x + (long long)row * m, m, eps, tid_, nth_, shm, mu, rs);
        else row_moments<T, false>(x + (long long)row * m, m, eps, tid_, nth_, shm, mu, rs);
        if (tid_ == 0) { mean[row] = (S)mu; rstd[row] = (S)rs; }
    }
}

// y = (x - mean) * rstd * w + b (then SiLU) per element of [N, C, spatial]; plane n * C + ch belongs to row
// n * groups + ch / cg, which is plane / cg since C = groups * cg.
template <class T, class S, bool SILU>
__device__ __forceinline__ void gn_apply(const T* x, const T* w, const T* b, T* y, const S* mean, const S* rstd, int c, int cg,
                                         int spatial, int n) {
    typedef typename TypeOps<T>::C C;
    constexpr int V = 16 / sizeof(T);
    if (spatial % V == 0 && ((unsigned long long)x | (unsigned long long)y) % 16 == 0) {
        const int sv = spatial / V;
        GRID_STRIDE(i, n / V) {
            const int plane = (int)i / sv, ch = plane % c, row = plane / cg;   // plane = n * C + ch; row = n * groups + ch / cg
            const double a = (w ? TypeOps<T>::to_d(w[ch]) : 1.0) * (double)rstd[row];
            const C ca = (C)a, cc = (C)((b ? TypeOps<T>::to_d(b[ch]) : 0.0) - (double)mean[row] * a);
            Vec16<T> v = ((const Vec16<T>*)x)[i];
#pragma unroll
            for (int l = 0; l < V; l++) {
                C z = ca * TypeOps<T>::to_c(v.v[l]) + cc;
                if (SILU) z = z * sigm(z);
                v.v[l] = TypeOps<T>::from_c(z);
            }
            ((Vec16<T>*)y)[i] = v;
        }
        return;
    }
    GRID_STRIDE(i, n) {
        const int plane = (int)i / spatial, ch = plane % c, row = plane / cg;
        const double a = (w ? TypeOps<T>::to_d(w[ch]) : 1.0) * (double)rstd[row];
        C z = (C)a * TypeOps<T>::to_c(x[i]) + (C)((b ? TypeOps<T>::to_d(b[ch]) : 0.0) - (double)mean[row] * a);
        if (SILU) z = z * sigm(z);
        y[i] = TypeOps<T>::from_c(z);
    }
}

// dx for one (n, group) row; per-channel sums of gz and gz*xhat go to pb/pw [N, C] (gz: the
// gradient at the affine output, i.e. gy times SiLU' when fused). The block works on several channels at once:
// tpc (a power of two) threads per channel, so small spatial sizes (4x4, 7x7) keep the block busy and every
// channel's sums need one barrier instead of a block reduction per channel.
template <class T, class S, bool SILU>
__device__ __forceinline__ void gn_bwd(const T* gy, const T* x, const S* mean, const S* rstd, const T* w, const T* b, T* dx,
                                       double* pw, double* pb, int rows, int groups, int cg, int spatial) {
    // Elementwise math (x-hat, SiLU') in the compute type C, sums in double: a double exp per element made this
    // kernel several times slower than the forward.
    typedef typename TypeOps<T>::C C;
    __shared__ double shm[64];
    __shared__ double part_g[256], part_gx[256];
    const int m = cg * spatial, channels = groups * cg;
    ROW_LOOP(false, row, rows) {
        const int tid = tid_;
        int tpc = nth_;
        while (tpc > 1 && tpc * cg > nth_) tpc >>= 1;    // threads per channel
        const int per_round = nth_ / tpc, lane_c = tid % tpc, slot = tid / tpc;
        const int seg = tpc < 32 ? tpc : 32;             // threads that one shuffle reduction spans
        const long long base = (long long)row * m;
        const C mu = (C)mean[row], rs = (C)rstd[row];
        const int n = row / groups, ch0 = (row % groups) * cg;
        double sum1 = 0, sum2 = 0;
        for (int j0 = 0; j0 < cg; j0 += per_round) {
            const int j = j0 + slot;
            double sg = 0, sgx = 0;
            C wc = C(1), bc = C(0);
            if (j < cg) {
                wc = w ? TypeOps<T>::to_c(w[ch0 + j]) : C(1);
                bc = b ? TypeOps<T>::to_c(b[ch0 + j]) : C(0);
                const T* xj = x + base + (long long)j * spatial;
                const T* gj = gy + base + (long long)j * spatial;
#pragma unroll 4
                for (int s = lane_c; s < spatial; s += tpc) {
                    C xh = (TypeOps<T>::to_c(xj[s]) - mu) * rs, g = TypeOps<T>::to_c(gj[s]);
                    if (SILU) {
                        C z = xh * wc + bc, q = sigm(z);
                        g *= q * (C(1) + z * (C(1) - q));
                    }
                    sg += (double)g;
                    sgx += (double)(g * xh);
                }
            }
            for (int o = seg >> 1; o > 0; o >>= 1) {
                sg += __shfl_xor_sync(0xffffffffu, sg, o);
                sgx += __shfl_xor_sync(0xffffffffu, sgx, o);
            }
            if ((tid % seg) == 0) { part_g[tid / seg] = sg; part_gx[tid / seg] = sgx; }
            __syncthreads();
            if (tid < per_round && j0 + tid < cg) {
                const int parts = tpc / seg, jj = j0 + tid;
                double tg = 0, tgx = 0;
                for (int k = 0; k < parts; k++) { tg += part_g[tid * parts + k]; tgx += part_gx[tid * parts + k]; }
                pb[(long long)n * channels + ch0 + jj] = tg;
                pw[(long long)n * channels + ch0 + jj] = tgx;
                const double wj = w ? TypeOps<T>::to_d(w[ch0 + jj]) : 1.0;
                sum1 += wj * tg;
                sum2 += wj * tgx;
            }
            __syncthreads();
        }
        row_sum2<false>(sum1, sum2, shm);
        const C m1 = (C)(sum1 / m), m2 = (C)(sum2 / m);
        for (int j0 = 0; j0 < cg; j0 += per_round) {
            const int j = j0 + slot;
            if (j >= cg) continue;
            const C wc = w ? TypeOps<T>::to_c(w[ch0 + j]) : C(1), bc = b ? TypeOps<T>::to_c(b[ch0 + j]) : C(0);
            const long long o = base + (long long)j * spatial;
#pragma unroll 4
            for (int s = lane_c; s < spatial; s += tpc) {
                C xh = (TypeOps<T>::to_c(x[o + s]) - mu) * rs, g = TypeOps<T>::to_c(gy[o + s]);
                if (SILU) {
                    C z = xh * wc + bc, q = sigm(z);
                    g *= q * (C(1) + z * (C(1) - q));
                }
                dx[o + s] = TypeOps<T>::from_c(rs * (wc * g - m1 - xh * m2));
            }
        }
    }
}

// The backward in three launches (CudaNorm's default since issue 19, beside gn_bwd's block per row):
// gn_bwd_planes sums gz and gz * xhat over each (n, channel) plane into pb/pw [N, C] (one warp per plane, 16-byte
// vectors where the plane holds whole vectors); gn_bwd_rows turns them into each row's m1 = sum_j w_j pb / m and
// m2 = sum_j w_j pw / m; gn_bwd_apply maps every element: dx = rstd (w gz - m1 - xhat m2).
template <class T, bool SILU>
__device__ __forceinline__ typename TypeOps<T>::C gn_gz(typename TypeOps<T>::C xh, typename TypeOps<T>::C g,
                                                        typename TypeOps<T>::C wc, typename TypeOps<T>::C bc) {
    typedef typename TypeOps<T>::C C;
    if (SILU) {
        C z = xh * wc + bc, q = sigm(z);
        g *= q * (C(1) + z * (C(1) - q));
    }
    return g;
}

template <class T, class S, bool SILU>
__device__ __forceinline__ void gn_bwd_planes(const T* gy, const T* x, const S* mean, const S* rstd, const T* w, const T* b,
                                              double* pw, double* pb, int c, int cg, int spatial, int planes) {
    typedef typename TypeOps<T>::C C;
    constexpr int V = 16 / sizeof(T);
    const int lane = threadIdx.x & 31, warps = blockDim.x >> 5;
    const bool vec = spatial % V == 0 && ((unsigned long long)x | (unsigned long long)gy) % 16 == 0;
    for (int p = blockIdx.x * warps + (threadIdx.x >> 5); p < planes; p += gridDim.x * warps) {
        const int ch = p % c, row = p / cg;
        const C mu = (C)mean[row], rs = (C)rstd[row];
        const C wc = w ? TypeOps<T>::to_c(w[ch]) : C(1), bc = b ? TypeOps<T>::to_c(b[ch]) : C(0);
        const long long base = (long long)p * spatial;
        double sg = 0, sgx = 0;
        if (vec) {
            for (int s = lane * V; s < spatial; s += 32 * V) {
                const Vec16<T> xv = *(const Vec16<T>*)(x + base + s), gv = *(const Vec16<T>*)(gy + base + s);
                C ag = C(0), agx = C(0);   // a vector's few terms in C, then into the double sums
#pragma unroll
                for (int l = 0; l < V; l++) {
                    const C xh = (TypeOps<T>::to_c(xv.v[l]) - mu) * rs, g = gn_gz<T, SILU>(xh, TypeOps<T>::to_c(gv.v[l]), wc, bc);
                    ag += g;
                    agx += g * xh;
                }
                sg += (double)ag;
                sgx += (double)agx;
            }
        } else {
            for (int s = lane; s < spatial; s += 32) {
                const C xh = (TypeOps<T>::to_c(x[base + s]) - mu) * rs, g = gn_gz<T, SILU>(xh, TypeOps<T>::to_c(gy[base + s]), wc, bc);
                sg += (double)g;
                sgx += (double)(g * xh);
            }
        }
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
            sg += __shfl_xor_sync(0xffffffffu, sg, o);
            sgx += __shfl_xor_sync(0xffffffffu, sgx, o);
        }
        if (lane == 0) { pb[p] = sg; pw[p] = sgx; }
    }
}

// m1[row] = sum over the row's channels of w_j * pb / m, m2 likewise with pw (one thread per row): row r = (n, g)
// owns planes r * cg ... r * cg + cg - 1, channels (r * cg + j) % C.
// pb and pw may hold several chunks of partials ([chunks][rows * cg], the channels-last column sums), added here in order.
template <class T>
__device__ __forceinline__ void gn_bwd_rows(const T* w, const double* pw, const double* pb, double* m1, double* m2, int rows, int c,
                                            int cg, int spatial, int chunks) {
    const double m = (double)cg * spatial;
    const long long planes = (long long)rows * cg;
    GRID_STRIDE(r, rows) {
        double s1 = 0, s2 = 0;
        for (int j = 0; j < cg; j++) {
            const long long p = (long long)r * cg + j;
            const double wj = w ? TypeOps<T>::to_d(w[(int)(p % c)]) : 1.0;
            double sb = 0, sw = 0;
            for (int k = 0; k < chunks; k++) {
                sb += pb[k * planes + p];
                sw += pw[k * planes + p];
            }
            s1 += wj * sb;
            s2 += wj * sw;
        }
        m1[r] = s1 / m;
        m2[r] = s2 / m;
    }
}

// dx = rstd * (w gz - m1 - xhat m2) per element of [N, C, spatial], as gn_bwd's second pass.
template <class T, class S, bool SILU>
__device__ __forceinline__ void gn_bwd_apply(const T* gy, const T* x, const S* mean, const S* rstd, const T* w, const T* b,
                                             const double* m1, const double* m2, T* dx, int c, int cg, int spatial, int n) {
    typedef typename TypeOps<T>::C C;
    constexpr int V = 16 / sizeof(T);
    if (spatial % V == 0 && ((unsigned long long)x | (unsigned long long)gy | (unsigned long long)dx) % 16 == 0) {
        const int sv = spatial / V;
        GRID_STRIDE(i, n / V) {
            const int plane = (int)i / sv, ch = plane % c, row = plane / cg;
            const C mu = (C)mean[row], rs = (C)rstd[row], a1 = (C)m1[row], a2 = (C)m2[row];
            const C wc = w ? TypeOps<T>::to_c(w[ch]) : C(1), bc = b ? TypeOps<T>::to_c(b[ch]) : C(0);
            const Vec16<T> xv = ((const Vec16<T>*)x)[i], gv = ((const Vec16<T>*)gy)[i];
            Vec16<T> out;
#pragma unroll
            for (int l = 0; l < V; l++) {
                const C xh = (TypeOps<T>::to_c(xv.v[l]) - mu) * rs, g = gn_gz<T, SILU>(xh, TypeOps<T>::to_c(gv.v[l]), wc, bc);
                out.v[l] = TypeOps<T>::from_c(rs * (wc * g - a1 - xh * a2));
            }
            ((Vec16<T>*)dx)[i] = out;
        }
        return;
    }
    GRID_STRIDE(i, n) {
        const int plane = (int)i / spatial, ch = plane % c, row = plane / cg;
        const C mu = (C)mean[row], rs = (C)rstd[row];
        const C wc = w ? TypeOps<T>::to_c(w[ch]) : C(1), bc = b ? TypeOps<T>::to_c(b[ch]) : C(0);
        const C xh = (TypeOps<T>::to_c(x[i]) - mu) * rs, g = gn_gz<T, SILU>(xh, TypeOps<T>::to_c(gy[i]), wc, bc);
        dx[i] = TypeOps<T>::from_c(rs * (wc * g - (C)m1[row] - xh * (C)m2[row]));
    }
}

// ---- group norm on channels-last x [N, L, C] ----
// Per (n, channel) column sums over the L pixels come first: gn_cols_cl, a block of 8 warps per 32 columns of one sample
// and chunk of pixels (lanes read neighbouring channels, so a warp reads one pixel's 32 channels at once; warp k sums
// the chunk's pixels k, k + 8, ...), partials [chunks][N * C] in double that the per-row kernels add in order. The
// statistics take shifted sums (the shift: the column's first pixel) and combine a row's cg columns exactly
// (gn_stats_cl); the backward's column sums are gn_bwd_planes' pb and pw, so gn_bwd_rows serves both formats. The
// elementwise maps read the channel as the index mod C, 16-byte vectors of neighbouring channels where C holds them.

// MODE 0: s1/s2 = shifted sum and sum of squares of x; MODE 1 (SILU or not): pb/pw = sums of gz and gz * xhat.
template <class T, class S, int MODE, bool SILU>
__device__ __forceinline__ void gn_cols_cl(const T* gy, const T* x, const T* shift, const S* mean, const S* rstd, const T* w, const T* b,
                                           double* pa, double* pq, int l, int c, int cg, int perChunk) {
    typedef typename TypeOps<T>::C C;
    __shared__ double sa[8][33], sq[8][33];
    // grid (column blocks x samples, chunks): the samples ride on x, which has no 65,535 limit
    const int colBlocks = (c + 31) / 32, samples = gridDim.x / colBlocks;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, col = (blockIdx.x % colBlocks) * 32 + lane, n = blockIdx.x / colBlocks;
    const int chunk = blockIdx.y, groups = c / cg;
    double a = 0, q = 0;
    if (col < c) {
        const long long base = (long long)n * l * c + col;
        const int l0 = chunk * perChunk, l1 = min(l, l0 + perChunk);
        if (MODE == 0) {
            const double shift = TypeOps<T>::to_d(x[base]);
#pragma unroll 4
            for (int i = l0 + warp; i < l1; i += 8) {
                const double d = TypeOps<T>::to_d(x[base + (long long)i * c]) - shift;
                a += d;
                q += d * d;
            }
        } else {
            const int row = n * groups + col / cg;
            const C mu = (C)mean[row], rs = (C)rstd[row];
            const C wc = w ? TypeOps<T>::to_c(w[col]) : C(1), bc = b ? TypeOps<T>::to_c(b[col]) : C(0);
            const C m = mu - (shift ? TypeOps<T>::to_c(shift[n * c + col]) : C(0));   // x + shift - mean
#pragma unroll 4
            for (int i = l0 + warp; i < l1; i += 8) {
                const long long e = base + (long long)i * c;
                const C xh = (TypeOps<T>::to_c(x[e]) - m) * rs, g = gn_gz<T, SILU>(xh, TypeOps<T>::to_c(gy[e]), wc, bc);
                a += (double)g;
                q += (double)(g * xh);
            }
        }
    }
    sa[warp][lane] = a;
    sq[warp][lane] = q;
    __syncthreads();
    if (warp == 0 && col < c) {
        for (int k = 1; k < 8; k++) { a += sa[k][lane]; q += sq[k][lane]; }
        const long long o = (long long)chunk * samples * c + (long long)n * c + col;
        pa[o] = a;
        pq[o] = q;
    }
}

// Channel ch's group-norm map y = a x + bb for x read without its shift (element p of shift [N, C], or none):
// a = w rstd, bb = bias - a (mean - shift). The forward's maps and the backward's SiLU input both take it.
template <class T>
__device__ __forceinline__ void gn_channel_map(const T* w, const T* b, const T* shift, int ch, long long p, double mu, double rs,
                                               double& a, double& bb) {
    a = (w ? TypeOps<T>::to_d(w[ch]) : 1.0) * rs;
    bb = (b ? TypeOps<T>::to_d(b[ch]) : 0.0) - a * (mu - (shift ? TypeOps<T>::to_d(shift[p]) : 0.0));
}

// mean and rstd of each (n, group) row from its cg columns' shifted sums (chunks of them, added in order).
template <class T, class S>
__device__ __forceinline__ void gn_stats_cl(const T* x, const double* s1, const double* s2, S* mean, S* rstd, const T* shift, const T* w,
                                            const T* b, S* ab, int rows, int l, int c, int cg, int chunks, double eps) {
    const int groups = c / cg;
    const long long cols = (long long)rows * cg;   // N * C
    GRID_STRIDE(r, rows) {
        const int n = r / groups, c0 = (r % groups) * cg;
        // two passes over the row's columns: their means give the row's, then the squared deviations add up exactly
        double mu = 0, m2 = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (int j = 0; j < cg; j++) {
                const long long p = (long long)n * c + c0 + j;
                double a = 0, q = 0;
                for (int k = 0; k < chunks; k++) { a += s1[k * cols + p]; q += s2[k * cols + p]; }
                // the column's mean; a shift moves the column, not its shifted sums
                const double d = a / l, mc = TypeOps<T>::to_d(x[(long long)n * l * c + c0 + j]) + (shift ? TypeOps<T>::to_d(shift[p]) : 0.0) + d;
                if (pass == 0) mu += mc;
                else m2 += fmax(0.0, q - a * d) + l * (mc - mu) * (mc - mu);   // the column's deviations, then its mean's
            }
            if (pass == 0) mu /= cg;
        }
        const double var = m2 / ((double)l * cg), rs = 1.0 / sqrt(var + eps);
        mean[r] = (S)mu;
        rstd[r] = (S)rs;
        const long long nc = (long long)rows / groups * c;
        for (int j = 0; j < cg; j++) {   // the row's channels as y = A x + B (x without the shift: B takes it)
            const long long p = (long long)n * c + c0 + j;
            double a, bb;
            gn_channel_map(w, b, shift, c0 + j, p, mu, rs, a, bb);
            ab[p] = (S)a;
            ab[nc + p] = (S)bb;
        }
    }
}

// SiLU's sigmoid in the channels-last maps: bf16 storage takes the fast exponential (its error is far below bf16's
// resolution), wider types the exact one.
template <class T>
__device__ __forceinline__ typename TypeOps<T>::C gn_sig(typename TypeOps<T>::C z) {
    if constexpr (sizeof(T) == 2) return __frcp_rn(1.f + __expf(-z));
    else return sigm(z);
}

// y = A x + B (then SiLU) per element of channels-last [N, L, C]; lc = L * C. The coefficients are planes [2][N * C] (A, then
// B) from gn_stats_cl, so a vector's V channels read V neighbouring values of each plane as one aligned pack, and a warp's
// threads read neighbouring packs. (Interleaved per-channel terms read with scalar loads, 64 to 128 bytes apart between
// threads, made the backward three times slower on an H100.)
template <class T, class S, bool SILU>
__device__ __forceinline__ void gn_apply_cl(const T* x, const S* ab, T* y, int c, int lc, int count) {
    typedef typename TypeOps<T>::C C;
    constexpr int V = 16 / sizeof(T);
    const unsigned nc = count / lc * c;   // one plane of the coefficients
    if (c % V == 0 && ((unsigned long long)x | (unsigned long long)y) % 16 == 0) {
        GRID_STRIDE(i, count / V) {
            const unsigned e0 = i * V, p0 = e0 / (unsigned)lc * c + e0 % (unsigned)c;   // 32-bit: count is an int
            Vec16<T> v = ((const Vec16<T>*)x)[i];
            // p0 is a multiple of V: aligned packs
            const Pack<S, V> a = *(const Pack<S, V>*)(ab + p0), b = *(const Pack<S, V>*)(ab + nc + p0);
#pragma unroll
            for (int k = 0; k < V; k++) {
                C z = (C)a.v[k] * TypeOps<T>::to_c(v.v[k]) + (C)b.v[k];
                if (SILU) z = z * gn_sig<T>(z);
                v.v[k] = TypeOps<T>::from_c(z);
            }
            ((Vec16<T>*)y)[i] = v;
        }
        return;
    }
    GRID_STRIDE(i, count) {
        const unsigned p = i / (unsigned)lc * c + i % (unsigned)c;
        C z = (C)ab[p] * TypeOps<T>::to_c(x[i]) + (C)ab[nc + p];
        if (SILU) z = z * gn_sig<T>(z);
        y[i] = TypeOps<T>::from_c(z);
    }
}

// The backward's map per (n, channel), from the row terms m1, m2 of gn_bwd_rows: dx = rstd (w gz - m1 - xhat m2) is
// dx = A gz + E x + F with A = w rstd, E = -rstd^2 m2, F = rstd^2 m2 mean - rstd m1; the SiLU's input is z = A x + B.
// coef: planes [4][N * C] of A, B, E and F. With a shift [N, C] the terms take x without it (mean - shift for mean).
template <class T, class S>
__device__ __forceinline__ void gn_bwd_coef_cl(const S* mean, const S* rstd, const T* shift, const T* w, const T* b, const double* m1,
                                               const double* m2, S* coef, int nc, int c, int cg) {
    const int groups = c / cg;
    GRID_STRIDE(p, nc) {
        const int ch = p % c, row = p / c * groups + ch / cg;
        const double rs = (double)rstd[row];
        double a, bb;
        gn_channel_map(w, b, shift, ch, p, (double)mean[row], rs, a, bb);
        // x is read without the shift: the terms in x take mean - shift for mean
        const double mu = (double)mean[row] - (shift ? TypeOps<T>::to_d(shift[p]) : 0.0);
        coef[p] = (S)a;
        coef[nc + p] = (S)bb;
        coef[2LL * nc + p] = (S)(-rs * rs * m2[row]);
        coef[3LL * nc + p] = (S)(rs * rs * m2[row] * mu - rs * m1[row]);
    }
}

template <class T, bool SILU, class C>
__device__ __forceinline__ C gn_bwd_map_cl(C a, C b, C e, C f, C xv, C g) {
    if (SILU) {
        const C z = a * xv + b, s = gn_sig<T>(z);
        g *= s * (C(1) + z * (C(1) - s));
    }
    return a * g + e * xv + f;
}

// dx per element of channels-last [N, L, C] from gn_bwd_coef_cl's terms, as gn_bwd_apply.
template <class T, class S, bool SILU>
__device__ __forceinline__ void gn_bwd_apply_cl(const T* gy, const T* x, const S* coef, T* dx, int c, int lc, int count) {
    typedef typename TypeOps<T>::C C;
    constexpr int V = 16 / sizeof(T);
    const unsigned nc = count / lc * c;   // one plane of the coefficients
    if (c % V == 0 && ((unsigned long long)x | (unsigned long long)gy | (unsigned long long)dx) % 16 == 0) {
        GRID_STRIDE(i, count / V) {
            const unsigned e0 = i * V, p0 = e0 / (unsigned)lc * c + e0 % (unsigned)c;
            const Vec16<T> xv = ((const Vec16<T>*)x)[i], gv = ((const Vec16<T>*)gy)[i];
            const Pack<S, V> a = *(const Pack<S, V>*)(coef + p0), b = *(const Pack<S, V>*)(coef + nc + p0),   // as in gn_apply_cl
                             e = *(const Pack<S, V>*)(coef + 2 * nc + p0), f = *(const Pack<S, V>*)(coef + 3 * nc + p0);
            Vec16<T> out;
#pragma unroll
            for (int k = 0; k < V; k++)
                out.v[k] = TypeOps<T>::from_c(gn_bwd_map_cl<T, SILU, C>((C)a.v[k], (C)b.v[k], (C)e.v[k], (C)f.v[k], TypeOps<T>::to_c(xv.v[k]),
                                                                        TypeOps<T>::to_c(gv.v[k])));
            ((Vec16<T>*)dx)[i] = out;
        }
        return;
    }
    GRID_STRIDE(i, count) {
        const unsigned p = i / (unsigned)lc * c + i % (unsigned)c;
        dx[i] = TypeOps<T>::from_c(gn_bwd_map_cl<T, SILU, C>((C)coef[p], (C)coef[nc + p], (C)coef[2 * nc + p], (C)coef[3 * nc + p],
                                                             TypeOps<T>::to_c(x[i]), TypeOps<T>::to_c(gy[i])));
    }
}

// ---- layer norm ----

// y = affine(row, i, norm(x)) per row, in O (computed in O's compute type).
template <class T, class O, class S, bool WARP, class A>
__device__ __forceinline__ void ln_fwd_rows(const T* x, O* y, S* mean, S* rstd, int rows, int d, double eps, A affine) {
    typedef typename TypeOps<O>::C C;
    __shared__ double shm[64];
    ROW_LOOP(WARP, row, rows) {
        const long long base = (long long)row * d;
        double mu, rs;
        row_moments<T, WARP>(x + base, d, eps, tid_, nth_, shm, mu, rs);
        if (tid_ == 0) { mean[row] = (S)mu; rstd[row] = (S)rs; }
        const C cm = (C)mu, cr = (C)rs;
#pragma unroll 4
        for (int i = tid_; i < d; i += nth_) y[base + i] = TypeOps<O>::from_c(affine(row, i, ((C)TypeOps<T>::to_c(x[base + i]) - cm) * cr));
    }
}

template <class T, class S, bool WARP>
__device__ __forceinline__ void ln_fwd(const T* x, const T* w, const T* b, T* y, S* mean, S* rstd, int rows, int d, double eps) {
    typedef typename TypeOps<T>::C C;
    ln_fwd_rows<T, T, S, WARP>(x, y, mean, rstd, rows, d, eps, [=](int, int i, C z) {
        if (w) z *= TypeOps<T>::to_c(w[i]);
        if (b) z += TypeOps<T>::to_c(b[i]);
        return z;
    });
}

// dx of a layer norm whose output was scaled by weight(row, i) (gy of type G), per row.
template <class T, class G, class S, bool WARP, class W>
__device__ __forceinline__ void ln_bwd_rows(const G* gy, const T* x, const S* mean, const S* rstd, T* dx, int rows, int d, W weight) {
    __shared__ double shm[64];
    ROW_LOOP(WARP, row, rows) {
        const long long base = (long long)row * d;
        const double mu = (double)mean[row], rs = (double)rstd[row];
        double sum1 = 0, sum2 = 0;
#pragma unroll 4
        for (int i = tid_; i < d; i += nth_) {
            double wg = weight(row, i) * TypeOps<G>::to_d(gy[base + i]);
            sum1 += wg;
            sum2 += wg * (TypeOps<T>::to_d(x[base + i]) - mu) * rs;
        }
        row_sum2<WARP>(sum1, sum2, shm);
        const double m1 = sum1 / d, m2 = sum2 / d;
#pragma unroll 4
        for (int i = tid_; i < d; i += nth_) {
            double wg = weight(row, i) * TypeOps<G>::to_d(gy[base + i]);
            double xh = (TypeOps<T>::to_d(x[base + i]) - mu) * rs;
            dx[base + i] = TypeOps<T>::from_d(rs * (wg - m1 - xh * m2));
        }
    }
}

template <class T, class S, bool WARP>
__device__ __forceinline__ void ln_bwd(const T* gy, const T* x, const S* mean, const S* rstd, const T* w, T* dx, int rows, int d) {
    ln_bwd_rows<T, T, S, WARP>(gy, x, mean, rstd, dx, rows, d, [=](int, int i) { return w ? TypeOps<T>::to_d(w[i]) : 1.0; });
}

// dw[c] = sum over rows of pw[row, c] (likewise db); either output may be null (pb is not read without db). A block of 8 warps per 32 columns:
// lanes read consecutive columns (coalesced), warp w sums rows w, w+8, ...; the 8 partials are added in order.
template <class T>
__device__ __forceinline__ void param_grad(const double* pw, const double* pb, T* dw, T* db, int rows, int cols) {
    __shared__ double sw_[8][32], sb_[8][32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int c0 = blockIdx.x * 32; c0 < cols; c0 += gridDim.x * 32) {
        const int c = c0 + lane;
        double sw = 0, sb = 0;
        if (c < cols) {
#pragma unroll 4
            for (int r = warp; r < rows; r += 8) {
                sw += pw[(long long)r * cols + c];
                if (db) sb += pb[(long long)r * cols + c];
            }
        }
        sw_[warp][lane] = sw;
        sb_[warp][lane] = sb;
        __syncthreads();
        if (warp == 0 && c < cols) {
            double tw = 0, tb = 0;
#pragma unroll
            for (int w = 0; w < 8; w++) { tw += sw_[w][lane]; tb += sb_[w][lane]; }
            if (dw) dw[c] = TypeOps<T>::from_d(tw);
            if (db) db[c] = TypeOps<T>::from_d(tb);
        }
        __syncthreads();
    }
}

// ---- layer norm with adaLN's per-sample modulation: y = norm(x) * (1 + scale[b]) + shift[b] ----
// x [B * L, d] rows (T); shift and scale [B, d] rows hs and ss elements apart (chunks of adaLN's modulation output
// are read in place), y and the gradients of shift and scale in O (the autocast dtype under autocast). One pass
// instead of a norm, two row-broadcast maps and a cast.

template <class T, class O, class S, bool WARP>
__device__ __forceinline__ void ln_mod_fwd(const T* x, const O* shift, const O* scale, O* y, S* mean, S* rstd, int rows, int d,
                                           int L, long long hs, long long ss, double eps) {
    typedef typename TypeOps<O>::C C;   // f32, or f64 for f64
    ln_fwd_rows<T, O, S, WARP>(x, y, mean, rstd, rows, d, eps, [=](int row, int i, C z) {
        const long long b = row / L;
        return z * (C(1) + TypeOps<O>::to_c(scale[b * ss + i])) + TypeOps<O>::to_c(shift[b * hs + i]);
    });
}

// ln_mod_fwd for a warp per row whose slice stays in registers: x read once with 4-element loads (the row is d <= 128 *
// V elements, d % 4 == 0), the same shifted double moments, then y with 4-element loads of shift and scale and
// 4-element stores. Every pointer and both row strides aligned to 4 elements. One kernel per slot count V, as
// ln_mod_bwd_vec: with a fixed 8 slots DiT-S/2's rows (3 slots) took 77 registers a thread, which left a third of the
// warps an SM could hold.

// Its second half, shared with gated_ln_mod_fwd_vec: for the warp's row v (lane's elements 4 (32 k + lane) ..) whose
// element 0 is `first`, the moments, mean and rstd, and y, whose rows are ys elements apart. Where ys > d (at least d +
// 8) the row is followed by a one and seven zeros: a Linear layer that reads y then gets its bias gradient as one more
// column of its weight gradient's product (CudaNorm's onesColumn).
template <class T, class O, class S, int V>
__device__ __forceinline__ void ln_mod_row_vec(const Vec4<T> (&v)[V], double first, const O* shift, const O* scale, O* y, S* mean,
                                               S* rstd, int row, int d, int L, long long hs, long long ss, double eps, long long ys) {
    typedef typename TypeOps<O>::C C;
    const int lane = threadIdx.x & 31;
    const long long base = (long long)row * ys;
    if (ys > d && lane < 8) y[base + d + lane] = TypeOps<O>::from_c(C(lane == 0 ? 1 : 0));
    double s1 = 0, s2 = 0;
#pragma unroll
    for (int k = 0; k < V; k++) {
        const int i = (k * 32 + lane) * 4;
        if (i < d)
#pragma unroll
            for (int l = 0; l < 4; l++) {
                const double e = TypeOps<T>::to_d(v[k].v[l]) - first;
                s1 += e;
                s2 += e * e;
            }
    }
    row_sum2<true>(s1, s2, nullptr);
    double mu, rs;
    moments_from_sums(s1, s2, d, first, eps, mu, rs);
    if (lane == 0) { mean[row] = (S)mu; rstd[row] = (S)rs; }
    const C cm = (C)mu, cr = (C)rs;
    const long long b = row / L;
#pragma unroll
    for (int k = 0; k < V; k++) {
        const int i = (k * 32 + lane) * 4;
        if (i < d) {
            const Vec4<O> sc = *reinterpret_cast<const Vec4<O>*>(scale + b * ss + i), sh = *reinterpret_cast<const Vec4<O>*>(shift + b * hs + i);
            Vec4<O> o;
#pragma unroll
            for (int l = 0; l < 4; l++) {
                const C z = ((C)TypeOps<T>::to_c(v[k].v[l]) - cm) * cr;
                o.v[l] = TypeOps<O>::from_c(z * (C(1) + TypeOps<O>::to_c(sc.v[l])) + TypeOps<O>::to_c(sh.v[l]));
            }
            *reinterpret_cast<Vec4<O>*>(y + base + i) = o;
        }
    }
}

template <class T, class O, class S, int V>
__device__ __forceinline__ void ln_mod_fwd_vec(const T* x, const O* shift, const O* scale, O* y, S* mean, S* rstd, int rows, int d,
                                               int L, long long hs, long long ss, double eps, long long ys) {
    const int lane = threadIdx.x & 31;
    for (int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); row < rows; row += gridDim.x * (blockDim.x >> 5)) {
        const long long base = (long long)row * d;
        Vec4<T> v[V];
#pragma unroll
        for (int k = 0; k < V; k++) {
            const int i = (k * 32 + lane) * 4;
            if (i < d) v[k] = *reinterpret_cast<const Vec4<T>*>(x + base + i);
        }
        ln_mod_row_vec(v, TypeOps<T>::to_d(x[base]), shift, scale, y, mean, rstd, row, d, L, hs, ss, eps, ys);
    }
}

// DiT's gated residual x + gate[b] * branch (as binary.cu's gated_add computes it) written to xo, and ln_mod_fwd_vec of
// that sum, in one pass: the next sublayer's modulated norm reads the sum from registers instead of memory. gate, shift
// and scale are [B, d] rows of strides gs, hs and ss; the same alignment as ln_mod_fwd_vec, gs too.
template <class T, class O, class S, int V>
__device__ __forceinline__ void gated_ln_mod_fwd_vec(const T* x, const O* gate, const O* branch, T* xo, long long gs, const O* shift,
                                                     const O* scale, O* y, S* mean, S* rstd, int rows, int d, int L, long long hs,
                                                     long long ss, double eps, long long ys) {
    const int lane = threadIdx.x & 31;
    for (int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); row < rows; row += gridDim.x * (blockDim.x >> 5)) {
        const long long base = (long long)row * d, b = row / L;
        Vec4<T> v[V];
#pragma unroll
        for (int k = 0; k < V; k++) {
            const int i = (k * 32 + lane) * 4;
            if (i < d) {
                const Vec4<T> xv = *reinterpret_cast<const Vec4<T>*>(x + base + i);
                const Vec4<O> bv = *reinterpret_cast<const Vec4<O>*>(branch + base + i), gv = *reinterpret_cast<const Vec4<O>*>(gate + b * gs + i);
#pragma unroll
                for (int l = 0; l < 4; l++)
                    v[k].v[l] = TypeOps<T>::from_c(TypeOps<T>::to_c(xv.v[l]) + TypeOps<O>::to_c(gv.v[l]) * TypeOps<O>::to_c(bv.v[l]));
                *reinterpret_cast<Vec4<T>*>(xo + base + i) = v[k];
            }
        }
        const double first = __shfl_sync(0xffffffffu, TypeOps<T>::to_d(v[0].v[0]), 0);   // element 0 is lane 0's first
        ln_mod_row_vec(v, first, shift, scale, y, mean, rstd, row, d, L, hs, ss, eps, ys);
    }
}

// dx of ln_mod_fwd: the layer-norm backward with the weight 1 + scale[b].
template <class T, class O, class S, bool WARP>
__device__ __forceinline__ void ln_mod_bwd(const O* gy, const T* x, const S* mean, const S* rstd, const O* scale, T* dx, int rows, int d,
                                           int L, long long ss) {
    ln_bwd_rows<T, O, S, WARP>(gy, x, mean, rstd, dx, rows, d,
                               [=](int row, int i) { return 1.0 + TypeOps<O>::to_d(scale[(long long)(row / L) * ss + i]); });
}

// Column partials of sum over rows of gy * norm(x) (into pw) and of gy (into pb), per sample of L rows: block
// (cx, k, b) sums rows [k * rowsPerChunk, ...) of sample b for columns cx * blockDim.x + threadIdx.x into pw/pb
// [chunks, B * d] at b * d + col, so that param_grad then gives [B, d]. One sample of all the rows (B 1) gives the plain
// layer norm's weight and bias gradients; several give adaLN's per-sample dscale and dshift.
template <class T, class G, class S>
__device__ __forceinline__ void ln_partials(const G* gy, const T* x, const S* mean, const S* rstd, double* pw, double* pb,
                                            int d, int L, int B, int rowsPerChunk) {
    const int col = blockIdx.x * blockDim.x + threadIdx.x, k = blockIdx.y, b = blockIdx.z;
    if (col >= d) return;
    const int r0 = b * L + k * rowsPerChunk, r1 = min(b * L + L, r0 + rowsPerChunk);
    double sw = 0, sb = 0;
    for (int r = r0; r < r1; r++) {
        const long long i = (long long)r * d + col;
        const double g = TypeOps<G>::to_d(gy[i]);
        sw += g * (TypeOps<T>::to_d(x[i]) - (double)mean[r]) * (double)rstd[r];
        sb += g;
    }
    const long long at = (long long)k * B * d + (long long)b * d + col;
    pw[at] = sw;
    pb[at] = sb;
}

// Work type of ln_mod_bwd_vec's per-element terms: f32 where the gradient comes in bf16 (its 8-bit mantissa is far
// below f32's rounding; double's conversions and arithmetic had the kernel at about half the bandwidth), double for
// f32 gradients. The row sums are added over the warp in double either way.
template <class O> struct LnBwdWork { typedef double W; };
template <> struct LnBwdWork<bf16> { typedef float W; };

// ln_mod_bwd and ln_mod_partials in one pass, for rows of d <= 128 V elements with d % 4 == 0 (every pointer and the
// [B, d] rows' strides 4-element aligned): block (k, b) of eight warps takes rows [k * per, (k + 1) * per) of sample b,
// a warp a row at a time with the row in registers (lane's elements 4 (32 v + lane) ..), and writes dx as ln_mod_bwd does; each lane keeps its columns' sums of gy * norm(x) and gy
// over its rows (f32, a few rows each), and the block adds its warps' in warp order (double) and writes them as
// ln_partials would for its chunk (pw/pb [chunks][B * d]), which param_grad then sums. gy and x are read once for
// both, where the two kernels read them twice.
// add (or null): x's gradient from its other uses, added as dx is written (a residual stream's, where an add pass
// would read dx back).
// GATED (the kernels ln_mod_bwd_gated_vec*): x is DiT's gated residual s = r + gate[b] * branch, and dx its whole gradient; then the kernel also
// does that residual's backward (binary.cu's gated_add_bwd, the same roundings) where it holds dx: dbranch =
// O(O(dx) * gate) and the gate's column sums of O(dx) * branch into pg like pw, where gated_add_bwd read dx back.
// One kernel per V so that each keeps only its own slots in registers.
template <class T, class O, class S, int V, bool GATED, bool EARLY = false>
__device__ __forceinline__ void ln_mod_bwd_vec(const O* gy, const T* x, const S* mean, const S* rstd, const O* scale, T* dx,
                                               const T* add, const O* gate, const O* branch, O* dbranch, long long gs, double* pw,
                                               double* pb, double* pg, double* pd, int d, int L, int B, long long ss, int per) {
    typedef typename LnBwdWork<O>::W W;
    // each warp's column sums in shared memory (the launch's dynamic size: 2, 3 or 4 quantities x 8 warps x 128 V floats),
    // where registers for them left the kernel too few warps; lanes own distinct columns, so no barrier until the end
    extern __shared__ __align__(16) unsigned char smem_raw[];
    Vec4<float>* const ln_bwd_part = reinterpret_cast<Vec4<float>*>(smem_raw);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5, q = 32 * V;   // q: float4s per warp
    const int b = blockIdx.y, k = blockIdx.x, r0 = b * L + k * per, r1 = min(b * L + L, r0 + per);
    Vec4<float>* pa = ln_bwd_part + (long long)warp * q;               // this warp's sums of gy * norm(x)
    Vec4<float>* pbb = ln_bwd_part + (long long)(nw + warp) * q;       // of gy
    Vec4<float>* pgg = ln_bwd_part + (long long)(2 * nw + warp) * q;   // of O(dx) * branch (GATED)
    const bool sumDb = GATED && pd != nullptr;
    Vec4<float>* pdd = ln_bwd_part + (long long)(3 * nw + warp) * q;   // of dbranch (sumDb)
    Vec4<float> zero;
#pragma unroll
    for (int l = 0; l < 4; l++) zero.v[l] = 0.f;
    Vec4<O> sv[V], gt[V];   // the sample's scale and gate columns: the same for all of the block's rows
#pragma unroll
    for (int v = 0; v < V; v++) {
        const int i = (v * 32 + lane) * 4;
        pa[v * 32 + lane] = pbb[v * 32 + lane] = zero;
        if (GATED) pgg[v * 32 + lane] = zero;
        if (sumDb) pdd[v * 32 + lane] = zero;
        if (i < d) {
            sv[v] = *reinterpret_cast<const Vec4<O>*>(scale + (long long)b * ss + i);
            if (GATED) gt[v] = *reinterpret_cast<const Vec4<O>*>(gate + (long long)b * gs + i);
        }
    }
    for (int row = r0 + warp; row < r1; row += nw) {
        const long long base = (long long)row * d;
        const W mu = (W)mean[row], rs = (W)rstd[row];
        Vec4<T> xv[V], av[EARLY ? V : 1];
        Vec4<O> gv[V], bw[EARLY ? V : 1];
#pragma unroll
        for (int v = 0; v < V; v++) {
            const int i = (v * 32 + lane) * 4;
            if (i < d) {
                xv[v] = *reinterpret_cast<const Vec4<T>*>(x + base + i);
                gv[v] = *reinterpret_cast<const Vec4<O>*>(gy + base + i);
                if (EARLY) {   // the second half's loads too, issued before the row's reduction waits
                    if (add) av[v] = *reinterpret_cast<const Vec4<T>*>(add + base + i);
                    if (GATED) bw[v] = *reinterpret_cast<const Vec4<O>*>(branch + base + i);
                }
            }
        }
        // element l of slot v: the gradient g, norm(x) xh and the weighted gradient (1 + scale) g
        auto terms = [&](int v, int l, W& g, W& xh, W& wg) {
            g = (W)TypeOps<O>::to_c(gv[v].v[l]);
            xh = ((W)TypeOps<T>::to_c(xv[v].v[l]) - mu) * rs;
            wg = ((W)1 + (W)TypeOps<O>::to_c(sv[v].v[l])) * g;
        };
        W t1 = 0, t2 = 0;
#pragma unroll
        for (int v = 0; v < V; v++) {
            const int i = (v * 32 + lane) * 4;
            if (i < d) {
                Vec4<float> sw = pa[v * 32 + lane], sb = pbb[v * 32 + lane];
#pragma unroll
                for (int l = 0; l < 4; l++) {
                    W g, xh, wg;
                    terms(v, l, g, xh, wg);
                    t1 += wg;
                    t2 += wg * xh;
                    sw.v[l] += (float)(g * xh);
                    sb.v[l] += (float)g;
                }
                pa[v * 32 + lane] = sw;
                pbb[v * 32 + lane] = sb;
            }
        }
        double s1 = (double)t1, s2 = (double)t2;
        row_sum2<true>(s1, s2, nullptr);
        const W m1 = (W)(s1 / d), m2 = (W)(s2 / d);
#pragma unroll
        for (int v = 0; v < V; v++) {
            const int i = (v * 32 + lane) * 4;
            if (i < d) {
                Vec4<T> o, a;
                Vec4<O> bv;
                if (EARLY) {
                    a = av[EARLY ? v : 0];
                    bv = bw[EARLY ? v : 0];
                } else {
                    if (add) a = *reinterpret_cast<const Vec4<T>*>(add + base + i);   // x's gradient from its other uses
                    if (GATED) bv = *reinterpret_cast<const Vec4<O>*>(branch + base + i);
                }
#pragma unroll
                for (int l = 0; l < 4; l++) {
                    W g, xh, wg;
                    terms(v, l, g, xh, wg);
                    o.v[l] = TypeOps<T>::from_c(rs * (wg - m1 - xh * m2) + (add ? (W)TypeOps<T>::to_c(a.v[l]) : (W)0));
                }
                *reinterpret_cast<Vec4<T>*>(dx + base + i) = o;
                if (GATED) {
                    Vec4<O> db;
                    Vec4<float> sg = pgg[v * 32 + lane];
#pragma unroll
                    for (int l = 0; l < 4; l++) {
                        const float g = TypeOps<O>::to_c(TypeOps<O>::from_c((float)TypeOps<T>::to_c(o.v[l])));
                        db.v[l] = TypeOps<O>::from_c(g * TypeOps<O>::to_c(gt[v].v[l]));
                        sg.v[l] += g * TypeOps<O>::to_c(bv.v[l]);
                    }
                    pgg[v * 32 + lane] = sg;
                    *reinterpret_cast<Vec4<O>*>(dbranch + base + i) = db;
                    if (sumDb) {
                        Vec4<float> sd = pdd[v * 32 + lane];
#pragma unroll
                        for (int l = 0; l < 4; l++) sd.v[l] += TypeOps<O>::to_c(db.v[l]);
                        pdd[v * 32 + lane] = sd;
                    }
                }
            }
        }
    }
    __syncthreads();
    // the block's column sums: the warps' partials added in warp order (the same sums every run)
    const long long at = (long long)k * B * d + (long long)b * d;
    const float* part = reinterpret_cast<const float*>(ln_bwd_part);
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        double tw = 0, tb = 0, tg = 0, td = 0;
        for (int w = 0; w < nw; w++) {
            tw += (double)part[(long long)w * 4 * q + i];
            tb += (double)part[(long long)(nw + w) * 4 * q + i];
            if (GATED) tg += (double)part[(long long)(2 * nw + w) * 4 * q + i];
            if (sumDb) td += (double)part[(long long)(3 * nw + w) * 4 * q + i];
        }
        pw[at + i] = tw;
        pb[at + i] = tb;
        if (GATED) pg[at + i] = tg;
        if (sumDb) pd[at + i] = td;
    }
}

// The gated backward with 3 slots (DiT-S's rows of 384) issues the residual gradient's and the branch's loads with the
// row's first ones (EARLY), capped at two blocks an SM: 118 registers, where 92 gave the SM no more blocks
// (BENCHMARKS.md: DiT-S/2's training step 0.7% faster in two rounds of the eighteenth session, 1.2% in one of the
// twentieth). Elsewhere the extra registers cost blocks (1 and 2 slots: 59 and 79 registers became 95) or spilled
// (6 slots: DiT-B/2's step lost 4%), so those load them after the reduction, as before.
#define GATED_BWD_EARLY(V) ((V) == 3)
#define GATED_BWD_BOUNDS_1
#define GATED_BWD_BOUNDS_2
#define GATED_BWD_BOUNDS_3 __launch_bounds__(256, 2)
#define GATED_BWD_BOUNDS_4
#define GATED_BWD_BOUNDS_6
#define GATED_BWD_BOUNDS_8
#define LN_MOD_BWD_VEC_KERNEL(T, O, S, SFX, V) \
    extern "C" __global__ void ln_mod_bwd_vec##V##_##SFX(const O* gy, const T* x, const S* mean, const S* rstd, const O* scale, T* dx, \
                                                        const T* add, const O* gate, const O* branch, O* dbranch, long long gs, \
                                                        double* pw, double* pb, double* pg, double* pd, int d, int L, int B, long long ss, \
                                                        int per) { \
        ln_mod_bwd_vec<T, O, S, V, false>(gy, x, mean, rstd, scale, dx, add, gate, branch, dbranch, gs, pw, pb, pg, pd, d, L, B, ss, per); } \
    extern "C" __global__ void GATED_BWD_BOUNDS_##V \
    ln_mod_bwd_gated_vec##V##_##SFX(const O* gy, const T* x, const S* mean, const S* rstd, const O* scale, T* dx, const T* add, \
                                    const O* gate, const O* branch, O* dbranch, long long gs, double* pw, double* pb, double* pg, \
                                    double* pd, int d, int L, int B, long long ss, int per) { \
        ln_mod_bwd_vec<T, O, S, V, true, GATED_BWD_EARLY(V)>(gy, x, mean, rstd, scale, dx, add, gate, branch, dbranch, gs, pw, pb, pg, pd, d, \
                                                             L, B, ss, per); }

#define LN_MOD_FWD_VEC_KERNEL(T, O, S, SFX, V) \
    extern "C" __global__ void ln_mod_fwd_vec##V##_##SFX(const T* x, const O* shift, const O* scale, O* y, S* mean, S* rstd, int rows, \
                                                        int d, int L, long long hs, long long ss, double eps, long long ys) { \
        ln_mod_fwd_vec<T, O, S, V>(x, shift, scale, y, mean, rstd, rows, d, L, hs, ss, eps, ys); } \
    extern "C" __global__ void gated_ln_mod_fwd_vec##V##_##SFX(const T* x, const O* gate, const O* branch, T* xo, long long gs, \
                                                              const O* shift, const O* scale, O* y, S* mean, S* rstd, int rows, int d, \
                                                              int L, long long hs, long long ss, double eps, long long ys) { \
        gated_ln_mod_fwd_vec<T, O, S, V>(x, gate, branch, xo, gs, shift, scale, y, mean, rstd, rows, d, L, hs, ss, eps, ys); }

#define LN_MOD_FWD_VEC_KERNELS(T, O, S, SFX) \
    LN_MOD_FWD_VEC_KERNEL(T, O, S, SFX, 1) LN_MOD_FWD_VEC_KERNEL(T, O, S, SFX, 2) LN_MOD_FWD_VEC_KERNEL(T, O, S, SFX, 3) \
    LN_MOD_FWD_VEC_KERNEL(T, O, S, SFX, 4) LN_MOD_FWD_VEC_KERNEL(T, O, S, SFX, 6) LN_MOD_FWD_VEC_KERNEL(T, O, S, SFX, 8)
#define LN_MOD_BWD_VEC_KERNELS(T, O, S, SFX) \
    LN_MOD_BWD_VEC_KERNEL(T, O, S, SFX, 1) LN_MOD_BWD_VEC_KERNEL(T, O, S, SFX, 2) LN_MOD_BWD_VEC_KERNEL(T, O, S, SFX, 3) \
    LN_MOD_BWD_VEC_KERNEL(T, O, S, SFX, 4) LN_MOD_BWD_VEC_KERNEL(T, O, S, SFX, 6) LN_MOD_BWD_VEC_KERNEL(T, O, S, SFX, 8)

LN_MOD_FWD_VEC_KERNELS(float, float, float, f32_f32)
LN_MOD_FWD_VEC_KERNELS(float, bf16, float, f32_bf16)
LN_MOD_FWD_VEC_KERNELS(bf16, bf16, float, bf16_bf16)
LN_MOD_FWD_VEC_KERNELS(double, double, double, f64_f64)   // the forward only: CudaNorm keeps f64 backwards on ln_mod_bwd
LN_MOD_BWD_VEC_KERNELS(float, float, float, f32_f32)
LN_MOD_BWD_VEC_KERNELS(float, bf16, float, f32_bf16)
LN_MOD_BWD_VEC_KERNELS(bf16, bf16, float, bf16_bf16)

#define LN_MOD_KERNELS(T, O, S, SFX) \
    extern "C" __global__ void ln_mod_fwd_##SFX(const T* x, const O* shift, const O* scale, O* y, S* mean, S* rstd, int rows, int d, \
                                                int L, long long hs, long long ss, double eps, int warp) { \
        if (warp) ln_mod_fwd<T, O, S, true>(x, shift, scale, y, mean, rstd, rows, d, L, hs, ss, eps); \
        else ln_mod_fwd<T, O, S, false>(x, shift, scale, y, mean, rstd, rows, d, L, hs, ss, eps); } \
    extern "C" __global__ void ln_mod_bwd_##SFX(const O* gy, const T* x, const S* mean, const S* rstd, const O* scale, T* dx, int rows, \
                                                int d, int L, long long ss, int warp) { \
        if (warp) ln_mod_bwd<T, O, S, true>(gy, x, mean, rstd, scale, dx, rows, d, L, ss); \
        else ln_mod_bwd<T, O, S, false>(gy, x, mean, rstd, scale, dx, rows, d, L, ss); } \
    extern "C" __global__ void ln_mod_partials_##SFX(const O* gy, const T* x, const S* mean, const S* rstd, double* pw, double* pb, \
                                                     int d, int L, int B, int rowsPerChunk) { \
        ln_partials<T, O, S>(gy, x, mean, rstd, pw, pb, d, L, B, rowsPerChunk); }

LN_MOD_KERNELS(float, float, float, f32_f32)
LN_MOD_KERNELS(float, bf16, float, f32_bf16)
LN_MOD_KERNELS(bf16, bf16, float, bf16_bf16)
LN_MOD_KERNELS(double, double, double, f64_f64)

#define NORM_KERNELS(T, S, SFX) \
    extern "C" __global__ void gn_fwd_##SFX(const T* x, const T* w, const T* b, T* y, S* mean, S* rstd, int rows, int groups, \
                                            int cg, int spatial, double eps, int silu) { \
        if (silu) gn_fwd<T, S, true>(x, w, b, y, mean, rstd, rows, groups, cg, spatial, eps); \
        else gn_fwd<T, S, false>(x, w, b, y, mean, rstd, rows, groups, cg, spatial, eps); } \
    extern "C" __global__ void gn_stats_##SFX(const T* x, S* mean, S* rstd, int rows, int m, double eps) { \
        gn_stats<T, S>(x, mean, rstd, rows, m, eps); } \
    extern "C" __global__ void gn_apply_##SFX(const T* x, const T* w, const T* b, T* y, const S* mean, const S* rstd, int c, int cg, \
                                              int spatial, int n, int silu) { \
        if (silu) gn_apply<T, S, true>(x, w, b, y, mean, rstd, c, cg, spatial, n); \
        else gn_apply<T, S, false>(x, w, b, y, mean, rstd, c, cg, spatial, n); } \
    extern "C" __global__ void gn_bwd_planes_##SFX(const T* gy, const T* x, const S* mean, const S* rstd, const T* w, const T* b, \
                                                   double* pw, double* pb, int c, int cg, int spatial, int planes, int silu) { \
        if (silu) gn_bwd_planes<T, S, true>(gy, x, mean, rstd, w, b, pw, pb, c, cg, spatial, planes); \
        else gn_bwd_planes<T, S, false>(gy, x, mean, rstd, w, b, pw, pb, c, cg, spatial, planes); } \
    extern "C" __global__ void gn_bwd_rows_##SFX(const T* w, const double* pw, const double* pb, double* m1, double* m2, int rows, \
                                                 int c, int cg, int spatial, int chunks) { \
        gn_bwd_rows<T>(w, pw, pb, m1, m2, rows, c, cg, spatial, chunks); } \
    extern "C" __global__ void gn_cols_stats_cl_##SFX(const T* x, double* s1, double* s2, int l, int c, int perChunk) { \
        gn_cols_cl<T, S, 0, false>(nullptr, x, nullptr, nullptr, nullptr, nullptr, nullptr, s1, s2, l, c, 1, perChunk); } \
    extern "C" __global__ void gn_stats_cl_##SFX(const T* x, const double* s1, const double* s2, S* mean, S* rstd, const T* shift, \
                                                 const T* w, const T* b, S* ab, int rows, int l, int c, int cg, int chunks, double eps) { \
        gn_stats_cl<T, S>(x, s1, s2, mean, rstd, shift, w, b, ab, rows, l, c, cg, chunks, eps); } \
    extern "C" __global__ void gn_apply_cl_##SFX(const T* x, const S* ab, T* y, int c, int lc, int count, int silu) { \
        if (silu) gn_apply_cl<T, S, true>(x, ab, y, c, lc, count); \
        else gn_apply_cl<T, S, false>(x, ab, y, c, lc, count); } \
    extern "C" __global__ void gn_bwd_cols_cl_##SFX(const T* gy, const T* x, const T* shift, const S* mean, const S* rstd, const T* w, \
                                                    const T* b, double* pw, double* pb, int l, int c, int cg, int perChunk, int silu) { \
        if (silu) gn_cols_cl<T, S, 1, true>(gy, x, shift, mean, rstd, w, b, pb, pw, l, c, cg, perChunk); \
        else gn_cols_cl<T, S, 1, false>(gy, x, shift, mean, rstd, w, b, pb, pw, l, c, cg, perChunk); } \
    extern "C" __global__ void gn_bwd_coef_cl_##SFX(const S* mean, const S* rstd, const T* shift, const T* w, const T* b, \
                                                    const double* m1, const double* m2, S* coef, int nc, int c, int cg) { \
        gn_bwd_coef_cl<T, S>(mean, rstd, shift, w, b, m1, m2, coef, nc, c, cg); } \
    extern "C" __global__ void gn_bwd_apply_cl_##SFX(const T* gy, const T* x, const S* coef, T* dx, int c, int lc, int count, int silu) { \
        if (silu) gn_bwd_apply_cl<T, S, true>(gy, x, coef, dx, c, lc, count); \
        else gn_bwd_apply_cl<T, S, false>(gy, x, coef, dx, c, lc, count); } \
    extern "C" __global__ void gn_bwd_apply_##SFX(const T* gy, const T* x, const S* mean, const S* rstd, const T* w, const T* b, \
                                                  const double* m1, const double* m2, T* dx, int c, int cg, int spatial, int n, int silu) { \
        if (silu) gn_bwd_apply<T, S, true>(gy, x, mean, rstd, w, b, m1, m2, dx, c, cg, spatial, n); \
        else gn_bwd_apply<T, S, false>(gy, x, mean, rstd, w, b, m1, m2, dx, c, cg, spatial, n); } \
    extern "C" __global__ void gn_bwd_##SFX(const T* gy, const T* x, const S* mean, const S* rstd, const T* w, const T* b, T* dx, \
                                            double* pw, double* pb, int rows, int groups, int cg, int spatial, int silu) { \
        if (silu) gn_bwd<T, S, true>(gy, x, mean, rstd, w, b, dx, pw, pb, rows, groups, cg, spatial); \
        else gn_bwd<T, S, false>(gy, x, mean, rstd, w, b, dx, pw, pb, rows, groups, cg, spatial); } \
    extern "C" __global__ void ln_fwd_##SFX(const T* x, const T* w, const T* b, T* y, S* mean, S* rstd, int rows, int d, \
                                            double eps, int warp) { \
        if (warp) ln_fwd<T, S, true>(x, w, b, y, mean, rstd, rows, d, eps); \
        else ln_fwd<T, S, false>(x, w, b, y, mean, rstd, rows, d, eps); } \
    extern "C" __global__ void ln_bwd_##SFX(const T* gy, const T* x, const S* mean, const S* rstd, const T* w, T* dx, int rows, \
                                            int d, int warp) { \
        if (warp) ln_bwd<T, S, true>(gy, x, mean, rstd, w, dx, rows, d); \
        else ln_bwd<T, S, false>(gy, x, mean, rstd, w, dx, rows, d); } \
    extern "C" __global__ void ln_param_partials_##SFX(const T* gy, const T* x, const S* mean, const S* rstd, double* pw, \
                                                       double* pb, int rows, int d, int rowsPerChunk) { \
        ln_partials<T, T, S>(gy, x, mean, rstd, pw, pb, d, rows, 1, rowsPerChunk); } \
    extern "C" __global__ void param_grad_##SFX(const double* pw, const double* pb, T* dw, T* db, int rows, int cols) { \
        param_grad<T>(pw, pb, dw, db, rows, cols); }

NORM_KERNELS(float, float, f32)
NORM_KERNELS(bf16, float, bf16)
NORM_KERNELS(double, double, f64)
