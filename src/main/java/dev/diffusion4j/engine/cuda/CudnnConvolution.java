package dev.diffusion4j.engine.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@link Convolution2d} through cuDNN's legacy API. Each direction picks its algorithm on first
 * use: by cuDNN's heuristics, or (with {@code benchmark}) by timing every algorithm on the real
 * buffers, like PyTorch's cudnn.benchmark. Workspace is borrowed from the context's allocator for
 * each call and returned right after it is queued.
 */
public final class CudnnConvolution implements Convolution2d {
    /** Algorithms needing more workspace than this are skipped. */
    private static final long WORKSPACE_LIMIT = 1L << 30;

    private final Cudnn cudnn;
    private final ConvGeometry g;
    private final boolean benchmark;
    private final Precision precision;
    private final long xDesc;
    private final long yDesc;
    private final long wDesc;
    private final long convDesc;
    private final Map<CudnnApi.Direction, Integer> algos = new EnumMap<>(CudnnApi.Direction.class);
    private final Map<CudnnApi.Direction, Long> workspaceNeeds = new EnumMap<>(CudnnApi.Direction.class);
    private final Map<CudnnApi.Direction, Integer> mathTypes = new EnumMap<>(CudnnApi.Direction.class);
    private final Arena arena = Arena.ofShared();
    private final MemorySegment one = arena.allocate(JAVA_FLOAT);
    private final MemorySegment zero = arena.allocate(JAVA_FLOAT);
    private boolean closed;

    public CudnnConvolution(Cudnn cudnn, ConvGeometry g, Precision precision, boolean benchmark) {
        this(cudnn, g, precision, benchmark, false);
    }

    /** As above, on NHWC activations and a KRSC filter when {@code channelsLast}. */
    public CudnnConvolution(Cudnn cudnn, ConvGeometry g, Precision precision, boolean benchmark, boolean channelsLast) {
        this.cudnn = cudnn;
        this.g = g;
        this.benchmark = benchmark;
        this.precision = precision;
        one.set(JAVA_FLOAT, 0, 1f);
        zero.set(JAVA_FLOAT, 0, 0f);
        int dataType = precision == Precision.BF16 ? CudnnApi.CUDNN_DATA_BFLOAT16 : CudnnApi.CUDNN_DATA_FLOAT;
        // FP32 must not silently become TF32: cuDNN's default math allows it for float data.
        int math = switch (precision) {
            case FP32 -> CudnnApi.CUDNN_FMA_MATH;
            case TF32 -> CudnnApi.CUDNN_DEFAULT_MATH;
            case BF16 -> CudnnApi.CUDNN_TENSOR_OP_MATH;
        };
        cudnn.handle(); // makes the context current
        long x = 0, y = 0, w = 0, conv = 0;
        try {
            int format = channelsLast ? CudnnApi.CUDNN_TENSOR_NHWC : CudnnApi.CUDNN_TENSOR_NCHW;
            x = CudnnApi.tensor4d(format, dataType, g.n(), g.c(), g.h(), g.w());
            w = CudnnApi.filter4d(format, dataType, g.k(), g.c() / g.groups(), g.r(), g.s());
            conv = CudnnApi.convolution2d(g.padH(), g.padW(), g.strideH(), g.strideW(), g.dilationH(), g.dilationW(),
                    CudnnApi.CUDNN_DATA_FLOAT, math, g.groups());
            int[] out = CudnnApi.outputDim(conv, x, w);
            if (out[0] != g.n() || out[1] != g.k() || out[2] != g.outH() || out[3] != g.outW()) {
                throw new CudaException("cuDNN's output shape " + List.of(out[0], out[1], out[2], out[3]) + " differs from "
                        + List.of(g.n(), g.k(), g.outH(), g.outW()) + " for " + g);
            }
            y = CudnnApi.tensor4d(format, dataType, g.n(), g.k(), g.outH(), g.outW());
        } catch (RuntimeException e) {
            if (x != 0) CudnnApi.destroyTensor(x);
            if (w != 0) CudnnApi.destroyFilter(w);
            if (conv != 0) CudnnApi.destroyConvolution(conv);
            arena.close();
            throw e;
        }
        this.xDesc = x;
        this.wDesc = w;
        this.convDesc = conv;
        this.yDesc = y;
    }

    @Override
    public ConvGeometry geometry() {
        return g;
    }

    @Override
    public synchronized void forward(long x, long w, long y) {
        run(CudnnApi.Direction.FORWARD, xDesc, x, wDesc, w, yDesc, y, false);
    }

    @Override
    public synchronized void backwardData(long w, long dy, long dx) {
        run(CudnnApi.Direction.BACKWARD_DATA, wDesc, w, yDesc, dy, xDesc, dx, false);
    }

    @Override
    public synchronized void backwardFilter(long x, long dy, long dw, boolean accumulate) {
        run(CudnnApi.Direction.BACKWARD_FILTER, xDesc, x, yDesc, dy, wDesc, dw, accumulate);
    }

    private void run(CudnnApi.Direction dir, long d1, long p1, long d2, long p2, long dOut, long pOut, boolean accumulate) {
        boolean first = !algos.containsKey(dir);
        LaunchProfile.Span span = LaunchProfile.ENABLED ? LaunchProfile.begin(cudnn.context()) : null;
        try {
            runTimed(dir, d1, p1, d2, p2, dOut, pOut, accumulate);
        } finally {
            // a geometry's first call includes choosing (and, with benchmark, timing) the algorithm
            if (span != null) span.end("cudnn " + dir + (first ? " (first call)" : " " + profileLabel(dir)));
        }
    }

    /** The geometry and chosen algorithm, for the launch profile. */
    private String profileLabel(CudnnApi.Direction dir) {
        return "n" + g.n() + " " + g.c() + "->" + g.k() + " " + g.h() + "x" + g.w() + " k" + g.r() + "x" + g.s() + " s" + g.strideH()
                + " " + precision + " algo " + algos.get(dir);
    }

    private void runTimed(CudnnApi.Direction dir, long d1, long p1, long d2, long p2, long dOut, long pOut, boolean accumulate) {
        if (closed) throw new IllegalStateException("convolution used after close()");
        long handle = cudnn.handle();
        Integer algo = algos.get(dir);
        if (algo == null) algo = choose(dir, handle, d1, p1, d2, p2, dOut, pOut, benchmark && !accumulate);
        long need = workspaceNeeds.get(dir);
        // Workspace is borrowed per call and handed back at once: with one stream, later users of the
        // block run after this call, so many cached convolutions share the allocator's blocks.
        try (DeviceBuffer ws = need == 0 ? null : cudnn.context().allocate(need)) {
            CudnnApi.run(dir, handle, one, d1, p1, d2, p2, convDesc, algo, ws == null ? 0 : ws.address(), need,
                    accumulate ? one : zero, dOut, pOut);
        }
    }

    private int choose(CudnnApi.Direction dir, long handle, long d1, long p1, long d2, long p2, long dOut, long pOut, boolean time) {
        List<CudnnApi.AlgoPerf> ranked;
        if (time) {
            // FindEx writes the output buffer; the real run follows and overwrites it. An
            // accumulating call would lose what it holds, so those use heuristics.
            try (DeviceBuffer ws = cudnn.context().allocate(Math.min(WORKSPACE_LIMIT, cudnn.context().memoryInfo().freeBytes() / 4))) {
                ranked = CudnnApi.benchmark(dir, handle, d1, p1, d2, p2, convDesc, dOut, pOut, ws.address(), ws.bytes());
            }
        } else {
            ranked = CudnnApi.heuristics(dir, handle, d1, d2, convDesc, dOut);
        }
        for (CudnnApi.AlgoPerf p : ranked) {
            if (p.status() != 0 || p.workspaceBytes() > WORKSPACE_LIMIT) continue;
            // A ranking may list tensor-op variants; strict FP32 must not run one.
            boolean tensorOp = p.mathType() == CudnnApi.CUDNN_TENSOR_OP_MATH || p.mathType() == CudnnApi.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
            if (precision == Precision.FP32 && tensorOp) continue;
            long need = CudnnApi.workspaceSize(dir, handle, d1, d2, convDesc, dOut, p.algo());
            algos.put(dir, p.algo());
            mathTypes.put(dir, p.mathType());
            workspaceNeeds.put(dir, need);
            return p.algo();
        }
        throw new CudaException("cuDNN offers no " + dir.label + " algorithm for " + g + " within " + Bytes.format(WORKSPACE_LIMIT)
                + " of workspace: " + ranked);
    }

    @Override
    public synchronized String describeAlgorithms() {
        return algos.entrySet().stream()
                .map(e -> e.getKey().label + " " + e.getValue() + "/m" + mathTypes.get(e.getKey()) + "/ws " + Bytes.format(workspaceNeeds.get(e.getKey())))
                .collect(Collectors.joining(", "));
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        cudnn.context().makeCurrent();
        CudnnApi.destroyTensor(xDesc);
        CudnnApi.destroyTensor(yDesc);
        CudnnApi.destroyFilter(wDesc);
        CudnnApi.destroyConvolution(convDesc);
        arena.close();
    }
}
