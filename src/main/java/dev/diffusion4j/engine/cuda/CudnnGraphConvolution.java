package dev.diffusion4j.engine.cuda;

import static dev.diffusion4j.engine.cuda.CudnnGraphApi.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@link Convolution2d} through cuDNN's graph API: per direction (and per beta, for accumulating filter gradients)
 * one single-operation graph whose execution plan is built on first use and then only executed. The engine is
 * the heuristics' first that builds (what PyTorch's cuDNN v8+ path takes with cudnn.benchmark off), or in the
 * timed directions the fastest of the candidates timed on the real buffers. Strict FP32 skips engines whose
 * numerical notes say tensor cores or down-converted inputs. Pointers not 16-byte aligned, and graphs no engine
 * can run, go to the legacy API ({@link CudnnConvolution}).
 */
public final class CudnnGraphConvolution implements Convolution2d {
    private static final int ALIGNMENT = 16;
    // how many candidates benchmark mode times (runtime-compiled engines aside)
    private static final int MAX_TIMED = Integer.getInteger("diffusion4j.cudnn.benchmarkLimit", 12);
    // -Ddiffusion4j.cudnn.log=true: one stderr line per plan, the candidates in heuristic order (with times when timed)
    private static final boolean LOG = Boolean.getBoolean("diffusion4j.cudnn.log");
    private static final long X_UID = 1, W_UID = 2, Y_UID = 3;

    private record Key(CudnnApi.Direction dir, boolean accumulate) {}

    /** A finalized plan and the descriptors it was built from (kept alive with it). */
    private record Plan(long plan, long workspaceBytes, String engine, long[] owned) {}

    private final Cudnn cudnn;
    private final boolean channelsLast;
    private final ConvGeometry g;
    private final Precision precision;
    private final Set<CudnnApi.Direction> timed;
    private final long xDesc, wDesc, yDesc, convDesc;
    private final Map<Key, Plan> plans = new HashMap<>();
    private final Set<Key> legacyKeys = new HashSet<>();   // keys no engine can run
    private CudnnConvolution legacy;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment uids = arena.allocateFrom(JAVA_LONG, X_UID, W_UID, Y_UID);
    private final MemorySegment pointers = arena.allocate(JAVA_LONG, 3);
    private final MemorySegment workspace = arena.allocate(JAVA_LONG);
    private boolean closed;

    /** With {@code benchmark}, every direction's plan is timed; else each takes the heuristics' first. */
    public CudnnGraphConvolution(Cudnn cudnn, ConvGeometry g, Precision precision, boolean benchmark) {
        this(cudnn, g, precision, benchmark ? EnumSet.allOf(CudnnApi.Direction.class) : EnumSet.noneOf(CudnnApi.Direction.class));
    }

    /** The plans of the {@code timed} directions are timed; the others take the heuristics' first. */
    public CudnnGraphConvolution(Cudnn cudnn, ConvGeometry g, Precision precision, Set<CudnnApi.Direction> timed) {
        this(cudnn, g, precision, timed, false);
    }

    /** As above, on NHWC activations and a KRSC filter when {@code channelsLast}. */
    public CudnnGraphConvolution(Cudnn cudnn, ConvGeometry g, Precision precision, Set<CudnnApi.Direction> timed, boolean channelsLast) {
        this.cudnn = cudnn;
        this.channelsLast = channelsLast;
        this.g = g;
        this.precision = precision;
        this.timed = timed.isEmpty() ? EnumSet.noneOf(CudnnApi.Direction.class) : EnumSet.copyOf(timed);
        int dataType = precision == Precision.BF16 ? CudnnApi.CUDNN_DATA_BFLOAT16 : CudnnApi.CUDNN_DATA_FLOAT;
        cudnn.handle(); // makes the context current
        long x = 0, w = 0, y = 0, conv = 0;
        try {
            x = tensor(dataType, X_UID, ALIGNMENT, channelsLast, g.n(), g.c(), g.h(), g.w());
            w = tensor(dataType, W_UID, ALIGNMENT, channelsLast, g.k(), g.c() / g.groups(), g.r(), g.s());
            y = tensor(dataType, Y_UID, ALIGNMENT, channelsLast, g.n(), g.k(), g.outH(), g.outW());
            conv = create(CONVOLUTION_DESCRIPTOR);
            setInt(conv, ATTR_CONVOLUTION_COMP_TYPE, TYPE_DATA_TYPE, CudnnApi.CUDNN_DATA_FLOAT);
            setInt(conv, ATTR_CONVOLUTION_CONV_MODE, TYPE_CONVOLUTION_MODE, CUDNN_CROSS_CORRELATION);
            setLongs(conv, ATTR_CONVOLUTION_SPATIAL_DIMS, TYPE_INT64, 2);
            setLongs(conv, ATTR_CONVOLUTION_PRE_PADDINGS, TYPE_INT64, g.padH(), g.padW());
            setLongs(conv, ATTR_CONVOLUTION_POST_PADDINGS, TYPE_INT64, g.padH(), g.padW());
            setLongs(conv, ATTR_CONVOLUTION_DILATIONS, TYPE_INT64, g.dilationH(), g.dilationW());
            setLongs(conv, ATTR_CONVOLUTION_FILTER_STRIDES, TYPE_INT64, g.strideH(), g.strideW());
            finish(conv, "convolution " + g);
        } catch (RuntimeException e) {
            for (long d : new long[] {x, w, y, conv}) destroy(d);
            arena.close();
            throw e;
        }
        this.xDesc = x;
        this.wDesc = w;
        this.yDesc = y;
        this.convDesc = conv;
    }

    @Override
    public ConvGeometry geometry() {
        return g;
    }

    @Override
    public synchronized void forward(long x, long w, long y) {
        run(new Key(CudnnApi.Direction.FORWARD, false), x, w, y);
    }

    @Override
    public synchronized void backwardData(long w, long dy, long dx) {
        run(new Key(CudnnApi.Direction.BACKWARD_DATA, false), dx, w, dy);
    }

    @Override
    public synchronized void backwardFilter(long x, long dy, long dw, boolean accumulate) {
        run(new Key(CudnnApi.Direction.BACKWARD_FILTER, accumulate), x, dw, dy);
    }

    /** One execution with the x-, w- and y-shaped buffers of the operation (inputs or outputs by direction). */
    private void run(Key key, long x, long w, long y) {
        if (closed) throw new IllegalStateException("convolution used after close()");
        Plan p = plans.get(key);
        boolean first = p == null && !legacyKeys.contains(key);
        boolean aligned = (x | w | y) % ALIGNMENT == 0;
        LaunchProfile.Span span = LaunchProfile.ENABLED ? LaunchProfile.begin(cudnn.context()) : null;
        try {
            if (first && aligned) p = plan(key, x, w, y);
            if (p == null || !aligned) runLegacy(key, x, w, y);
            else execute(p, x, w, y);
        } finally {
            if (span != null) span.end("cudnn " + key.dir() + (first ? " (first call)" : " " + profileLabel(key)));
        }
    }

    private String profileLabel(Key key) {
        Plan p = plans.get(key);
        return geometryLabel() + " " + precision + " " + (p == null ? "legacy" : p.engine());
    }

    private String geometryLabel() {
        return "n" + g.n() + " " + g.c() + "->" + g.k() + " " + g.h() + "x" + g.w() + " k" + g.r() + "x" + g.s() + " s" + g.strideH()
                + (channelsLast ? " nhwc" : "");
    }

    private void runLegacy(Key key, long x, long w, long y) {
        if (legacy == null) legacy = new CudnnConvolution(cudnn, g, precision, !timed.isEmpty(), channelsLast);
        switch (key.dir()) {
            case FORWARD -> legacy.forward(x, w, y);
            case BACKWARD_DATA -> legacy.backwardData(w, y, x);
            case BACKWARD_FILTER -> legacy.backwardFilter(x, y, w, key.accumulate());
        }
    }

    private void execute(Plan p, long x, long w, long y) {
        long handle = cudnn.handle();
        // Workspace is borrowed per call and handed back at once: with one stream, later users of the block run after
        // this call, so many cached convolutions share the allocator's blocks.
        try (DeviceBuffer ws = p.workspaceBytes() == 0 ? null : cudnn.context().allocate(p.workspaceBytes())) {
            pointers.set(JAVA_LONG, 0, x);
            pointers.set(JAVA_LONG, 8, w);
            pointers.set(JAVA_LONG, 16, y);
            workspace.set(JAVA_LONG, 0, ws == null ? 0 : ws.address());
            long pack = create(VARIANT_PACK_DESCRIPTOR);
            try {
                set(pack, ATTR_VARIANT_PACK_UNIQUE_IDS, TYPE_INT64, 3, uids);
                set(pack, ATTR_VARIANT_PACK_DATA_POINTERS, TYPE_VOID_PTR, 3, pointers);
                set(pack, ATTR_VARIANT_PACK_WORKSPACE, TYPE_VOID_PTR, 1, workspace);
                finish(pack, "variant pack");
                CudnnGraphApi.execute(handle, p.plan(), pack);
            } finally {
                destroy(pack);
            }
        }
    }

    /** Builds (and with benchmark, times) the plan for {@code key}; null when no engine can run the graph. */
    private Plan plan(Key key, long x, long w, long y) {
        long handle = cudnn.handle();
        List<Long> owned = new ArrayList<>();
        long op = create(operationType(key.dir()));
        owned.add(op);
        try {
            setLongs(op, opAttr(key.dir(), ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA + 2), TYPE_BACKEND_DESCRIPTOR, convDesc);
            setLongs(op, opAttr(key.dir(), ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA + 3), TYPE_BACKEND_DESCRIPTOR, wDesc);
            setLongs(op, opAttr(key.dir(), ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA + 4), TYPE_BACKEND_DESCRIPTOR, xDesc);
            setLongs(op, opAttr(key.dir(), ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA + 5), TYPE_BACKEND_DESCRIPTOR, yDesc);
            setScalar(op, opAttr(key.dir(), ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA), false, 1);
            setScalar(op, opAttr(key.dir(), ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA + 1), false, key.accumulate() ? 1 : 0);
            finish(op, key.dir() + " operation for " + g);
            long graph = create(OPERATIONGRAPH_DESCRIPTOR);
            owned.add(graph);
            setLongs(graph, ATTR_OPERATIONGRAPH_HANDLE, TYPE_HANDLE, handle);
            setLongs(graph, ATTR_OPERATIONGRAPH_OPS, TYPE_BACKEND_DESCRIPTOR, op);
            finish(graph, "operation graph");

            // timing overwrites the output, so an accumulating call (which must keep what it holds) takes the first
            boolean time = timed.contains(key.dir()) && !key.accumulate();
            List<Plan> built = new ArrayList<>();
            for (long cfg : engineConfigs(graph, owned, engine -> admissible(engine, time))) {
                Plan p = tryPlan(handle, cfg, owned);
                if (p == null) continue;
                built.add(p);
                if (!time || built.size() >= MAX_TIMED) break;
            }
            Map<Plan, Float> times = new HashMap<>();
            Plan chosen = built.isEmpty() ? null : built.size() == 1 ? built.get(0) : fastest(built, x, w, y, times);
            if (LOG) log(key, built, times, chosen);
            for (Plan p : built) if (p != chosen) destroy(p.plan());
            if (chosen == null) {
                legacyKeys.add(key);
                owned.forEach(CudnnGraphApi::destroy);
                return null;
            }
            Plan p = new Plan(chosen.plan(), chosen.workspaceBytes(), chosen.engine(), owned.stream().mapToLong(Long::longValue).toArray());
            plans.put(key, p);
            return p;
        } catch (RuntimeException e) {
            owned.forEach(CudnnGraphApi::destroy);
            throw e;
        }
    }

    /** Strict FP32 must not run on tensor cores; timing runtime-compiled engines would compile each (seconds). */
    private boolean admissible(long engine, boolean time) {
        if (precision == Precision.FP32 && (lists(engine, ATTR_ENGINE_NUMERICAL_NOTE, TYPE_NUMERICAL_NOTE, NOTE_TENSOR_CORE)
                || lists(engine, ATTR_ENGINE_NUMERICAL_NOTE, TYPE_NUMERICAL_NOTE, NOTE_DOWN_CONVERT_INPUTS))) return false;
        return !time || !lists(engine, ATTR_ENGINE_BEHAVIOR_NOTE, TYPE_BEHAVIOR_NOTE, BEHAVIOR_RUNTIME_COMPILATION);
    }

    /** A finalized plan for {@code cfg}, or null when the engine cannot run this graph or wants too much workspace. */
    private static Plan tryPlan(long handle, long cfg, List<Long> owned) {
        Built b = CudnnGraphApi.tryPlan(handle, cfg, owned, WORKSPACE_LIMIT);
        return b == null ? null : new Plan(b.plan(), b.workspaceBytes(), "engine " + b.engineIndex(), null);
    }

    /** Times each plan on the real buffers (as cudnnFind does; outputs are overwritten by the real run after). */
    private Plan fastest(List<Plan> candidates, long x, long w, long y, Map<Plan, Float> times) {
        float[] ms = CandidateTiming.millis(cudnn.context(), candidates.size(), 3, i -> {
            try {
                execute(candidates.get(i), x, w, y);
                return true;
            } catch (CudaException e) {
                return false;   // an engine that fails to execute is skipped, as one that fails to build
            }
        });
        Plan best = null;
        float bestMs = Float.MAX_VALUE;
        for (int i = 0; i < ms.length; i++) {
            if (Float.isNaN(ms[i])) continue;
            times.put(candidates.get(i), ms[i]);
            if (ms[i] < bestMs) {
                bestMs = ms[i];
                best = candidates.get(i);
            }
        }
        return best;
    }

    private void log(Key key, List<Plan> built, Map<Plan, Float> times, Plan chosen) {
        String cands = built.stream()
                .map(p -> p.engine() + (times.containsKey(p) ? String.format(" %.3f ms", times.get(p)) : "") + (p == chosen ? " *" : ""))
                .collect(Collectors.joining(", "));
        System.err.println("cudnn plan " + key.dir() + (key.accumulate() ? "+=" : "") + " " + geometryLabel()
                + " " + precision + ": " + (built.isEmpty() ? "no engine builds (legacy API)" : cands));
    }

    @Override
    public synchronized String describeAlgorithms() {
        String graph = plans.entrySet().stream()
                .map(e -> e.getKey().dir().label + (e.getKey().accumulate() ? "+=" : "") + " " + e.getValue().engine()
                        + "/ws " + Bytes.format(e.getValue().workspaceBytes()))
                .collect(Collectors.joining(", "));
        return legacy == null ? graph : graph + (graph.isEmpty() ? "" : ", ") + "legacy: " + legacy.describeAlgorithms();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        cudnn.context().makeCurrent();
        for (Plan p : plans.values()) {
            destroy(p.plan());
            for (long d : p.owned()) destroy(d);
        }
        plans.clear();
        for (long d : new long[] {xDesc, wDesc, yDesc, convDesc}) destroy(d);
        if (legacy != null) legacy.close();
        arena.close();
    }
}
