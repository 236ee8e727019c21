package dev.diffusion4j.engine.cuda;

import java.lang.ref.Reference;
import java.util.concurrent.atomic.AtomicLong;
import dev.diffusion4j.engine.BinaryOp;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.UnaryOp;

/**
 * Batched matrix products through cuBLAS. Row-major operands whose last two dims are either
 * row-contiguous or column-contiguous (a transposed view) are passed as they are, with the
 * transpose flag and leading dimension; the batch dims must collapse to one stride (0 for an
 * expanded operand). Anything else is gathered first. A 2-D right operand shared by every batch
 * folds the batch into the rows when the left rows are evenly spaced: one large product. A Linear layer's bias is
 * added in that product's epilogue (cuBLASLt) when it is one product; otherwise by a pass of its own.
 */
final class CudaLinalg {
    private static volatile boolean fusedBias = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.fusedBias", "true").strip());

    /** Whether later products add a Linear bias in cuBLASLt's epilogue (true) or in a pass of their own (tests run both). */
    static void setFusedBias(boolean on) { fusedBias = on; }

    private static final AtomicLong FUSED_BIAS_PRODUCTS = new AtomicLong();

    /** How many products so far added their bias in the epilogue (tests check that the fused path ran). */
    static long fusedBiasProducts() { return FUSED_BIAS_PRODUCTS.get(); }

    // the bias gradient in the weight gradient's epilogue (BGRADB): off since the fourteenth session. The epilogue keeps
    // cuBLASLt from splitting the long reduction over tokens: DiT-S/2's products took 86-203 us with it against 45-113
    // without on an H100 (GemmVariantsBench), more than the column sums over 16-byte vectors cost, and DiT-S/2 trained
    // 1.7% (B/2 1.0%) faster without it (BENCHMARKS.md); -Ddiffusion4j.cuda.biasGradientEpilogue=true turns it on
    static final boolean BIAS_GRADIENT_EPILOGUE_DEFAULT =
            "true".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.biasGradientEpilogue", "false").strip());
    private static volatile boolean biasGradientEpilogue = BIAS_GRADIENT_EPILOGUE_DEFAULT;

    /** Whether later Linear backwards sum the bias gradient in the weight gradient's product (with fusedBias on). */
    static void setBiasGradientEpilogue(boolean on) { biasGradientEpilogue = on; }

    private static final AtomicLong FUSED_BIAS_GRADIENTS = new AtomicLong();

    // GELU's input gradient in the product's epilogue (DGELU): on an H100 (fourteenth session) DiT-S/2 b256 trained 1.8%
    // and DiT-B/2 3.0% faster with it, and CudaFusedBiasTest and every GPU test passed with it;
    // -Ddiffusion4j.cuda.geluGradientEpilogue=false gives the composed ops
    private static volatile boolean geluGradientEpilogue = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.geluGradientEpilogue", "true").strip());
    private static final AtomicLong FUSED_GELU_GRADIENTS = new AtomicLong();

    /** Whether later GELU-then-Linear backwards take GELU's gradient in the product's epilogue; the previous setting. */
    static boolean setGeluGradientEpilogue(boolean on) {
        boolean before = geluGradientEpilogue;
        geluGradientEpilogue = on;
        return before;
    }

    /** Whether the DGELU epilogue is on (-Ddiffusion4j.cuda.geluGradientEpilogue). */
    static boolean geluGradientEpilogue() { return geluGradientEpilogue; }

    // a training step's GELU in the product that forms its input, which the epilogue writes too (GELU_AUX_BIAS), where a
    // pass of its own read that input back; -Ddiffusion4j.cuda.geluAuxEpilogue=false gives the pass
    private static volatile boolean geluAuxEpilogue = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.geluAuxEpilogue", "true").strip());
    private static final AtomicLong FUSED_GELU_FORWARDS = new AtomicLong();

    /** Whether later linear-then-GELU forwards that keep GELU's input take the GELU_AUX_BIAS epilogue; the previous setting. */
    static boolean setGeluAuxEpilogue(boolean on) {
        boolean before = geluAuxEpilogue;
        geluAuxEpilogue = on;
        return before;
    }

    /** How many linear-then-GELU forwards so far wrote both GELU's input and output from one product. */
    static long fusedGeluForwards() { return FUSED_GELU_FORWARDS.get(); }

    /** How many GELU input gradients so far came from the product's epilogue. */
    static long fusedGeluGradients() { return FUSED_GELU_GRADIENTS.get(); }

    /** How many weight gradients so far summed their bias gradient in the epilogue. */
    static long fusedBiasGradients() { return FUSED_BIAS_GRADIENTS.get(); }

    private final CudaBackend backend;
    private final Cublas cublas;
    private CublasLt lt;   // made on the first fused product (or bf16 product, with the autotune on)

    CudaLinalg(CudaBackend backend, Cublas cublas) {
        this.backend = backend;
        this.cublas = cublas;
    }

    /** How cuBLAS reads the last two dims of t: transposed or not, leading dim, batch stride (elements). */
    private record Operand(Tensor t, boolean trans, int ld, long batchStride) {}

    private Operand operand(Tensor t) {
        Operand o = layout(t);
        if (o != null) return o;
        int r = t.rank(), rows = t.shape(-2), cols = t.shape(-1);
        Tensor c = backend.contiguous(t);
        return new Operand(c, false, Math.max(1, cols), r > 2 ? (long) rows * cols : 0);
    }

    /** How cuBLAS reads t as it lies (see {@link #operand}), or null where it has to be gathered first. */
    private static Operand layout(Tensor t) {
        int r = t.rank();
        int[] s = t.strides(), sh = t.shape();
        long bs = 0;
        boolean batchOk = true;
        int inner = -1; // innermost batch dim of size > 1 seen so far (walking outwards)
        for (int i = r - 3; i >= 0; i--) {
            if (sh[i] == 1) continue;
            if (inner < 0) bs = s[i];
            else if ((long) s[i] != (long) s[inner] * sh[inner]) batchOk = false;
            inner = i;
        }
        int rows = sh[r - 2], cols = sh[r - 1];
        if (batchOk && (s[r - 1] == 1 || cols == 1) && s[r - 2] >= Math.max(1, cols)) return new Operand(t, false, s[r - 2], bs);
        if (batchOk && (s[r - 2] == 1 || rows == 1) && s[r - 1] >= Math.max(1, rows)) return new Operand(t, true, s[r - 1], bs);
        return null;
    }

    Tensor matmul(Tensor a, Tensor b) { return matmul(a, b, 1f); }

    /** alpha * (a @ b), the scaling inside cuBLAS's product (f32 and bf16: alpha is a float there). */
    Tensor matmul(Tensor a, Tensor b, float alpha) { return product(a, b, alpha, null, null); }

    /** activation(x @ wᵀ + bias) for a weight w [n, k], a bias [n] or null and an activation or null. */
    Tensor linear(Tensor x, Tensor w, Tensor bias, UnaryOp activation) { return product(x, w.mT(), 1f, bias, activation); }

    /**
     * activation(alpha * (a @ b) + bias), bias [n] of a's type broadcast over the rows, or null; activation null or an
     * elementwise op. With a bias, cuBLASLt's epilogue adds it, and for bf16 applies a tanh GELU too.
     */
    private Tensor product(Tensor a, Tensor b, float alpha, Tensor bias, UnaryOp activation) {
        CudaKernels.requireCompute(a.dtype(), "matmul");
        Tensor bb = backend.onThisDevice(b, "matmul");
        if (bb.dtype() != a.dtype()) throw new IllegalArgumentException("matmul: dtypes " + a.dtype().id() + " and " + bb.dtype().id() + " differ");
        int m = a.shape(-2), k = a.shape(-1), n = bb.shape(-1);
        int[] outShape = a.shape();
        outShape[outShape.length - 1] = n;
        Tensor out = backend.alloc(outShape, a.dtype());
        if (out.numel() == 0) return out;
        if (k == 0) return finish(backend.full(outShape, a.dtype(), 0), bias, activation);
        int batch = (int) (out.numel() / ((long) m * n));
        Operand A = operand(a), B = operand(bb);
        long bStride = bb.rank() == 2 ? 0 : B.batchStride;
        Cublas.DataType type = switch (a.dtype()) {
            case F32 -> Cublas.DataType.F32;
            case BF16 -> Cublas.DataType.BF16;
            default -> Cublas.DataType.F64;
        };
        long ap = CudaBackend.ptr(A.t).deviceAddress(), bp = CudaBackend.ptr(B.t).deviceAddress();
        long cp = CudaBackend.base(out).deviceAddress();
        Tensor addBias = bias;   // what is left for passes of their own after the product
        UnaryOp apply = activation;
        if (batch == 1 || (bStride == 0 && !A.trans && A.batchStride == (long) m * A.ld)) {
            Tensor bc = bias != null && fusedBias && bias.dtype() == a.dtype() ? stride1(backend.onThisDevice(bias, "linear")) : null;
            // the GELU epilogue for bf16 outputs only, whose rounding is far coarser than any difference in its tanh
            boolean gelu = activation == UnaryOp.GELU_TANH && type == Cublas.DataType.BF16;
            if (bc != null && lt().gemm(A.trans, B.trans, batch * m, n, k, alpha, ap, A.ld, bp, B.ld, cp, n, CudaBackend.ptr(bc).deviceAddress(),
                    type, cublas.allowTf32(), gelu ? CublasLt.Epilogue.GELU_BIAS : CublasLt.Epilogue.BIAS)) {
                addBias = null;
                if (gelu) apply = null;
                FUSED_BIAS_PRODUCTS.incrementAndGet();
            } else if (!(CublasLt.autotune() && type == Cublas.DataType.BF16 && lt().gemm(A.trans, B.trans, batch * m, n, k, alpha, ap, A.ld,
                    bp, B.ld, cp, n, 0, type, false, CublasLt.Epilogue.NONE))) {   // bf16 products take the timed algorithms too
                cublas.gemm(A.trans, B.trans, batch * m, n, k, alpha, ap, type, A.ld, bp, type, B.ld, 0f, cp, type, n);
            }
            Reference.reachabilityFence(bc);
        } else {
            cublas.gemmStridedBatched(A.trans, B.trans, m, n, k, alpha, ap, type, A.ld, A.batchStride, bp, type, B.ld, bStride,
                    0f, cp, type, n, (long) m * n, batch);
        }
        Reference.reachabilityFence(A.t); // cuBLAS took raw addresses: keep the storages until the call is queued
        Reference.reachabilityFence(B.t);
        return finish(out, addBias, apply);
    }

    /**
     * {gyᵀ x, gy's column sums} for bf16 gy [M, n] and x [M, k] with contiguous rows, in one
     * cuBLASLt product whose epilogue writes the sums; null, having queued nothing, where that does not apply.
     */
    Tensor[] linearWeightGradients(Tensor gy, Tensor x) {
        // bf16 only: in f32 under TF32 the epilogue may sum the operand rounded to TF32, where the reduction sums it exactly
        if (!fusedBias || !biasGradientEpilogue || gy.rank() != 2 || x.rank() != 2 || gy.dtype() != DType.BF16 || x.dtype() != DType.BF16
                || gy.shape(0) != x.shape(0) || gy.shape(0) == 0 || gy.shape(1) == 0 || x.shape(1) == 0 || !rowsContiguous(gy) || !rowsContiguous(x)) return null;
        int rows = gy.shape(0), n = gy.shape(1), k = x.shape(1);
        Tensor gw = backend.alloc(new int[] {n, k}, gy.dtype()), gb = backend.alloc(new int[] {n}, gy.dtype());
        boolean done = lt().gemm(true, false, n, k, rows, 1f, CudaBackend.ptr(gy).deviceAddress(), n, CudaBackend.ptr(x).deviceAddress(), k,
                CudaBackend.base(gw).deviceAddress(), k, CudaBackend.base(gb).deviceAddress(), Cublas.DataType.BF16, false, CublasLt.Epilogue.BIAS_GRADIENT);
        Reference.reachabilityFence(gy);
        Reference.reachabilityFence(x);
        if (!done) return null;
        FUSED_BIAS_GRADIENTS.incrementAndGet();
        return new Tensor[] {gw, gb};
    }

    /**
     * (gy w) * GELU'(h) (tanh approximation) for bf16 gy [M, n], w [n, k] and h [M, k] with contiguous rows, in one
     * cuBLASLt product whose epilogue applies the derivative; null, having queued nothing, where that does not apply.
     * The caller checks the switch ({@link CudaBackend#fusesActivationGradient}).
     */
    Tensor geluInputGradient(Tensor gy, Tensor w, Tensor h) {
        if (gy.rank() != 2 || w.rank() != 2 || h.rank() != 2 || gy.dtype() != DType.BF16 || w.dtype() != DType.BF16
                || h.dtype() != DType.BF16 || gy.shape(0) != h.shape(0) || gy.shape(1) != w.shape(0) || w.shape(1) != h.shape(1)
                || gy.shape(0) == 0 || gy.shape(1) == 0 || h.shape(1) % 8 != 0 || !rowsContiguous(gy) || !rowsContiguous(w) || !rowsContiguous(h)
                || CudaBackend.ptr(h).deviceAddress() % 16 != 0) return null;   // the aux matrix: ld a multiple of 8, 16-byte aligned
        int rows = gy.shape(0), n = gy.shape(1), k = h.shape(1);
        Tensor dh = backend.alloc(new int[] {rows, k}, DType.BF16);
        boolean done = lt().gemm(false, false, rows, k, n, 1f, CudaBackend.ptr(gy).deviceAddress(), n, CudaBackend.ptr(w).deviceAddress(), k,
                CudaBackend.base(dh).deviceAddress(), k, 0, CudaBackend.ptr(h).deviceAddress(), Cublas.DataType.BF16, false, CublasLt.Epilogue.GELU_GRADIENT);
        Reference.reachabilityFence(gy);
        Reference.reachabilityFence(w);
        Reference.reachabilityFence(h);
        if (!done) {
            backend.releaseNow(dh);
            return null;
        }
        FUSED_GELU_GRADIENTS.incrementAndGet();
        return dh;
    }

    /**
     * {x wᵀ + bias, GELU(x wᵀ + bias)} (tanh approximation) for bf16 x [..., k] of evenly spaced rows, w [n, k] and bias
     * [n], from one cuBLASLt product whose epilogue writes the GELU's input as its aux matrix; null, having queued
     * nothing, where that does not apply (the caller then takes the two ops). The GELU is applied to the f32 sum before
     * its rounding to bf16, as the sampling path's GELU_BIAS epilogue does.
     */
    Tensor[] linearKeepingGeluInput(Tensor x, Tensor w, Tensor bias, UnaryOp activation) {
        if (!geluAuxEpilogue || !fusedBias || activation != UnaryOp.GELU_TANH || bias == null || x.dtype() != DType.BF16 || w.dtype() != DType.BF16
                || bias.dtype() != DType.BF16 || x.rank() < 2 || w.rank() != 2 || x.shape(-1) != w.shape(1) || bias.rank() != 1 || bias.shape(0) != w.shape(0)
                || w.shape(0) % 8 != 0 || x.numel() == 0 || x.numel() / w.shape(1) > Integer.MAX_VALUE || !rowsContiguous(w))
            return null;   // the aux matrix: ld a multiple of 8
        // x's rows as one matrix where they lie evenly spaced (contiguous, or padded as OnesColumns writes them)
        Operand rowsOfX = layout(x);
        long matrices = x.numel() / ((long) x.shape(-2) * x.shape(-1));
        if (rowsOfX == null || rowsOfX.trans || (matrices > 1 && rowsOfX.batchStride != (long) x.shape(-2) * rowsOfX.ld)) return null;
        int k = w.shape(1), n = w.shape(0), rows = (int) (x.numel() / k), ldx = rowsOfX.ld;
        int[] shape = x.shape();
        shape[shape.length - 1] = n;
        Tensor pre = backend.alloc(shape, DType.BF16), act = backend.alloc(shape, DType.BF16), bc = stride1(backend.onThisDevice(bias, "linear"));
        boolean done = lt().gemm(false, true, rows, n, k, 1f, CudaBackend.ptr(x).deviceAddress(), ldx, CudaBackend.ptr(w).deviceAddress(), k,
                CudaBackend.base(act).deviceAddress(), n, CudaBackend.ptr(bc).deviceAddress(), CudaBackend.base(pre).deviceAddress(),
                Cublas.DataType.BF16, false, CublasLt.Epilogue.GELU_AUX_BIAS);
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(w);
        Reference.reachabilityFence(bc);
        if (!done) {
            backend.releaseNow(pre);
            backend.releaseNow(act);
            return null;
        }
        FUSED_GELU_FORWARDS.incrementAndGet();
        return new Tensor[] {pre, act};
    }

    private static boolean rowsContiguous(Tensor t) { return t.strides()[1] == 1 && t.strides()[0] == t.shape(1); }

    /**
     * {gyᵀ x, gy's column sums} for bf16 gy [M, n] and x [M, k] whose rows were written with the ones column after them
     * ({@link OnesColumns#hasOnes}): one product gyᵀ [x, 1, 0...] of k + 8 columns, the last eight the sums and seven
     * zeros, then split into the two (copies of n x k and n elements, where the column sums read all of gy); null,
     * having queued nothing, where the operands do not fit.
     */
    Tensor[] linearWeightGradientsOverOnes(Tensor gy, Tensor x) {
        if (gy.rank() != 2 || x.rank() != 2 || gy.dtype() != DType.BF16 || x.dtype() != DType.BF16 || gy.shape(0) != x.shape(0)) return null;
        int rows = gy.shape(0), k = x.shape(1), wide = k + OnesColumns.COLUMNS;
        Tensor x1 = new Tensor(x.storage(), new int[] {rows, wide}, new int[] {x.strides()[0], 1}, x.offset());
        Tensor g = matmul(gy.mT(), x1);
        Tensor gw = backend.contiguous(g.slice(1, 0, k)), gb = backend.contiguous(g.select(1, k));
        if (gw.storage() != g.storage() && gb.storage() != g.storage()) backend.releaseNow(g);   // both copies (one output row is already dense)
        return new Tensor[] {gw, gb};
    }

    /** out + bias, then the activation, by passes of their own (either may be null). */
    private Tensor finish(Tensor out, Tensor bias, UnaryOp activation) {
        Tensor y = bias == null ? out : backend.binary(BinaryOp.ADD, out, bias);
        return activation == null ? y : backend.unary(activation, y, 0, 0);
    }

    private Tensor stride1(Tensor v) { return v.isContiguous() ? v : backend.contiguous(v); }

    private synchronized CublasLt lt() {
        if (lt == null) lt = new CublasLt(backend.context(), cublas.workspaceAddress(), Cublas.WORKSPACE_BYTES);
        return lt;
    }

}
