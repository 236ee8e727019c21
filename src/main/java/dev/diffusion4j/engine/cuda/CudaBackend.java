package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.AdamUpdate;
import dev.diffusion4j.engine.Backend;
import dev.diffusion4j.engine.BinaryOp;
import dev.diffusion4j.engine.Conv2dParams;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.ReduceOp;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.UnaryOp;
import java.util.ArrayList;
import java.util.List;

/**
 * The CUDA backend for one device. Every kernel is queued on the context's single stream and
 * nothing waits for the device except reads to the host (toArray, hence item()). The kernel
 * families live in their own classes, as on the CPU; this class wires them together and owns
 * what they share: memory, kernels, the cuBLAS handle, the host-transfer staging and the error
 * flag that index kernels raise.
 */
public final class CudaBackend implements Backend, dev.diffusion4j.engine.ChannelsLastKernels, dev.diffusion4j.engine.MemoryUsage.Reporter {
    private final Device device;
    private final CudaContext context;
    private final DeviceMemory memory;
    private final CudaKernels kernels;
    private final Cublas cublas;
    private final DeviceBuffer errorFlag;
    private final HostTransfer transfer;
    private final CudaHostCopy host;
    private final CudaCopy copy;
    private final CudaElementwise elementwise;
    private final CudaRandom random;
    private final CudaReduce reduce;
    private final CudaLinalg linalg;
    private final CudaIndex indexing;
    private final CudaResample resample;
    private final CudaNorm norm;
    private final CudaSoftmax softmax;
    private final CudaAttention attention;
    private final RecomputedAttentionBackward recomputedAttention;
    private final CudaUpdates updates;
    private volatile CudaConv conv;
    private Cudnn cudnn;

    CudaBackend(int deviceIndex) {
        this.device = Device.cuda(deviceIndex);
        this.context = CudaContext.create(deviceIndex);
        this.memory = new DeviceMemory(context);
        this.kernels = new CudaKernels(context);
        this.cublas = new Cublas(context);
        this.errorFlag = context.allocate(4);
        context.fill32(errorFlag.address(), 0, 1);
        this.transfer = new HostTransfer(context);
        this.host = new CudaHostCopy(this, transfer);
        this.copy = new CudaCopy(this, kernels);
        this.elementwise = new CudaElementwise(this, kernels);
        this.random = new CudaRandom(this, kernels);
        this.reduce = new CudaReduce(this, kernels);
        this.linalg = new CudaLinalg(this, cublas);
        this.indexing = new CudaIndex(this, kernels);
        this.resample = new CudaResample(this, kernels);
        this.norm = new CudaNorm(this, kernels);
        this.softmax = new CudaSoftmax(this, kernels);
        this.attention = new CudaAttention(this, kernels);
        this.recomputedAttention = new RecomputedAttentionBackward(this, softmax);
        this.updates = new CudaUpdates(this, kernels);
    }

    /** Lets float32 matrix products and convolutions use TF32 tensor cores (all CUDA devices; default: property diffusion4j.tf32, else off). */
    public static void setAllowTf32(boolean allow) { dev.diffusion4j.engine.Precision.allowTf32(allow); }

    public static boolean allowTf32() { return dev.diffusion4j.engine.Precision.tf32Allowed(); }

    public CudaContext context() { return context; }

    /** The caching allocator's counters (bytes held by live tensors, reserved, peaks). */
    public CudaAllocator.Stats memoryStats() { return context.allocator().stats(); }

    @Override
    public dev.diffusion4j.engine.MemoryUsage memoryUsage() {
        CudaAllocator.Stats s = memoryStats();
        return new dev.diffusion4j.engine.MemoryUsage(s.allocatedBytes(), s.peakAllocatedBytes(), s.reservedBytes());
    }

    @Override public void releaseNow(Tensor... temporaries) {
        for (Tensor t : temporaries) if (t.storage() instanceof CudaStorage s && s.backend() == this) memory.releaseNow(s);
    }

    /** Forces a collection so that dropped tensors return their memory now. */
    public void collectGarbage() { memory.collect(); }

    /** Bytes allocated after which a collection is forced even when the cache could serve them. */
    long collectionThresholdBytes() { return memory.gcThreshold(); }

    /** Collections forced so far because of device-memory pressure. */
    public long forcedCollections() { return memory.collections(); }

    /** How many cuBLASLt plans timed their algorithms and what they kept, with -Ddiffusion4j.cuda.gemmAutotune; else null. */
    public static String gemmAutotuneSummary() {
        if (!CublasLt.autotune()) return null;
        long[] n = CublasLt.autotuned();
        return n[0] + " products' algorithms timed (" + n[1] + " of them kept another than the heuristic's first), " + n[2]
                + " taken as an earlier process chose them";
    }

    /**
     * Compiles every kernel module now, in parallel (NVRTC; later runs load them from the disk cache), instead of
     * one by one at first use. Returns the number of modules.
     */
    public int warmUpKernels() { return kernels.precompile(); }

    /** Waits until all queued device work is done. */
    public void synchronize() { context.synchronize(); }

    @Override public CudaGraph capture(Runnable work) { return context.capture(work); }

    @Override public boolean capturesGraphs() { return true; }

    // ---- shared by the kernel families ----

    Tensor alloc(int[] shape, DType dtype) {
        return new Tensor(memory.allocate(this, dtype, Shape.numelInt(shape)), shape);
    }

    DeviceBuffer scratch(long bytes) { return memory.allocateBuffer(bytes); }

    long errorFlag() { return errorFlag.address(); }

    /** The fused attention paths (tests look at which ran). */
    CudaAttention attentionKernels() { return attention; }

    /** Throws when an index kernel saw an index out of range since the last check (waits for the device). */
    void checkErrorFlag() {
        if (transfer.readInt(errorFlag.address()) != 0) {
            context.fill32(errorFlag.address(), 0, 1);
            throw new IndexOutOfBoundsException("an index given to indexSelect/indexAdd (or an embedding or gather) on " + device
                    + " was out of range; CUDA reports it at the next read from the device, so the op that failed ran earlier");
        }
    }

    /** Kernel argument: the address of t's first element (its offset applied). */
    static TensorPointer ptr(Tensor t) {
        CudaStorage s = st(t);
        return new TensorPointer(s, s.address(t.offset()));
    }

    /** Kernel argument: the address of element 0 of t's storage (for kernels that apply offsets themselves). */
    static TensorPointer base(Tensor t) {
        CudaStorage s = st(t);
        return new TensorPointer(s, s.address());
    }

    static CudaStorage st(Tensor t) {
        if (t.storage() instanceof CudaStorage s) return s;
        throw new IllegalArgumentException("expected a CUDA tensor, got one on " + t.device() + "; move it with .to(device)");
    }

    Tensor onThisDevice(Tensor t, String op) {
        if (t.storage() instanceof CudaStorage s && s.backend() == this) return t;
        throw new IllegalArgumentException(op + ": tensor on " + t.device() + ", expected " + device + "; move it with .to(device)");
    }

    private CudaConv conv() {
        CudaConv c = conv;
        if (c == null) {
            synchronized (this) {
                if (conv == null) conv = new CudaConv(this, cudnn(), resample);
                c = conv;
            }
        }
        return c;
    }

    /** The cuDNN handle on this backend's stream that the convolutions and the attention graphs share (made on first use). */
    synchronized Cudnn cudnn() {
        if (cudnn == null) cudnn = new Cudnn(context);
        return cudnn;
    }

    // ---- Backend ----

    @Override public Device device() { return device; }

    @Override public Tensor full(int[] shape, DType dtype, double value) { return copy.full(shape, dtype, value); }
    @Override public Tensor empty(int[] shape, DType dtype) { return alloc(shape, dtype); }
    @Override public Tensor fromArray(Object hostArray, int[] shape, DType dtype) { return host.fromArray(hostArray, shape, dtype); }
    @Override public Object toArray(Tensor t) { return host.toArray(onThisDevice(t, "toArray")); }
    @Override public Tensor contiguous(Tensor x) { return copy.contiguous(onThisDevice(x, "contiguous")); }
    @Override public Tensor cast(Tensor x, DType to) { return copy.cast(onThisDevice(x, "cast"), to); }

    /** Contiguous f32 tensors to bf16 (or back) in multi-tensor launches; the rest one by one. */
    @Override public java.util.List<Tensor> castAll(java.util.List<Tensor> xs, DType to) {
        java.util.List<Tensor> out = new java.util.ArrayList<>(xs.size()), srcs = new java.util.ArrayList<>(), dsts = new java.util.ArrayList<>();
        DType from = to == DType.BF16 ? DType.F32 : to == DType.F32 ? DType.BF16 : null;
        for (Tensor x : xs) {
            Tensor y;
            if (x.dtype() == to) y = x;
            else if (x.dtype() == from && updates.fusable(x)) {
                y = alloc(x.shape(), to);
                if (x.numel() > 0) {
                    srcs.add(x);
                    dsts.add(y);
                }
            } else y = cast(x, to);
            out.add(y);
        }
        if (!srcs.isEmpty()) updates.cast(srcs, dsts);
        return out;
    }
    @Override public void copyInto(Tensor dst, Tensor src) { copy.copyInto(dst, src); }

    @Override public Tensor normal(int[] shape, DType dtype, long seed, long offset) { return random.normal(shape, dtype, seed, offset); }
    @Override public Tensor uniform(int[] shape, DType dtype, long seed, long offset) { return random.uniform(shape, dtype, seed, offset); }
    @Override public Tensor dropoutMask(int[] shape, DType dtype, long seed, long offset, double p) {
        Tensor m = random.dropoutMask(shape, dtype, seed, offset, p);
        return m != null ? m : Backend.super.dropoutMask(shape, dtype, seed, offset, p);
    }
    @Override public Tensor randint(int[] shape, long low, long high, long seed, long offset) { return random.randint(shape, low, high, seed, offset); }

    @Override public Tensor unary(UnaryOp op, Tensor x, double p, double q) { return elementwise.unary(op, onThisDevice(x, op.name()), p, q); }
    @Override public Tensor unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gy, double p, double q) {
        return elementwise.unaryBackward(op, onThisDevice(x, op.name()), y, gy, p, q);
    }
    @Override public Tensor binary(BinaryOp op, Tensor a, Tensor b) { return elementwise.binary(op, onThisDevice(a, op.name()), b); }
    @Override public Tensor where(Tensor cond, Tensor a, Tensor b) { return elementwise.where(cond, onThisDevice(a, "where"), b); }

    @Override public Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) { return reduce.reduce(op, onThisDevice(x, op.name()), dims, keepDim); }

    @Override public Tensor matmul(Tensor a, Tensor b) { return product(a, b, 1f); }

    /** activation(x @ wᵀ + bias) with the bias (and a tanh GELU) in the product's epilogue (cuBLASLt) where it is one product. */
    @Override public Tensor linear(Tensor x, Tensor w, Tensor bias, UnaryOp activation) {
        cublas.setAllowTf32(allowTf32());
        return linalg.linear(onThisDevice(x, "linear"), w, bias, activation);
    }

    /** Both from one product (cuBLASLt's GELU_AUX_BIAS epilogue) where it takes the operands. */
    @Override public Tensor[] linearKeepingInput(Tensor x, Tensor w, Tensor bias, UnaryOp activation) {
        cublas.setAllowTf32(allowTf32());
        Tensor[] fused = linalg.linearKeepingGeluInput(onThisDevice(x, "linear"), onThisDevice(w, "linear"), bias, activation);
        return fused != null ? fused : Backend.super.linearKeepingInput(x, w, bias, activation);
    }

    /** GELU's input gradient in the product that forms it (cuBLASLt's DGELU epilogue) where it takes the operands. */
    @Override public Tensor activationInputGradient(UnaryOp op, Tensor gy, Tensor w, Tensor h) {
        if (!fusesActivationGradient(op)) return null;
        return linalg.geluInputGradient(onThisDevice(gy, "linear"), onThisDevice(w, "linear"), onThisDevice(h, "linear"));
    }

    // cuBLASLt's DGELU is the tanh approximation's derivative
    @Override public boolean fusesActivationGradient(UnaryOp op) { return op == UnaryOp.GELU_TANH && CudaLinalg.geluGradientEpilogue(); }

    /**
     * The weight gradient with the bias gradient from the column sums noted as gy was written (KnownColumnSums), or as
     * the product's column over the ones that x's rows were written with (OnesColumns), or summed in the same product
     * (cuBLASLt's BGRADB epilogue) where it takes it, or else reduced.
     */
    @Override public Tensor[] linearWeightGradients(Tensor gy, Tensor x, boolean bias) {
        Tensor known = bias ? columnSums.of(gy) : null;
        if (known != null && known.dtype() == gy.dtype()) {
            KNOWN_BIAS_GRADIENTS.incrementAndGet();
            return new Tensor[] {matmul(gy.mT(), x), known};
        }
        Tensor[] overOnes = bias && onesColumns.hasOnes(x) ? linalg.linearWeightGradientsOverOnes(onThisDevice(gy, "linear"), x) : null;
        if (overOnes != null) {
            ONES_BIAS_GRADIENTS.incrementAndGet();
            return overOnes;
        }
        Tensor[] fused = bias ? linalg.linearWeightGradients(onThisDevice(gy, "linear"), onThisDevice(x, "linear")) : null;
        return fused != null ? fused : Backend.super.linearWeightGradients(gy, x, bias);
    }

    private final KnownColumnSums columnSums = new KnownColumnSums();
    private final OnesColumns onesColumns = new OnesColumns();
    private static final java.util.concurrent.atomic.AtomicLong KNOWN_BIAS_GRADIENTS = new java.util.concurrent.atomic.AtomicLong(),
            ONES_BIAS_GRADIENTS = new java.util.concurrent.atomic.AtomicLong();

    /** Outputs written with a ones column after each row, noted as the kernels that write them are queued. */
    OnesColumns onesColumns() { return onesColumns; }

    /** How many bias gradients so far were the weight gradient's column over an input's ones (tests check that it ran). */
    static long onesBiasGradients() { return ONES_BIAS_GRADIENTS.get(); }

    /** Column sums of gradients noted by the kernels that wrote them. */
    KnownColumnSums columnSums() { return columnSums; }

    /** How many bias gradients so far were column sums noted as their gradient was written (tests check that it ran). */
    static long knownBiasGradients() { return KNOWN_BIAS_GRADIENTS.get(); }

    /** alpha * (a @ b) through cuBLAS in this thread's math mode (TF32 or not), whatever the last product used. */
    private Tensor product(Tensor a, Tensor b, float alpha) {
        cublas.setAllowTf32(allowTf32());
        return linalg.matmul(onThisDevice(a, "matmul"), b, alpha);
    }

    @Override public Tensor indexSelect(Tensor x, int dim, Tensor index) { return indexing.indexSelect(onThisDevice(x, "indexSelect"), dim, index); }
    @Override public Tensor indexAdd(int[] shape, int dim, Tensor index, Tensor src) { return indexing.indexAdd(shape, dim, index, src); }

    @Override public Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) { return conv().conv2d(x, w, bias, p); }
    @Override public Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p, Tensor residual) { return conv().conv2d(x, w, bias, p, residual, false); }
    @Override public Tensor conv2dBackwardInput(Tensor gy, Tensor w, int[] xShape, Conv2dParams p) {
        return conv().conv2dBackwardInput(gy, w, xShape, p, false);
    }
    @Override public Tensor conv2dBackwardWeight(Tensor x, Tensor gy, int[] wShape, Conv2dParams p) {
        return conv().conv2dBackwardWeight(x, gy, wShape, p, false);
    }
    @Override public Tensor avgPool2d(Tensor x, int kernel, int stride) { return resample.avgPool2d(x, kernel, stride); }
    @Override public Tensor avgPool2dBackward(Tensor gy, int[] xShape, int kernel, int stride) {
        return resample.avgPool2dBackward(gy, xShape, kernel, stride);
    }
    @Override public Tensor upsampleNearest2d(Tensor x, int factor) { return resample.upsampleNearest2d(x, factor); }
    @Override public Tensor upsampleNearest2dBackward(Tensor gy, int factor) { return resample.upsampleNearest2dBackward(gy, factor); }
    @Override public Tensor upsampleBilinear2d(Tensor x, int outH, int outW) { return resample.upsampleBilinear2d(x, outH, outW); }
    @Override public Tensor upsampleBilinear2dBackward(Tensor gy, int[] xShape) { return resample.upsampleBilinear2dBackward(gy, xShape); }

    @Override public Tensor conv2dChannelsLast(Tensor x, Tensor w, Tensor bias, Conv2dParams p, Tensor residual) {
        return conv().conv2d(x, w, bias, p, residual, true);
    }
    @Override public Tensor conv2dChannelsLastBackwardInput(Tensor gy, Tensor w, int[] xShape, Conv2dParams p) {
        return conv().conv2dBackwardInput(gy, w, xShape, p, true);
    }
    @Override public Tensor conv2dChannelsLastBackwardWeight(Tensor x, Tensor gy, int[] wShape, Conv2dParams p) {
        return conv().conv2dBackwardWeight(x, gy, wShape, p, true);
    }
    @Override public Tensor[] groupNormChannelsLastForward(Tensor x, Tensor shift, int groups, Tensor weight, Tensor bias, double eps,
                                                           boolean silu) {
        return norm.groupNormChannelsLastForward(x, shift, groups, weight, bias, eps, silu);
    }
    @Override public Tensor[] groupNormChannelsLastBackward(Tensor gy, Tensor x, Tensor shift, Tensor mean, Tensor rstd, Tensor weight,
                                                            Tensor bias, int groups, boolean silu) {
        return norm.groupNormChannelsLastBackward(gy, x, shift, mean, rstd, weight, bias, groups, silu);
    }
    @Override public Tensor upsampleNearest2dChannelsLast(Tensor x, int factor) { return resample.upsampleNearest2dChannelsLast(x, factor); }
    @Override public Tensor upsampleNearest2dChannelsLastBackward(Tensor gy, int factor) { return resample.upsampleNearest2dChannelsLastBackward(gy, factor); }
    @Override public Tensor[] groupNormForward(Tensor x, int groups, Tensor weight, Tensor bias, double eps, boolean silu) {
        return norm.groupNormForward(x, groups, weight, bias, eps, silu);
    }
    @Override public Tensor[] groupNormBackward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor weight, Tensor bias, int groups, boolean silu) {
        return norm.groupNormBackward(gy, x, mean, rstd, weight, bias, groups, silu);
    }
    @Override public Tensor[] layerNormForward(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        return norm.layerNormForward(x, normalizedDims, weight, bias, eps);
    }
    @Override public Tensor[] layerNormBackward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor weight, Tensor bias, int normalizedDims) {
        return norm.layerNormBackward(gy, x, mean, rstd, weight, bias, normalizedDims);
    }
    @Override public Tensor gatedResidual(Tensor x, Tensor gate, Tensor branch) {
        Tensor out = elementwise.gatedResidual(onThisDevice(x, "gatedResidual"), gate, branch);
        return out != null ? out : Backend.super.gatedResidual(x, gate, branch);
    }

    @Override public Tensor[] gatedResidualBackward(Tensor gy, DType xType, Tensor gate, Tensor branch) {
        Tensor[] r = elementwise.gatedResidualBackward(onThisDevice(gy, "gatedResidual backward"), gate, branch);
        if (r == null) return Backend.super.gatedResidualBackward(gy, xType, gate, branch);
        return new Tensor[] {gy.dtype() == xType ? gy : cast(gy, xType), r[0], r[1]};
    }

    @Override public Tensor[] layerNormModulate(Tensor x, Tensor shift, Tensor scale, double eps, DType outType) {
        if (!CudaNorm.modulates(x.dtype(), outType) || shift.dtype() != outType || scale.dtype() != outType)
            return Backend.super.layerNormModulate(x, shift, scale, eps, outType);
        return norm.layerNormModulate(x, shift, scale, eps, outType);
    }
    /** The norm's backward and the gated residual's in one pass where norm.gatedLayerNormModulateBackward takes them. */
    @Override public Tensor[] gatedLayerNormModulateBackward(Tensor gy, Tensor s, Tensor mean, Tensor rstd, Tensor scale, Tensor addend,
                                                             Tensor gate, Tensor branch) {
        Tensor[] r = norm.gatedLayerNormModulateBackward(onThisDevice(gy, "layerNormModulate backward"), onThisDevice(s, "layerNormModulate backward"),
                mean, rstd, scale, addend, gate, branch);
        return r != null ? r : Backend.super.gatedLayerNormModulateBackward(gy, s, mean, rstd, scale, addend, gate, branch);
    }

    /** The gated residual and the modulated norm of the sum in one pass where norm.gatedLayerNormModulate takes them. */
    @Override public Tensor[] gatedResidualLayerNormModulate(Tensor x, Tensor gate, Tensor branch, Tensor shift, Tensor scale, double eps, DType outType) {
        Tensor[] r = shift.dtype() == outType && scale.dtype() == outType
                ? norm.gatedLayerNormModulate(onThisDevice(x, "gatedResidual"), gate, branch, shift, scale, eps, outType) : null;
        return r != null ? r : Backend.super.gatedResidualLayerNormModulate(x, gate, branch, shift, scale, eps, outType);
    }
    @Override public Tensor[] layerNormModulateBackward(Tensor gy, Tensor x, Tensor mean, Tensor rstd, Tensor scale, Tensor addend) {
        if (!CudaNorm.modulates(x.dtype(), scale.dtype())) return Backend.super.layerNormModulateBackward(gy, x, mean, rstd, scale, addend);
        return norm.layerNormModulateBackward(gy, x, mean, rstd, scale, addend);
    }
    @Override public Tensor softmax(Tensor x, int dim, boolean log) { return softmax.forward(x, dim, log); }
    @Override public Tensor softmaxBackward(Tensor y, Tensor gy, int dim, boolean log) { return softmax.backward(y, gy, dim, log); }

    /** The fused kernel where it covers the operands (CudaAttention says which it does not), else the composed default. */
    @Override public Tensor[] attention(Tensor q, Tensor k, Tensor v, Tensor mask, double scale) {
        if (attention.covers(q, k, v, mask)) return attention.forward(q, k, v, scale);
        return Backend.super.attention(q, k, v, mask, scale);
    }

    /** The scale goes into cuBLAS's alpha (no pass over a scaled copy of q, often a strided head split); f64 as the default. */
    @Override public Tensor attentionScores(Tensor q, Tensor k, double scale) {
        if (q.dtype() == DType.F64) return Backend.super.attentionScores(q, k, scale);
        return product(q, k.detach().mT(), (float) scale);
    }

    /** Follows the forward's path, told apart by its aux: the fused forward keeps a log-sum-exp, the default P. */
    @Override public Tensor[] attentionBackward(Tensor gOut, Tensor q, Tensor k, Tensor v, Tensor mask, double scale,
                                                Tensor out, Tensor aux, boolean maskGrad) {
        if (CudaAttention.holdsLse(aux, q)) return attention.backward(gOut, q, k, v, scale, out, aux);
        return Backend.super.attentionBackward(gOut, q, k, v, mask, scale, out, aux, maskGrad);
    }

    /** The fused passes for f32 (what the TF32 forward leaves: an f32 lse); other types take the composed default. */
    @Override public Tensor[] attentionBackwardFromLse(Tensor gOut, Tensor q, Tensor k, Tensor v, double scale, Tensor lse) {
        if (q.dtype() != DType.F32 || lse.dtype() != DType.F32) return Backend.super.attentionBackwardFromLse(gOut, q, k, v, scale, lse);
        return recomputedAttention.backward(gOut, q, k, v, scale, lse);
    }

    /** The tensor-core kernels read q, k and v in place from a strided qkv and write its gradient packed; else the default. */
    @Override public Tensor[] attentionPacked(Tensor qkv, double scale) {
        Tensor q = qkv.select(0, 0), k = qkv.select(0, 1), v = qkv.select(0, 2);
        if (!attention.coversPacked(q, k, v)) return Backend.super.attentionPacked(qkv, scale);
        Tensor[] r = attention.forward(q, k, v, scale);
        return new Tensor[] {r[0], r[1], qkv};
    }

    @Override public Tensor attentionPackedBackward(Tensor gOut, Tensor packed, double scale, Tensor out, Tensor aux) {
        Tensor q = packed.select(0, 0);
        if (CudaAttention.holdsLse(aux, q) && attention.coversPacked(q, packed.select(0, 1), packed.select(0, 2)))
            return attention.backwardPacked(gOut, packed, scale, out, aux);
        return Backend.super.attentionPackedBackward(gOut, packed, scale, out, aux);
    }

    @Override public String toString() { return "CudaBackend[" + context + "]"; }

    // ---- in-place updates ----

    @Override public void adamUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, AdamUpdate s) {
        adamUpdateAll(List.of(param), List.of(grad), List.of(expAvg), List.of(expAvgSq), s);
    }

    @Override public void adamUpdateAll(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvgs, List<Tensor> expAvgSqs, AdamUpdate s) {
        List<Tensor> p = new ArrayList<>(), g = new ArrayList<>(), m = new ArrayList<>(), v = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            if (updates.fusable(params.get(i), grads.get(i), expAvgs.get(i), expAvgSqs.get(i))) {
                p.add(params.get(i));
                g.add(grads.get(i));
                m.add(expAvgs.get(i));
                v.add(expAvgSqs.get(i));
            } else {
                Backend.super.adamUpdate(params.get(i), grads.get(i), expAvgs.get(i), expAvgSqs.get(i), s);
            }
        }
        updates.adam(p, g, m, v, s);
    }

    @Override public void lerpInto(Tensor dst, Tensor src, double weight) { lerpIntoAll(List.of(dst), List.of(src), weight); }

    @Override public void lerpIntoAll(List<Tensor> dsts, List<Tensor> srcs, double weight) {
        List<Tensor> d = new ArrayList<>(), s = new ArrayList<>();
        for (int i = 0; i < dsts.size(); i++) {
            if (updates.fusable(dsts.get(i), srcs.get(i))) {
                d.add(dsts.get(i));
                s.add(srcs.get(i));
            } else {
                Backend.super.lerpInto(dsts.get(i), srcs.get(i), weight);
            }
        }
        updates.lerp(d, s, weight);
    }

    @Override public List<Tensor> clipScaleAll(List<Tensor> xs, Tensor norm, double maxNorm) {
        if (norm.dtype() != DType.F64 || norm.numel() != 1 || !updates.fusable(norm)) return Backend.super.clipScaleAll(xs, norm, maxNorm);
        List<Tensor> out = new ArrayList<>(xs.size()), src = new ArrayList<>(), dst = new ArrayList<>(), rest = new ArrayList<>();
        for (Tensor x : xs) {
            if (updates.fusable(x)) {
                Tensor y = alloc(x.shape(), x.dtype());
                src.add(x);
                dst.add(y);
                out.add(y);
            } else {
                rest.add(x);
                out.add(null);
            }
        }
        updates.clipScale(src, dst, norm, maxNorm);
        if (!rest.isEmpty()) {
            List<Tensor> composed = Backend.super.clipScaleAll(rest, norm, maxNorm);
            for (int i = 0, j = 0; i < out.size(); i++) if (out.get(i) == null) out.set(i, composed.get(j++));
        }
        return out;
    }

    @Override public Tensor sumOfSquares(List<Tensor> xs) {
        Tensor acc = full(new int[0], DType.F64, 0);
        List<Tensor> rest = new ArrayList<>();
        List<Tensor> fused = new ArrayList<>();
        for (Tensor x : xs) (updates.fusable(x) ? fused : rest).add(x);
        updates.sumOfSquaresInto(fused, acc);
        return rest.isEmpty() ? acc : acc.add(Backend.super.sumOfSquares(rest));
    }
}
