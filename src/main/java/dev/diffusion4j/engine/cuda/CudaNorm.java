package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.BinaryOp;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.ReduceOp;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fused group norm (+SiLU) and layer norm (norm.cu). Statistics are kept in f32 for f32 and bf16
 * inputs (bf16 statistics would cost the backward its accuracy) and in f64 for f64; they are only
 * ever passed back to this class's backward. Affine gradients come from double partials (per
 * (n, channel) for group norm, per row chunk and column for layer norm) summed by param_grad.
 */
final class CudaNorm {
    private static final int WARP_ROW_LIMIT = 1024;
    /**
     * Group norm's forward as statistics then an elementwise map (norm.cu's gn_stats and gn_apply) rather than one
     * block per row doing both (gn_fwd), and its backward as per-plane sums, per-row terms and an elementwise map
     * (gn_bwd_planes, gn_bwd_rows, gn_bwd_apply) rather than gn_bwd; {@code -Ddiffusion4j.cuda.groupNormSplit=false}
     * takes the one-kernel forms.
     */
    private static volatile boolean splitKernels = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.groupNormSplit", "true").strip());

    /** Sets the forward's and backward's form for later calls (tests run both). */
    static void setSplitKernels(boolean on) { splitKernels = on; }

    // adaLN's modulated layer norm forward with each warp's row held in registers and read with 4-element loads
    // (ln_mod_fwd_vec): DiT-S/2's sampling 5% faster than with ln_mod_fwd in two rounds on an H200 (BENCHMARKS.md,
    // ninth session); -Ddiffusion4j.cuda.lnModVector=false takes ln_mod_fwd
    static final boolean VECTOR_ROWS_DEFAULT = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.lnModVector", "true").strip());
    private static volatile boolean vectorRows = VECTOR_ROWS_DEFAULT;

    /** Sets whether later modulated layer norms whose rows fit take ln_mod_fwd_vec (tests run both). */
    static void setVectorRows(boolean on) { vectorRows = on; }

    // its backward likewise (ln_mod_bwd_vec): dx and the per-chunk sums for dshift and dscale from one read of gy and x;
    // -Ddiffusion4j.cuda.lnModBackwardVector=false takes ln_mod_bwd and ln_mod_partials
    private static final int MAX_GRID_Y = 65535;   // ln_mod_bwd_vec's samples go along grid y
    static final boolean VECTOR_BACKWARD_DEFAULT = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.lnModBackwardVector", "true").strip());
    private static volatile boolean vectorBackward = VECTOR_BACKWARD_DEFAULT;

    /** Sets whether later modulated layer norm backwards whose rows fit take ln_mod_bwd_vec (tests run both). */
    static void setVectorBackward(boolean on) { vectorBackward = on; }

    private static final AtomicLong VECTOR_BACKWARDS = new AtomicLong();

    /** How many backwards so far took ln_mod_bwd_vec (tests check that it ran). */
    static long vectorBackwards() { return VECTOR_BACKWARDS.get(); }

    private static final AtomicLong VECTOR_ROW_LAUNCHES = new AtomicLong();

    // a modulated norm's bf16 output that a gradient will flow through is written with a one (and seven zeros) after
    // each row (OnesColumns), so that the Linear layer reading it (DiT's qkv, fc1 and final layer) takes its bias
    // gradient from the weight gradient's product instead of a column sum of its output gradient: on an H100 DiT-S/2
    // trained 2.8% and DiT-B/2 1.9% faster (BENCHMARKS.md, twenty-first session). Rows that ln_mod_fwd_vec takes (up to
    // 1024) and of a multiple of 8; -Ddiffusion4j.cuda.onesColumn=false writes them dense
    static final boolean ONES_COLUMN_DEFAULT = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.onesColumn", "true").strip());
    private static volatile boolean onesColumn = ONES_COLUMN_DEFAULT;

    /** Sets whether later modulated norms in training write the ones column (tests run both); the previous setting. */
    static boolean setOnesColumn(boolean on) {
        boolean before = onesColumn;
        onesColumn = on;
        return before;
    }

    /** How many forwards so far took ln_mod_fwd_vec (tests check that it ran). */
    static long vectorRowLaunches() { return VECTOR_ROW_LAUNCHES.get(); }

    private final CudaBackend backend;
    private final CudaKernels kernels;

    CudaNorm(CudaBackend backend, CudaKernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
    }

    private static DType statType(DType t) { return t == DType.F64 ? DType.F64 : DType.F32; }

    private static Object ptr(Tensor t) { return t == null ? (Object) 0L : CudaBackend.ptr(t); }

    private Tensor param(Tensor p, DType dtype, String what) {
        if (p == null) return null;
        Tensor c = backend.onThisDevice(p, what);
        if (c.dtype() != dtype) throw new IllegalArgumentException(what + " is " + c.dtype().id() + " but the input is " + dtype.id());
        return backend.contiguous(c);
    }

    private Tensor input(Tensor x, String op) {
        CudaKernels.requireCompute(x.dtype(), op);
        Tensor c = backend.onThisDevice(x, op);
        return c.isContiguous() ? c : backend.contiguous(c);
    }

    private static int spatial(int[] shape) {
        int s = 1;
        for (int i = 2; i < shape.length; i++) s *= shape[i];
        return s;
    }

    /** The channels (dim 1, or the last dim channels-last) split into groups; else a message naming the shape. */
    private static void requireGroups(int[] shape, int groups, boolean channelsLast) {
        if (shape.length < 2 || groups <= 0 || shape[channelsLast ? shape.length - 1 : 1] % groups != 0)
            throw new IllegalArgumentException("groupNorm" + (channelsLast ? " channels-last" : "") + ": shape " + Arrays.toString(shape)
                    + " does not split into " + groups + " groups");
    }

    Tensor[] groupNormForward(Tensor x, int groups, Tensor weight, Tensor bias, double eps, boolean silu) {
        Tensor xc = input(x, "groupNorm");
        int[] shape = xc.shape();
        requireGroups(shape, groups, false);
        Tensor w = param(weight, xc.dtype(), "groupNorm weight"), b = param(bias, xc.dtype(), "groupNorm bias");
        int rows = shape[0] * groups, cg = shape[1] / groups;
        Tensor y = backend.alloc(shape, xc.dtype());
        Tensor mean = backend.alloc(new int[] {shape[0], groups}, statType(xc.dtype())), rstd = backend.alloc(new int[] {shape[0], groups}, statType(xc.dtype()));
        String sfx = CudaKernels.suffix(xc.dtype());
        if (splitKernels) {
            kernels.launchBlocks(kernels.get("norm", "gn_stats_" + sfx), rows, ptr(xc), ptr(mean), ptr(rstd), rows, cg * spatial(shape), eps);
            kernels.launch(kernels.get("norm", "gn_apply_" + sfx), xc.numel(), ptr(xc), ptr(w), ptr(b), ptr(y), ptr(mean), ptr(rstd),
                    shape[1], cg, spatial(shape), (int) xc.numel(), silu ? 1 : 0);
        } else {
            kernels.launchBlocks(kernels.get("norm", "gn_fwd_" + sfx), rows,
                    ptr(xc), ptr(w), ptr(b), ptr(y), ptr(mean), ptr(rstd), rows, groups, cg, spatial(shape), eps, silu ? 1 : 0);
        }
        return new Tensor[] {y, mean, rstd};
    }

    Tensor[] groupNormBackward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor weight, Tensor bias, int groups, boolean silu) {
        Tensor xc = input(x, "groupNorm backward"), g = input(gy, "groupNorm backward");
        int[] shape = xc.shape();
        requireGroups(shape, groups, false);
        Tensor w = param(weight, xc.dtype(), "groupNorm weight"), b = param(bias, xc.dtype(), "groupNorm bias");
        Tensor mu = stats(mean, xc.dtype()), rs = stats(rstd, xc.dtype());
        int n = shape[0], c = shape[1], rows = n * groups, cg = c / groups;
        Tensor dx = backend.alloc(shape, xc.dtype());
        String sfx = CudaKernels.suffix(xc.dtype());
        try (DeviceBuffer pw = backend.scratch(8L * n * c); DeviceBuffer pb = backend.scratch(8L * n * c)) {
            int sp = spatial(shape);
            if (splitKernels) {
                try (DeviceBuffer m1 = backend.scratch(8L * rows); DeviceBuffer m2 = backend.scratch(8L * rows)) {
                    kernels.launchBlocks(kernels.get("norm", "gn_bwd_planes_" + sfx), (n * c + 7L) / 8, ptr(g), ptr(xc), ptr(mu), ptr(rs),
                            ptr(w), ptr(b), pw.address(), pb.address(), c, cg, sp, n * c, silu ? 1 : 0);
                    kernels.launch(kernels.get("norm", "gn_bwd_rows_" + sfx), rows, ptr(w), pw.address(), pb.address(), m1.address(),
                            m2.address(), rows, c, cg, sp, 1);
                    kernels.launch(kernels.get("norm", "gn_bwd_apply_" + sfx), xc.numel(), ptr(g), ptr(xc), ptr(mu), ptr(rs), ptr(w), ptr(b),
                            m1.address(), m2.address(), ptr(dx), c, cg, sp, (int) xc.numel(), silu ? 1 : 0);
                }
            } else {
                kernels.launchBlocks(kernels.get("norm", "gn_bwd_" + sfx), rows, ptr(g), ptr(xc), ptr(mu), ptr(rs), ptr(w), ptr(b), ptr(dx),
                        pw.address(), pb.address(), rows, groups, cg, sp, silu ? 1 : 0);
            }
            Tensor[] pg = paramGrads(pw, pb, n, c, weight, bias, xc.dtype(), sfx);
            return new Tensor[] {dx, pg[0], pg[1]};
        }
    }

    // ---- group norm on channels-last x [N, *, C] (norm.cu's *_cl kernels): column sums, per-row terms, elementwise maps

    /** The pixels of a channels-last shape [N, *, C]. */
    private static int pixels(int[] shape) {
        int s = 1;
        for (int i = 1; i < shape.length - 1; i++) s *= shape[i];
        return s;
    }

    /** The per-sample channel term [N, C] of a channels-last group norm, contiguous in x's dtype; null for none. */
    private Tensor shift(Tensor shift, Tensor x) {
        if (shift == null) return null;
        int[] s = x.shape();
        if (!Arrays.equals(shift.shape(), new int[] {s[0], s[s.length - 1]}))
            throw new IllegalArgumentException("groupNorm channels-last: the shift must be [N, C] for x " + Arrays.toString(s) + ", got "
                    + Arrays.toString(shift.shape()));
        return param(shift, x.dtype(), "groupNorm shift");
    }

    /** Threads for a channels-last map: one per 16-byte vector (the maps' scalar fallback loops over the rest). */
    private static long vectors(Tensor x) { return Math.max(1, x.numel() * x.dtype().byteSize() / 16); }

    Tensor[] groupNormChannelsLastForward(Tensor x, Tensor shift, int groups, Tensor weight, Tensor bias, double eps, boolean silu) {
        Tensor xc = input(x, "groupNorm");
        int[] shape = xc.shape();
        requireGroups(shape, groups, true);
        Tensor w = param(weight, xc.dtype(), "groupNorm weight"), b = param(bias, xc.dtype(), "groupNorm bias");
        Tensor sh = shift(shift, xc);
        int n = shape[0], c = shape[shape.length - 1], l = pixels(shape), rows = n * groups, cg = c / groups;
        DType st = statType(xc.dtype());
        Tensor y = backend.alloc(shape, xc.dtype());
        Tensor mean = backend.alloc(new int[] {n, groups}, st), rstd = backend.alloc(new int[] {n, groups}, st);
        if (xc.numel() == 0) return new Tensor[] {y, mean, rstd};
        String sfx = CudaKernels.suffix(xc.dtype());
        int colBlocks = (c + 31) / 32, perChunk = rowsPerChunk(l, colBlocks * n), chunks = CudaKernels.chunks(l, perChunk);
        // ab: each (sample, channel)'s map y = A x + B, so the elementwise pass has no per-element group arithmetic
        try (DeviceBuffer s1 = backend.scratch(8L * chunks * n * c); DeviceBuffer s2 = backend.scratch(8L * chunks * n * c);
             DeviceBuffer ab = backend.scratch(2L * st.byteSize() * n * c)) {
            kernels.get("norm", "gn_cols_stats_cl_" + sfx).launch(Dim3.of(colBlocks * n, chunks), Dim3.of(CudaKernels.BLOCK), 0,
                    ptr(xc), s1.address(), s2.address(), l, c, perChunk);
            kernels.launch(kernels.get("norm", "gn_stats_cl_" + sfx), rows, ptr(xc), s1.address(), s2.address(), ptr(mean), ptr(rstd),
                    ptr(sh), ptr(w), ptr(b), ab.address(), rows, l, c, cg, chunks, eps);
            kernels.launch(kernels.get("norm", "gn_apply_cl_" + sfx), vectors(xc), ptr(xc), ab.address(), ptr(y), c, l * c,
                    (int) xc.numel(), silu ? 1 : 0);
        }
        return new Tensor[] {y, mean, rstd};
    }

    Tensor[] groupNormChannelsLastBackward(Tensor gy, Tensor x, Tensor shift, Tensor mean, Tensor rstd, Tensor weight, Tensor bias, int groups,
                                           boolean silu) {
        Tensor xc = input(x, "groupNorm backward"), g = input(gy, "groupNorm backward");
        int[] shape = xc.shape();
        requireGroups(shape, groups, true);
        Tensor w = param(weight, xc.dtype(), "groupNorm weight"), b = param(bias, xc.dtype(), "groupNorm bias");
        Tensor sh = shift(shift, xc);
        Tensor mu = stats(mean, xc.dtype()), rs = stats(rstd, xc.dtype());
        int n = shape[0], c = shape[shape.length - 1], l = pixels(shape), rows = n * groups, cg = c / groups;
        Tensor dx = backend.alloc(shape, xc.dtype());
        String sfx = CudaKernels.suffix(xc.dtype());
        int colBlocks = (c + 31) / 32, perChunk = rowsPerChunk(l, colBlocks * n), chunks = CudaKernels.chunks(l, perChunk);
        try (DeviceBuffer pw = backend.scratch(8L * chunks * n * c); DeviceBuffer pb = backend.scratch(8L * chunks * n * c);
             DeviceBuffer m1 = backend.scratch(8L * rows); DeviceBuffer m2 = backend.scratch(8L * rows)) {
            if (xc.numel() > 0) {
                kernels.get("norm", "gn_bwd_cols_cl_" + sfx).launch(Dim3.of(colBlocks * n, chunks), Dim3.of(CudaKernels.BLOCK), 0,
                        ptr(g), ptr(xc), ptr(sh), ptr(mu), ptr(rs), ptr(w), ptr(b), pw.address(), pb.address(), l, c, cg, perChunk, silu ? 1 : 0);
                kernels.launch(kernels.get("norm", "gn_bwd_rows_" + sfx), rows, ptr(w), pw.address(), pb.address(), m1.address(),
                        m2.address(), rows, c, cg, l, chunks);
                try (DeviceBuffer coef = backend.scratch(4L * mu.dtype().byteSize() * n * c)) {   // dx = A gz + E x + F per (n, channel)
                    kernels.launch(kernels.get("norm", "gn_bwd_coef_cl_" + sfx), (long) n * c, ptr(mu), ptr(rs), ptr(sh), ptr(w), ptr(b),
                            m1.address(), m2.address(), coef.address(), n * c, c, cg);
                    kernels.launch(kernels.get("norm", "gn_bwd_apply_cl_" + sfx), vectors(xc), ptr(g), ptr(xc), coef.address(), ptr(dx),
                            c, l * c, (int) xc.numel(), silu ? 1 : 0);
                }
            } else {
                backend.context().fill32(pw.address(), 0, 2L * chunks * n * c);
                backend.context().fill32(pb.address(), 0, 2L * chunks * n * c);
            }
            // the partials [chunks][N][C] are chunks * N rows of C columns: param_grad sums them all
            Tensor[] pg = paramGrads(pw, pb, chunks * n, c, weight, bias, xc.dtype(), sfx);
            return new Tensor[] {dx, pg[0], pg[1]};
        }
    }

    Tensor[] layerNormForward(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        Tensor xc = input(x, "layerNorm");
        int[] shape = xc.shape();
        int d = cols(shape, normalizedDims), rows = d == 0 ? 0 : (int) (xc.numel() / d);
        Tensor w = param(weight, xc.dtype(), "layerNorm weight"), b = param(bias, xc.dtype(), "layerNorm bias");
        int[] statShape = Arrays.copyOf(shape, shape.length - normalizedDims);
        Tensor y = backend.alloc(shape, xc.dtype());
        Tensor mean = backend.alloc(statShape, statType(xc.dtype())), rstd = backend.alloc(statShape, statType(xc.dtype()));
        boolean warp = d <= WARP_ROW_LIMIT;
        kernels.launchBlocks(kernels.get("norm", "ln_fwd_" + CudaKernels.suffix(xc.dtype())), warp ? (rows + 7) / 8 : rows,
                ptr(xc), ptr(w), ptr(b), ptr(y), ptr(mean), ptr(rstd), rows, d, eps, warp ? 1 : 0);
        return new Tensor[] {y, mean, rstd};
    }

    Tensor[] layerNormBackward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor weight, Tensor bias, int normalizedDims) {
        Tensor xc = input(x, "layerNorm backward"), g = input(gy, "layerNorm backward");
        int[] shape = xc.shape();
        int d = cols(shape, normalizedDims), rows = d == 0 ? 0 : (int) (xc.numel() / d);
        Tensor w = param(weight, xc.dtype(), "layerNorm weight");
        Tensor mu = stats(mean, xc.dtype()), rs = stats(rstd, xc.dtype());
        Tensor dx = backend.alloc(shape, xc.dtype());
        String sfx = CudaKernels.suffix(xc.dtype());
        boolean warp = d <= WARP_ROW_LIMIT;
        kernels.launchBlocks(kernels.get("norm", "ln_bwd_" + sfx), warp ? (rows + 7) / 8 : rows,
                ptr(g), ptr(xc), ptr(mu), ptr(rs), ptr(w), ptr(dx), rows, d, warp ? 1 : 0);
        if (weight == null && bias == null) return new Tensor[] {dx, null, null};
        int colBlocks = (d + CudaKernels.BLOCK - 1) / CudaKernels.BLOCK, perChunk = rowsPerChunk(rows, colBlocks), chunks = CudaKernels.chunks(rows, perChunk);
        try (DeviceBuffer pw = backend.scratch(8L * chunks * d); DeviceBuffer pb = backend.scratch(8L * chunks * d)) {
            if (rows > 0 && d > 0) kernels.get("norm", "ln_param_partials_" + sfx).launch(Dim3.of(colBlocks, chunks), Dim3.of(CudaKernels.BLOCK), 0,
                    ptr(g), ptr(xc), ptr(mu), ptr(rs), pw.address(), pb.address(), rows, d, perChunk);
            else { backend.context().fill32(pw.address(), 0, 2L * chunks * d); backend.context().fill32(pb.address(), 0, 2L * chunks * d); }
            Tensor[] pg = paramGrads(pw, pb, chunks, d, weight, bias, xc.dtype(), sfx);
            // the affine params have the normalised dims' shape
            return new Tensor[] {dx, pg[0] == null ? null : pg[0].reshape(weight.shape()), pg[1] == null ? null : pg[1].reshape(bias.shape())};
        }
    }

    /** Whether ln_mod_* is compiled for tokens of type x and modulation and output of type out. */
    static boolean modulates(DType x, DType out) {
        return x == out ? x == DType.F32 || x == DType.BF16 || x == DType.F64 : x == DType.F32 && out == DType.BF16;
    }

    private static String modSuffix(DType x, DType out) { return CudaKernels.suffix(x) + "_" + CudaKernels.suffix(out); }

    /** shift, scale or gate [B, C] read in place when its columns are adjacent (a chunk of adaLN's output), else copied. */
    private Tensor rows(Tensor p, String what) {
        Tensor c = backend.onThisDevice(p, what);
        return c.strides()[1] == 1 || c.shape(1) == 1 ? c : backend.contiguous(c);
    }

    private static long rowStride(Tensor p) { return p.shape(0) == 1 ? 0 : p.strides()[0]; }

    /** norm(x) * (1 + scale) + shift in one pass (see Backend#layerNormModulate); out must satisfy {@link #modulates}. */
    Tensor[] layerNormModulate(Tensor x, Tensor shift, Tensor scale, double eps, DType out) {
        Tensor xc = input(x, "layerNormModulate"), h = rows(shift, "layerNormModulate shift"), sc = rows(scale, "layerNormModulate scale");
        int[] shape = xc.shape();
        int d = shape[2], rows = shape[0] * shape[1];
        Tensor mean = tokenStat(shape, xc.dtype()), rstd = tokenStat(shape, xc.dtype());
        boolean warp = d <= WARP_ROW_LIMIT;
        if (rows == 0 || d == 0) return new Tensor[] {backend.alloc(shape, out), mean, rstd};
        Tensor y;
        if (vectorRows && vectorRowsFit(d, xc, h, sc)) {
            y = vectorOutput(shape, out, x, shift, scale);   // the allocator's blocks are aligned
            kernels.launchBlocks(kernels.get("norm", "ln_mod_fwd_vec" + slots(d) + "_" + modSuffix(xc.dtype(), out)), (rows + 7) / 8,
                    ptr(xc), ptr(h), ptr(sc), ptr(y), ptr(mean), ptr(rstd), rows, d, shape[1], rowStride(h), rowStride(sc), eps, (long) y.strides()[1]);
            noteOnes(y);
            VECTOR_ROW_LAUNCHES.incrementAndGet();
        } else {
            y = backend.alloc(shape, out);
            kernels.launchBlocks(kernels.get("norm", "ln_mod_fwd_" + modSuffix(xc.dtype(), out)), warp ? (rows + 7) / 8 : rows,
                    ptr(xc), ptr(h), ptr(sc), ptr(y), ptr(mean), ptr(rstd), rows, d, shape[1], rowStride(h), rowStride(sc), eps, warp ? 1 : 0);
        }
        return new Tensor[] {y, mean, rstd};
    }

    /**
     * The output [B, L, d] of a forward on ln_mod_fwd_vec's kernels, which write the ones column after each row when
     * the rows are spaced for it (their last argument, the row stride, above d): spaced so (OnesColumns.paddedRows)
     * where it is bf16 with rows of a multiple of 8 and a gradient will flow through it, else dense.
     */
    private Tensor vectorOutput(int[] shape, DType out, Tensor... inputs) {
        boolean pad = onesColumn && out == DType.BF16 && shape[2] % 8 == 0 && GradMode.isEnabled();
        if (pad) {
            pad = false;
            for (Tensor t : inputs) pad |= t.requiresGrad();
        }
        return pad ? OnesColumns.paddedRows(backend, shape, out) : backend.alloc(shape, out);
    }

    /** Notes y's ones column once the kernel that writes it is queued (where vectorOutput spaced its rows for one). */
    private void noteOnes(Tensor y) {
        if (y.strides()[1] == y.shape(2)) return;
        backend.onesColumns().note(y);
        ONES_COLUMN_OUTPUTS.incrementAndGet();
    }

    private static final AtomicLong ONES_COLUMN_OUTPUTS = new AtomicLong();

    /** How many modulated norms so far wrote their output with the ones column (tests check that it ran). */
    static long onesColumnOutputs() { return ONES_COLUMN_OUTPUTS.get(); }

    /** A per-token statistic [B, L] of tokens [B, L, d] of type x (mean or rstd). */
    private Tensor tokenStat(int[] shape, DType x) { return backend.alloc(new int[] {shape[0], shape[1]}, statType(x)); }

    /** Rows of d <= 1024 elements, d % 4 == 0, every pointer and the row strides of the [B, d] rows 4-element aligned. */
    private static boolean vectorRowsFit(int d, Tensor... ts) {
        if (d > 32 * 4 * 8 || d % 4 != 0) return false;
        for (Tensor t : ts)
            if (CudaBackend.ptr(t).deviceAddress() % (4L * t.dtype().byteSize()) != 0 || (t.rank() == 2 && rowStride(t) % 4 != 0)) return false;
        return true;
    }

    private static final AtomicLong GATED_NORM_LAUNCHES = new AtomicLong();

    /** How many gated residuals so far were added and normalised in one pass (tests check that it ran). */
    static long gatedNormLaunches() { return GATED_NORM_LAUNCHES.get(); }

    /**
     * {x + gate * branch, its modulated norm, mean, rstd} in one pass (gated_ln_mod_fwd_vec) for contiguous x and branch
     * [B, L, d] whose rows fit ln_mod_fwd_vec, gate, shift and scale [B, d] (read in place where their columns are
     * adjacent), x f32 or bf16 and gate, branch, shift and scale of type out; null, having queued nothing, otherwise.
     */
    Tensor[] gatedLayerNormModulate(Tensor x, Tensor gate, Tensor branch, Tensor shift, Tensor scale, double eps, DType out) {
        // not f64: there NVRTC's contracted x + g * b would round once where the unfused mul and add kernels round twice
        if (!vectorRows || x.dtype() == DType.F64 || !modulates(x.dtype(), out) || gate.dtype() != out || branch.dtype() != out || !x.isContiguous() || !branch.isContiguous()
                || !java.util.Arrays.equals(x.shape(), branch.shape()) || x.numel() == 0) return null;
        Tensor g = rows(gate, "gatedResidual gate"), br = backend.onThisDevice(branch, "gatedResidual");
        Tensor h = rows(shift, "layerNormModulate shift"), sc = rows(scale, "layerNormModulate scale");
        int[] shape = x.shape();
        int d = shape[2], rows = shape[0] * shape[1];
        if (!vectorRowsFit(d, x, br, g, h, sc)) return null;
        Tensor sum = backend.alloc(shape, x.dtype()), y = vectorOutput(shape, out, x, gate, branch, shift, scale);   // the allocator's blocks are aligned
        Tensor mean = tokenStat(shape, x.dtype()), rstd = tokenStat(shape, x.dtype());
        kernels.launchBlocks(kernels.get("norm", "gated_ln_mod_fwd_vec" + slots(d) + "_" + modSuffix(x.dtype(), out)), (rows + 7) / 8,
                ptr(x), ptr(g), ptr(br), ptr(sum), rowStride(g), ptr(h), ptr(sc), ptr(y), ptr(mean), ptr(rstd), rows, d, shape[1], rowStride(h),
                rowStride(sc), eps, (long) y.strides()[1]);
        noteOnes(y);
        GATED_NORM_LAUNCHES.incrementAndGet();
        return new Tensor[] {sum, y, mean, rstd};
    }

    /**
     * {dx (plus addend, x's gradient from its other uses, where not null), dshift, dscale} of {@link #layerNormModulate}:
     * dx in one pass, dshift and dscale from double partials per sample. The one-pass kernel adds a dense addend of x's
     * type as it writes dx; elsewhere it is added after.
     */
    Tensor[] layerNormModulateBackward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor scale, Tensor addend) {
        return backward(gy, x, mean, rstd, scale, addend, null, null);
    }

    /**
     * {ds, dshift, dscale, dgate, dbranch} of the modulated norm of the gated residual s = x + gate * branch whose only
     * other gradient is addend (see Backend#gatedLayerNormModulateBackward), in one pass (ln_mod_bwd_gated_vec) that does
     * the residual's backward where it writes ds, with the roundings of binary.cu's gated_add_bwd; null where that kernel
     * does not take them all (then the norm's and the residual's backwards run one after the other).
     * Off with -Ddiffusion4j.cuda.gatedNormBackward=false.
     */
    Tensor[] gatedLayerNormModulateBackward(Tensor gy, Tensor s, Tensor mean, Tensor rstd, Tensor scale, Tensor addend, Tensor gate, Tensor branch) {
        DType out = scale.dtype();
        if (!GATED_NORM_BACKWARD || !modulates(s.dtype(), out) || gate.dtype() != out || branch.dtype() != out || !branch.isContiguous()
                || s.rank() != 3 || !java.util.Arrays.equals(s.shape(), branch.shape())) return null;
        return backward(gy, s, mean, rstd, scale, addend, gate, branch);
    }

    /**
     * The modulated norm's backward: {dx, dshift, dscale}, or with gate and branch (x then being the gated residual's sum)
     * {dx, dshift, dscale, dgate, dbranch} from the one-pass kernel, or null where it does not take them.
     */
    private Tensor[] backward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor scale, Tensor addend, Tensor gate, Tensor branch) {
        Tensor xc = input(x, "layerNormModulate backward"), sc = rows(scale, "layerNormModulate scale");
        DType out = sc.dtype();
        boolean gated = gate != null;
        Tensor gt = gated ? rows(gate, "gatedResidual gate") : null, br = gated ? backend.onThisDevice(branch, "gatedResidual backward") : null;
        int[] shape = xc.shape();
        int b = shape[0], l = shape[1], d = shape[2], rows = b * l;
        boolean fold = foldable(addend, xc);
        boolean onePass = vectorBackward && xc.dtype() != DType.F64 && rows > 0 && d > 0 && b <= MAX_GRID_Y && vectorRowsFit(d, xc, sc)
                && (!gated || (addend == null || fold) && vectorRowsFit(d, gt, br));
        if (gated && !onePass) return null;
        Tensor g = input(gy.dtype() == out ? gy : backend.cast(gy, out), "layerNormModulate backward");
        if (onePass && !vectorRowsFit(d, g)) {   // gy a misaligned view of the right type
            if (gated) return null;
            onePass = false;
        }
        Tensor mu = stats(mean, xc.dtype()), rs = stats(rstd, xc.dtype());
        Tensor dx = backend.alloc(shape, xc.dtype());   // the allocator's blocks are aligned
        String sfx = modSuffix(xc.dtype(), out);
        if (onePass) {
            Tensor[] r = backwardInOnePass(g, xc, mu, rs, sc, dx, fold ? addend : null, gt, br, gated ? backend.alloc(shape, out) : null, sfx);
            if (fold) FOLDED_ADDENDS.incrementAndGet();
            else if (addend != null) r[0] = backend.binary(BinaryOp.ADD, addend, dx);
            if (gated) GATED_NORM_BACKWARDS.incrementAndGet();
            return r;
        }
        boolean warp = d <= WARP_ROW_LIMIT;
        if (rows > 0 && d > 0) kernels.launchBlocks(kernels.get("norm", "ln_mod_bwd_" + sfx), warp ? (rows + 7) / 8 : rows,
                ptr(g), ptr(xc), ptr(mu), ptr(rs), ptr(sc), ptr(dx), rows, d, l, rowStride(sc), warp ? 1 : 0);
        int colBlocks = (d + CudaKernels.BLOCK - 1) / CudaKernels.BLOCK, perChunk = rowsPerChunk(l, colBlocks * b), chunks = CudaKernels.chunks(l, perChunk);
        long cols = (long) b * d;
        Tensor dshift = backend.alloc(new int[] {b, d}, out), dscale = backend.alloc(new int[] {b, d}, out);
        try (DeviceBuffer pw = backend.scratch(8L * chunks * cols); DeviceBuffer pb = backend.scratch(8L * chunks * cols)) {
            if (rows > 0 && d > 0) {
                kernels.get("norm", "ln_mod_partials_" + sfx).launch(Dim3.of(colBlocks, chunks, b), Dim3.of(CudaKernels.BLOCK), 0,
                        ptr(g), ptr(xc), ptr(mu), ptr(rs), pw.address(), pb.address(), d, l, b, perChunk);
                launchParamGrad(pw, pb, chunks, (int) cols, dscale, dshift, CudaKernels.suffix(out));
            }
        }
        return new Tensor[] {addend == null ? dx : backend.binary(BinaryOp.ADD, addend, dx), dshift, dscale};
    }

    private static final java.util.concurrent.atomic.AtomicLong FOLDED_ADDENDS = new java.util.concurrent.atomic.AtomicLong();

    /** How many modulated-norm backwards so far added x's other gradient as they wrote dx (tests check that it ran). */
    static long foldedAddends() { return FOLDED_ADDENDS.get(); }

    /** The slot counts the one-warp-per-row kernels (ln_mod_fwd_vec, ln_mod_bwd_vec, ...) are compiled for. */
    private static final int[] SLOTS = {1, 2, 3, 4, 6, 8};

    /** The kernels' slot count for rows of d (d / 4 elements to a warp of 32 lanes): the smallest that holds d / 128. */
    private static int slots(int d) { return java.util.Arrays.stream(SLOTS).filter(v -> 128 * v >= d).findFirst().orElseThrow(); }

    // the gated backward sums dbranch's columns as it writes it, for the bias gradient of the layer that made the branch
    // (KnownColumnSums), which then skips its column reduction; -Ddiffusion4j.cuda.branchColumnSums=false leaves it there
    static final boolean BRANCH_SUMS_DEFAULT = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.branchColumnSums", "true").strip());
    private static volatile boolean branchSums = BRANCH_SUMS_DEFAULT;

    /** Sets whether later gated backwards sum dbranch's columns (tests run both). */
    static void setBranchSums(boolean on) { branchSums = on; }
    private static final AtomicLong BRANCH_SUM_PASSES = new AtomicLong();

    /** How many gated backwards so far summed dbranch's columns (tests check that it ran). */
    static long branchSumPasses() { return BRANCH_SUM_PASSES.get(); }

    private static final boolean GATED_NORM_BACKWARD =
            !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.gatedNormBackward", "true").strip());
    private static final AtomicLong GATED_NORM_BACKWARDS = new AtomicLong();

    /** How many gated residuals' backwards so far ran in their norm's backward pass (tests check that it ran). */
    static long gatedNormBackwards() { return GATED_NORM_BACKWARDS.get(); }

    /** Whether ln_mod_bwd_vec can add addend as it writes dx of x: dense, of x's type, shape and device. */
    private boolean foldable(Tensor addend, Tensor x) {
        return addend != null && addend.dtype() == x.dtype() && java.util.Arrays.equals(addend.shape(), x.shape()) && addend.isContiguous()
                && addend.storage() instanceof CudaStorage st && st.backend() == backend && vectorRowsFit(x.shape(2), addend);
    }

    /** Kernels whose dynamic shared memory limit was raised past the default 48 KiB, with the limit set. */
    private final java.util.Map<Kernel, Integer> sharedRaised = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * layerNormModulateBackward for rows that fit ln_mod_bwd_vec: dx and each row chunk's column sums in one kernel
     * (blocks of eight warps over a chunk of one sample's rows, enough chunks to fill the device eight times over), then
     * param_grad over the chunks; with gate (else null), the gated residual's backward too (ln_mod_bwd_gated_vec):
     * {dx, dshift, dscale, dgate, dbranch}.
     */
    private Tensor[] backwardInOnePass(Tensor g, Tensor xc, Tensor mu, Tensor rs, Tensor sc, Tensor dx, Tensor addend, Tensor gate,
                                       Tensor branch, Tensor dBranch, String sfx) {
        int[] shape = xc.shape();
        int b = shape[0], l = shape[1], d = shape[2];
        int slots = slots(d);
        boolean gated = gate != null;
        // enough chunks to fill the device eight times over, at most 256 rows each (each lane's f32 sums then run over at
        // most 32 rows)
        int per = CudaKernels.rowsPerChunk(l, Math.max((l + 255) / 256, (8 * kernels.multiprocessors() + b - 1) / b)), chunks = CudaKernels.chunks(l, per);
        long cols = (long) b * d;
        Tensor dshift = backend.alloc(new int[] {b, d}, sc.dtype()), dscale = backend.alloc(new int[] {b, d}, sc.dtype());
        Tensor dGate = gated ? backend.alloc(new int[] {b, d}, gate.dtype()) : null;
        // the warps' column sums: 2 (3 gated, 4 with dbranch's) quantities x 8 warps x 128 slots floats
        boolean sumBranch = gated && branchSums;
        int smem = (sumBranch ? 4 : gated ? 3 : 2) * (CudaKernels.BLOCK / 32) * 128 * slots * 4;
        Kernel k = kernels.get("norm", (gated ? "ln_mod_bwd_gated_vec" : "ln_mod_bwd_vec") + slots + "_" + sfx);
        if (smem > 48 * 1024) sharedRaised.compute(k, (kernel, set) -> {   // with and without dbranch's sums the same kernel takes two sizes
            if (set != null && set >= smem) return set;   // raised only, never lowered under another thread's launch
            kernel.setMaxDynamicSharedMemory(smem);
            return smem;
        });
        // dbranch's partial column sums per (chunk, sample), summed over both below: the bias gradient of the layer that
        // made the branch (KnownColumnSums)
        Tensor pd = sumBranch ? backend.alloc(new int[] {chunks * b, d}, DType.F64) : null;
        try (DeviceBuffer pw = backend.scratch(8L * chunks * cols); DeviceBuffer pb = backend.scratch(8L * chunks * cols);
             DeviceBuffer pg = backend.scratch(gated ? 8L * chunks * cols : 8)) {
            k.launch(Dim3.of(chunks, b), Dim3.of(CudaKernels.BLOCK), smem, ptr(g), ptr(xc), ptr(mu), ptr(rs), ptr(sc), ptr(dx), ptr(addend),
                    ptr(gate), ptr(branch), ptr(dBranch), gated ? rowStride(gate) : 0L, pw.address(), pb.address(), pg.address(), ptr(pd),
                    d, l, b, rowStride(sc), per);
            launchParamGrad(pw, pb, chunks, (int) cols, dscale, dshift, CudaKernels.suffix(sc.dtype()));
            if (gated) launchParamGrad(pg, pg, chunks, (int) cols, dGate, null, CudaKernels.suffix(gate.dtype()));
        }
        if (sumBranch) {
            Tensor sums = backend.reduce(ReduceOp.SUM, pd, new int[] {0}, false), bias = backend.cast(sums, dBranch.dtype());
            backend.columnSums().put(dBranch, bias);
            backend.releaseNow(pd);
            if (bias != sums) backend.releaseNow(sums);
            BRANCH_SUM_PASSES.incrementAndGet();
        }
        VECTOR_BACKWARDS.incrementAndGet();
        return gated ? new Tensor[] {dx, dshift, dscale, dGate, dBranch} : new Tensor[] {dx, dshift, dscale};
    }

    /** {dweight, dbias} [cols] from double partials [rows, cols]; null where the param is absent. */
    private Tensor[] paramGrads(DeviceBuffer pw, DeviceBuffer pb, int rows, int cols, Tensor weight, Tensor bias, DType dtype, String sfx) {
        if (weight == null && bias == null) return new Tensor[2];
        Tensor dw = weight == null ? null : backend.alloc(new int[] {cols}, dtype);
        Tensor db = bias == null ? null : backend.alloc(new int[] {cols}, dtype);
        if (cols > 0) launchParamGrad(pw, pb, rows, cols, dw, db, sfx);
        return new Tensor[] {dw, db};
    }

    /** dw[c] and db[c] (either may be null) = the sums over rows of double partials pw, pb [rows, cols]. */
    private void launchParamGrad(DeviceBuffer pw, DeviceBuffer pb, int rows, int cols, Tensor dw, Tensor db, String sfx) {
        // a block of 8 warps per 32 columns (see norm.cu)
        kernels.get("norm", "param_grad_" + sfx).launch(Dim3.of((cols + 31) / 32), Dim3.of(CudaKernels.BLOCK), 0,
                pw.address(), pb.address(), ptr(dw), ptr(db), rows, cols);
    }

    /**
     * Rows per chunk of the column partials (ln_partials): enough chunks of {@code rows} that, with {@code blocks}
     * blocks per chunk, the device fills (about four blocks per multiprocessor).
     */
    private int rowsPerChunk(int rows, int blocks) {
        return CudaKernels.rowsPerChunk(rows, 4 * kernels.multiprocessors() / Math.max(1, blocks));
    }

    /** Statistics from this backend's forward (f32 or f64); anything else (e.g. from another backend) is converted. */
    private Tensor stats(Tensor s, DType x) {
        Tensor c = backend.onThisDevice(s, "norm statistics");
        return c.dtype() == statType(x) && c.isContiguous() ? c : backend.cast(c, statType(x));
    }

    private static int cols(int[] shape, int normalizedDims) {
        int d = 1;
        for (int i = shape.length - normalizedDims; i < shape.length; i++) d *= shape[i];
        return d;
    }
}
