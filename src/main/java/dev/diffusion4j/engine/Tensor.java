package dev.diffusion4j.engine;

import java.util.Arrays;

/**
 * An n-dimensional array on a device, with reverse-mode autograd. Row-major; a tensor is a strided view
 * (shape, strides, offset) of a {@link Storage}, so reshape/permute/slice/expand/flip are free where possible.
 * Methods mirror PyTorch's names; the math lives in the ops classes and the backends.
 */
public final class Tensor {
    final Storage storage;
    final int[] shape;
    final int[] strides;
    final int offset;
    boolean leafRequiresGrad;
    Tensor grad;
    Node gradFn;

    /** Wraps a storage region; used by backends and view ops. */
    public Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        this.storage = storage; this.shape = shape; this.strides = strides; this.offset = offset;
    }

    /** A contiguous tensor over a whole storage. */
    public Tensor(Storage storage, int[] shape) { this(storage, shape, Shape.contiguousStrides(shape), 0); }

    // ------------------------------------------------------------------ factories (CPU, f32 unless stated)

    public static Tensor zeros(int... shape) { return full(0, DType.F32, Device.CPU, shape); }
    public static Tensor ones(int... shape) { return full(1, DType.F32, Device.CPU, shape); }
    public static Tensor zeros(DType dtype, Device device, int... shape) { return full(0, dtype, device, shape); }
    public static Tensor full(double value, DType dtype, Device device, int... shape) {
        return Backends.get(device).full(shape.clone(), dtype, value);
    }
    public static Tensor scalar(double value) { return full(value, DType.F32, Device.CPU); }
    public static Tensor scalar(double value, DType dtype, Device device) { return full(value, dtype, device); }

    public static Tensor of(float[] data, int... shape) { return fromArray(data, DType.F32, shape); }
    public static Tensor of(double[] data, int... shape) { return fromArray(data, DType.F64, shape); }
    public static Tensor ofLongs(long[] data, int... shape) { return fromArray(data, DType.I64, shape); }

    private static Tensor fromArray(Object data, DType dtype, int[] shape) {
        int n = java.lang.reflect.Array.getLength(data);
        if (Shape.numel(shape) != n)
            throw new IllegalArgumentException(n + " values do not fill shape " + Shape.str(shape));
        return Backends.cpu().fromArray(data, shape.clone(), dtype);
    }

    /** 0, 1, ..., n-1 as I64. */
    public static Tensor arange(int n) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return ofLongs(v, n);
    }

    public static Tensor randn(Generator gen, int... shape) { return randn(gen, DType.F32, Device.CPU, shape); }
    public static Tensor randn(Generator gen, DType dtype, Device device, int... shape) {
        long n = Shape.numel(shape);
        return Backends.get(device).normal(shape.clone(), dtype, gen.seed(), gen.advance(Philox.countersFor(n)));
    }
    public static Tensor rand(Generator gen, int... shape) { return rand(gen, DType.F32, Device.CPU, shape); }
    public static Tensor rand(Generator gen, DType dtype, Device device, int... shape) {
        long n = Shape.numel(shape);
        return Backends.get(device).uniform(shape.clone(), dtype, gen.seed(), gen.advance(Philox.countersFor(n)));
    }
    /** Integers in [low, high) as I64. */
    public static Tensor randint(Generator gen, long low, long high, Device device, int... shape) {
        if (high <= low) throw new IllegalArgumentException("randint needs low < high, got [" + low + ", " + high + ")");
        long n = Shape.numel(shape);
        return Backends.get(device).randint(shape.clone(), low, high, gen.seed(), gen.advance(Philox.countersFor(n)));
    }
    public Tensor randnLike(Generator gen) { return randn(gen, dtype(), device(), shape); }

    // ------------------------------------------------------------------ metadata

    public int[] shape() { return shape.clone(); }
    public int shape(int dim) { return shape[Shape.dim(dim, shape.length)]; }
    public int rank() { return shape.length; }
    public long numel() { return Shape.numel(shape); }
    public DType dtype() { return storage.dtype(); }
    public Device device() { return storage.device(); }
    public Backend backend() { return storage.backend(); }
    public Storage storage() { return storage; }
    public int[] strides() { return strides.clone(); }
    public int offset() { return offset; }

    public boolean isContiguous() {
        int expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expect) return false;
            expect *= shape[i];
        }
        return true;
    }

    // ------------------------------------------------------------------ autograd

    /** True for leaves marked with {@link #requiresGrad(boolean)} and for results of ops on such tensors. */
    public boolean requiresGrad() { return leafRequiresGrad || gradFn() != null; }

    public Tensor requiresGrad(boolean value) {
        if (gradFn() != null) throw new IllegalStateException("requiresGrad can only be set on leaf tensors; use detach() first");
        if (value && !dtype().isFloating()) throw new IllegalArgumentException("only floating tensors can require grad, not " + dtype().id());
        leafRequiresGrad = value;
        return this;
    }

    public Tensor grad() { return grad; }
    public void setGrad(Tensor g) { grad = g; }
    public void zeroGrad() { grad = null; }
    /** The op that made this tensor, or null for a leaf and once a backward has released the graph. */
    public Node gradFn() {
        Node n = gradFn;
        if (n != null && n.released()) gradFn = n = null;
        return n;
    }

    public boolean isLeaf() { return gradFn() == null; }

    /** Keeps this non-leaf tensor's gradient in {@link #grad()} during backward (for inspection). */
    public Tensor retainGrad() {
        Node n = gradFn();
        if (n != null) n.retained = this;
        return this;
    }

    public void backward() {
        if (numel() != 1) throw new IllegalStateException("backward() without a gradient needs a scalar, got shape " + Shape.str(shape));
        Autograd.backward(this, Backends.get(device()).full(shape.clone(), dtype(), 1.0), false);
    }
    public void backward(Tensor gradient) { Autograd.backward(this, gradient, false); }
    public void backward(Tensor gradient, boolean retainGraph) { Autograd.backward(this, gradient, retainGraph); }

    /** The same data, cut from the graph. */
    public Tensor detach() { return new Tensor(storage, shape, strides, offset); }

    // ------------------------------------------------------------------ data access

    public float[] toFloatArray() { return (float[]) backend().toArray(castTo(DType.F32)); }
    public double[] toDoubleArray() { return (double[]) backend().toArray(castTo(DType.F64)); }
    public long[] toLongArray() { return (long[]) backend().toArray(castTo(DType.I64)); }

    /** The single value of a one-element tensor. */
    public double item() {
        if (numel() != 1) throw new IllegalStateException("item() needs one element, got shape " + Shape.str(shape));
        return toDoubleArray()[0];
    }

    /** One element by index (slow: for tests and small tensors). */
    public double get(int... index) {
        if (index.length != shape.length) throw new IllegalArgumentException("need " + shape.length + " indices");
        Tensor t = this;
        for (int d = index.length - 1; d >= 0; d--) t = t.slice(d, index[d], index[d] + 1);
        return t.detach().item();
    }

    private Tensor castTo(DType d) { return d == dtype() ? detach() : backend().cast(this, d); }

    /** Moves to another device (a copy; differentiable). */
    public Tensor to(Device device) { return device.equals(device()) ? this : ShapeOps.toDevice(this, device); }
    /** Converts to another dtype (differentiable between floating types). */
    public Tensor to(DType dtype) { return dtype == dtype() ? this : ElementwiseOps.cast(this, dtype); }

    // ------------------------------------------------------------------ elementwise

    public Tensor add(Tensor o) { return ElementwiseOps.binary(BinaryOp.ADD, this, o); }
    public Tensor sub(Tensor o) { return ElementwiseOps.binary(BinaryOp.SUB, this, o); }
    public Tensor mul(Tensor o) { return ElementwiseOps.binary(BinaryOp.MUL, this, o); }
    public Tensor div(Tensor o) { return ElementwiseOps.binary(BinaryOp.DIV, this, o); }
    public Tensor pow(Tensor o) { return ElementwiseOps.binary(BinaryOp.POW, this, o); }
    public Tensor maximum(Tensor o) { return ElementwiseOps.binary(BinaryOp.MAXIMUM, this, o); }
    public Tensor minimum(Tensor o) { return ElementwiseOps.binary(BinaryOp.MINIMUM, this, o); }
    public Tensor eq(Tensor o) { return ElementwiseOps.binary(BinaryOp.EQ, this, o); }
    public Tensor ne(Tensor o) { return ElementwiseOps.binary(BinaryOp.NE, this, o); }
    public Tensor lt(Tensor o) { return ElementwiseOps.binary(BinaryOp.LT, this, o); }
    public Tensor le(Tensor o) { return ElementwiseOps.binary(BinaryOp.LE, this, o); }
    public Tensor gt(Tensor o) { return ElementwiseOps.binary(BinaryOp.GT, this, o); }
    public Tensor ge(Tensor o) { return ElementwiseOps.binary(BinaryOp.GE, this, o); }
    public Tensor gt(double v) { return gt(scalarLike(v)); }
    public Tensor lt(double v) { return lt(scalarLike(v)); }

    public Tensor add(double v) { return affine(1, v); }
    public Tensor sub(double v) { return affine(1, -v); }
    public Tensor mul(double v) { return affine(v, 0); }
    public Tensor div(double v) { return affine(1 / v, 0); }
    /** a * this + b in one pass. */
    public Tensor affine(double a, double b) { return ElementwiseOps.unary(UnaryOp.AFFINE, this, a, b); }
    /** v - this. */
    public Tensor rsub(double v) { return affine(-1, v); }
    public Tensor neg() { return ElementwiseOps.unary(UnaryOp.NEG, this, 0, 0); }
    public Tensor exp() { return ElementwiseOps.unary(UnaryOp.EXP, this, 0, 0); }
    public Tensor log() { return ElementwiseOps.unary(UnaryOp.LOG, this, 0, 0); }
    public Tensor sqrt() { return ElementwiseOps.unary(UnaryOp.SQRT, this, 0, 0); }
    public Tensor rsqrt() { return ElementwiseOps.unary(UnaryOp.RSQRT, this, 0, 0); }
    public Tensor abs() { return ElementwiseOps.unary(UnaryOp.ABS, this, 0, 0); }
    public Tensor square() { return ElementwiseOps.unary(UnaryOp.SQUARE, this, 0, 0); }
    public Tensor reciprocal() { return ElementwiseOps.unary(UnaryOp.RECIPROCAL, this, 0, 0); }
    public Tensor pow(double p) { return ElementwiseOps.unary(UnaryOp.POW, this, p, 0); }
    public Tensor clamp(double lo, double hi) { return ElementwiseOps.unary(UnaryOp.CLAMP, this, lo, hi); }
    public Tensor sin() { return ElementwiseOps.unary(UnaryOp.SIN, this, 0, 0); }
    public Tensor cos() { return ElementwiseOps.unary(UnaryOp.COS, this, 0, 0); }
    public Tensor tanh() { return ElementwiseOps.unary(UnaryOp.TANH, this, 0, 0); }
    public Tensor sigmoid() { return ElementwiseOps.unary(UnaryOp.SIGMOID, this, 0, 0); }
    public Tensor erf() { return ElementwiseOps.unary(UnaryOp.ERF, this, 0, 0); }
    public Tensor sign() { return ElementwiseOps.unary(UnaryOp.SIGN, this, 0, 0); }

    /** cond ? a : b elementwise, with broadcasting; cond is nonzero for true. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) { return ElementwiseOps.where(cond, a, b); }

    /** A 0-d tensor of this tensor's dtype and device. */
    public Tensor scalarLike(double v) { return backend().full(new int[0], dtype(), v); }
    public Tensor zerosLike() { return backend().full(shape.clone(), dtype(), 0); }
    public Tensor onesLike() { return backend().full(shape.clone(), dtype(), 1); }
    public Tensor fullLike(double v) { return backend().full(shape.clone(), dtype(), v); }

    // ------------------------------------------------------------------ reductions

    public Tensor sum() { return ReduceOps.reduce(ReduceOp.SUM, this, allDims(), false); }
    public Tensor mean() { return ReduceOps.reduce(ReduceOp.MEAN, this, allDims(), false); }
    public Tensor max() { return ReduceOps.reduce(ReduceOp.MAX, this, allDims(), false); }
    public Tensor min() { return ReduceOps.reduce(ReduceOp.MIN, this, allDims(), false); }
    public Tensor sum(int dim, boolean keepDim) { return ReduceOps.reduce(ReduceOp.SUM, this, new int[] {dim}, keepDim); }
    public Tensor mean(int dim, boolean keepDim) { return ReduceOps.reduce(ReduceOp.MEAN, this, new int[] {dim}, keepDim); }
    public Tensor max(int dim, boolean keepDim) { return ReduceOps.reduce(ReduceOp.MAX, this, new int[] {dim}, keepDim); }
    public Tensor min(int dim, boolean keepDim) { return ReduceOps.reduce(ReduceOp.MIN, this, new int[] {dim}, keepDim); }
    public Tensor sum(int[] dims, boolean keepDim) { return ReduceOps.reduce(ReduceOp.SUM, this, dims, keepDim); }
    public Tensor mean(int[] dims, boolean keepDim) { return ReduceOps.reduce(ReduceOp.MEAN, this, dims, keepDim); }
    public Tensor max(int[] dims, boolean keepDim) { return ReduceOps.reduce(ReduceOp.MAX, this, dims, keepDim); }
    public Tensor min(int[] dims, boolean keepDim) { return ReduceOps.reduce(ReduceOp.MIN, this, dims, keepDim); }
    /** Variance over dims; unbiased divides by n-1 like torch.var's default. */
    public Tensor var(int[] dims, boolean unbiased, boolean keepDim) { return ReduceOps.var(this, dims, unbiased, keepDim); }
    public Tensor logsumexp(int[] dims, boolean keepDim) { return ReduceOps.logsumexp(this, dims, keepDim); }
    public Tensor logsumexp(int dim, boolean keepDim) { return logsumexp(new int[] {dim}, keepDim); }
    /** Mean over every dim but the first: one value per batch element, shape [N]. */
    public Tensor meanFlat() {
        int[] dims = new int[shape.length - 1];
        for (int i = 0; i < dims.length; i++) dims[i] = i + 1;
        return dims.length == 0 ? this : mean(dims, false);
    }

    private int[] allDims() {
        int[] d = new int[shape.length];
        for (int i = 0; i < d.length; i++) d[i] = i;
        return d;
    }

    // ------------------------------------------------------------------ shape

    public Tensor reshape(int... newShape) { return ShapeOps.reshape(this, newShape); }
    public Tensor view(int... newShape) { return ShapeOps.reshape(this, newShape); }
    public Tensor flatten() { return reshape(-1); }
    /** Flattens dims start..end inclusive into one. */
    public Tensor flatten(int start, int end) { return ShapeOps.flatten(this, start, end); }
    public Tensor permute(int... dims) { return ShapeOps.permute(this, dims); }
    public Tensor transpose(int d0, int d1) { return ShapeOps.transpose(this, d0, d1); }
    /** Transpose of the last two dims. */
    public Tensor mT() { return transpose(-2, -1); }
    public Tensor unsqueeze(int dim) { return ShapeOps.unsqueeze(this, dim); }
    public Tensor squeeze(int dim) { return ShapeOps.squeeze(this, dim); }
    public Tensor slice(int dim, int start, int end) { return ShapeOps.slice(this, dim, start, end, 1); }
    public Tensor slice(int dim, int start, int end, int step) { return ShapeOps.slice(this, dim, start, end, step); }
    /** The index-th entry along dim, with that dim removed. */
    public Tensor select(int dim, int index) { return slice(dim, index, index + 1).squeeze(dim); }
    public Tensor expand(int... newShape) { return ShapeOps.expand(this, newShape); }
    public Tensor expandAs(Tensor o) { return expand(o.shape); }
    public Tensor flip(int... dims) { return ShapeOps.flip(this, dims); }
    public Tensor contiguous() { return ShapeOps.contiguous(this); }
    public Tensor[] split(int size, int dim) { return ShapeOps.split(this, size, dim); }
    public Tensor[] chunk(int chunks, int dim) { return ShapeOps.chunk(this, chunks, dim); }
    /** Constant padding; pads lists (before, after) pairs starting from the LAST dim, like torch.nn.functional.pad. */
    public Tensor pad(int[] pads, double value) { return ShapeOps.pad(this, pads, value); }
    public static Tensor cat(int dim, Tensor... ts) { return ShapeOps.cat(dim, ts); }
    public static Tensor stack(int dim, Tensor... ts) { return ShapeOps.stack(dim, ts); }
    /** Sums broadcast dims away so the result has {@code target} shape (the adjoint of broadcasting). */
    public Tensor sumTo(int[] target) { return ReduceOps.sumTo(this, target); }

    // ------------------------------------------------------------------ indexing and linear algebra

    public Tensor indexSelect(int dim, Tensor index) { return IndexOps.indexSelect(this, dim, index); }
    /** torch.gather: out[i][j] = this[i][index[i][j]] along dim (index has this tensor's rank). */
    public Tensor gather(int dim, Tensor index) { return IndexOps.gather(this, dim, index); }
    public Tensor matmul(Tensor o) { return LinalgOps.matmul(this, o); }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("Tensor(").append(Shape.str(shape)).append(", ").append(dtype().id())
                .append(", ").append(device());
        if (requiresGrad()) sb.append(", requiresGrad");
        if (numel() <= 16) sb.append(", ").append(Arrays.toString(toDoubleArray()));
        return sb.append(')').toString();
    }
}
