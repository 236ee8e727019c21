package dev.diffusion4j.engine.cuda;

import static dev.diffusion4j.engine.cuda.CudnnGraphApi.*;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.diffusion4j.engine.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * bf16 scaled dot-product attention, forward and backward, through cuDNN's fused flash-attention engines: an operation
 * graph of matmuls, pointwise ops and reductions in the pattern cuDNN's runtime fusion recognises as SDPA (on Hopper,
 * its wgmma kernels; the graph follows what NVIDIA's cudnn-frontend emits for an unmasked SDPA without dropout). One
 * plan per shape and strides, built on first use; where no engine takes a graph, the caller's own kernels run.
 *
 * <p>Operands are read as [n1, n2, rows, cols] (a {@link BatchFold}): any batch strides, any row stride, columns dense.
 * The forward writes the output and the per-row log-sum-exp of the scaled scores (natural log, f32 [n1, n2, Lq]), the
 * same statistics {@code attention_mma.cu} keeps, so either backward follows either forward.
 *
 * <p>The backward writes dQ straight from its matmul (cudnn-frontend's "deterministic" form, the dP kept in the
 * workspace) rather than summing it with atomics into an f32 accumulator, so that equal inputs give equal bits, as the
 * rest of the backend does (exact resume, graph replay checks).
 */
final class CudnnAttention {
    /** cuDNN's limit on the flash engines' head dims (and their multiple of 8). */
    static final int MAX_HEAD_DIM = 128;
    private static final boolean LOG = Boolean.getBoolean("diffusion4j.cudnn.log");
    // -Ddiffusion4j.cudnn.attentionCandidates=N: time up to N engine configurations per plan. Off (1: the heuristics'
    // first) by default: on an H100 it picks a DiT forward config 19% faster alone, but DiT's sampling was 0.6-1.3%
    // slower with it over two rounds (BENCHMARKS.md, twenty-first session)
    private static final int TIMED = Integer.getInteger("diffusion4j.cudnn.attentionCandidates", 1);
    private static final int TIMED_RUNS = 5;
    private static final double MARGIN = 0.97;   // another candidate must beat the heuristics' first by 3%, as cuBLASLt's must
    private static final int BF16 = CudnnApi.CUDNN_DATA_BFLOAT16, F32 = CudnnApi.CUDNN_DATA_FLOAT;
    // non-virtual tensors' unique ids (the variant pack's keys); virtual ones count up from VIRTUAL
    private static final long Q = 1, K = 2, V = 3, O = 4, STATS = 5, SCALE = 6, DO = 7, DQ = 8, DK = 9, DV = 10, DOT = 11, ONE = 12;
    private static final long VIRTUAL = 100;
    private static final int ALIGNMENT = 16;   // bytes: what aligned() checks of every operand

    /** The geometry of a call: [n1, n2] batches, lengths, head dims and each operand's {batch1, batch2, row} strides. */
    record Shape(int n1, int n2, int lq, int lk, int d, int dv, List<Long> strides, float scale) {}

    private record Plan(long plan, long workspaceBytes, long[] uids, long[] owned, MemorySegment scalars, String engine) {}

    private final CudaBackend backend;
    private final Map<Object, Plan> plans = new HashMap<>();
    private final Map<Object, String> refused = new HashMap<>();
    private final Arena arena = Arena.ofShared();   // the plans' by-value scalars, kept as long as the backend
    private long forwards, backwards;
    private GemmChoices choices;   // the timed choices kept on disk, opened on first use

    CudnnAttention(CudaBackend backend) {
        this.backend = backend;
    }

    /** Whether cuDNN's engines may take operands of these head dims (bf16 only; the rest is up to the engines). */
    static boolean covers(int d, int dv) {
        return d % 8 == 0 && dv % 8 == 0 && Math.max(d, dv) <= MAX_HEAD_DIM;
    }

    /** Why each refused graph had no engine, by {backward?, shape}: for tests and logs. */
    synchronized Map<Object, String> refusals() { return Map.copyOf(refused); }

    /** Forwards and backwards run through cuDNN so far. */
    synchronized long[] runs() { return new long[] {forwards, backwards}; }

    /**
     * out and lse for q, k, v (views {address, s1, s2, row, col} of a {@link BatchFold}); false, having queued nothing,
     * when no engine takes the shape.
     */
    synchronized boolean forward(Shape s, Object[] q, Object[] k, Object[] v, Object[] out, Tensor lse) {
        if (!aligned(q, k, v, out)) return false;
        Object key = List.of(false, s);
        long[] pointers = {address(q), address(k), address(v), address(out), CudaBackend.ptr(lse).deviceAddress()};
        Plan p = plan(key, g -> buildForward(g, s), pointers);
        if (p == null || !run(key, p, pointers)) return false;
        forwards++;
        return true;
    }

    /** dq, dk, dv for the forward's out and lse and the output gradient g; false, having queued nothing, when no engine takes it. */
    synchronized boolean backward(Shape s, Object[] q, Object[] k, Object[] v, Object[] out, Object[] g, Tensor lse,
                                  Object[] dq, Object[] dk, Object[] dv) {
        if (!aligned(q, k, v, out, g, dq, dk, dv)) return false;
        Object key = List.of(true, s);
        if (refused.containsKey(key)) return false;   // before the scratch: the kernels take it from here
        try (DeviceBuffer dot = backend.scratch(4L * s.n1() * s.n2() * s.lq())) {
            long[] pointers = {address(q), address(k), address(v), address(out), CudaBackend.ptr(lse).deviceAddress(), address(g),
                    address(dq), address(dk), address(dv), dot.address()};
            Plan p = plan(key, graph -> buildBackward(graph, s), pointers);
            if (p == null || !run(key, p, pointers)) return false;
        }
        backwards++;
        return true;
    }

    private static long address(Object[] view) { return ((TensorPointer) view[0]).deviceAddress(); }

    /** cuDNN's engines want 16-byte aligned operands: addresses and batch and row strides of 8 bf16 elements. */
    private static boolean aligned(Object[]... views) {
        for (Object[] v : views)
            if (address(v) % ALIGNMENT != 0 || (long) v[1] % 8 != 0 || (long) v[2] % 8 != 0 || (long) v[3] % 8 != 0 || (long) v[4] != 1) return false;
        return true;
    }

    /** {s1, s2, row} strides of the views, in order, for a {@link Shape} (columns must be dense: see {@link #aligned}). */
    static List<Long> strides(Object[]... views) {
        List<Long> out = new ArrayList<>();
        for (Object[] v : views) {
            out.add((long) v[1]);
            out.add((long) v[2]);
            out.add((long) v[3]);
        }
        return List.copyOf(out);
    }

    /**
     * The plan for {@code key}, built on first use: of up to {@link #TIMED} engine configurations that build, the one an
     * earlier process on this device model and cuDNN version chose ({@link GemmChoices}), else outside a graph capture
     * the fastest, timed on the call's own operands (their outputs are overwritten by the real run after), else the
     * heuristics' first.
     */
    private Plan plan(Object key, Function<Graph, List<Plan>> build, long[] pointers) {
        if (refused.containsKey(key)) return null;
        Plan p = plans.get(key);
        if (p != null) return p;
        Graph g = new Graph(Math.max(1, TIMED));
        List<Plan> built;
        try {
            built = build.apply(g);
        } catch (RuntimeException | LinkageError e) {   // a graph cuDNN will not take (or no cuDNN): the caller's kernels run
            g.owned.forEach(CudnnGraphApi::destroy);
            refuse(key, String.valueOf(e.getMessage()));
            return null;
        }
        if (built.isEmpty()) {
            g.owned.forEach(CudnnGraphApi::destroy);
            refuse(key, "no engine builds the graph");
            return null;
        }
        float[] ms = new float[built.size()];
        java.util.Arrays.fill(ms, Float.NaN);
        int pick = 0;
        if (built.size() > 1) {   // a choice kept by an earlier process (the same bits on resume), else timed here
            String name = built.size() + " " + key;
            pick = choices().get(name);
            if (pick < 0 || pick >= built.size()) {
                pick = 0;   // a capture (on any thread) cannot wait for the device: then, or where timing fails, the heuristics' first
                if (!backend.context().capturesOnThisThread()) try {
                    pick = choices().keep(name, fastest(ms = time(built, pointers)));
                } catch (RuntimeException e) {
                    if (LOG) System.err.println("cudnn attention " + key + ": candidates not timed (" + e.getMessage() + ")");
                }
            }
        }
        p = built.get(pick);
        for (Plan other : built) if (other != p) destroy(other.plan());
        if (LOG) System.err.println("cudnn attention " + key + ": " + candidates(built, ms, p) + ", workspace " + Bytes.format(p.workspaceBytes()));
        plans.put(key, p);
        return p;
    }

    private GemmChoices choices() {
        if (choices == null) {
            DeviceProperties d = backend.context().properties();
            choices = GemmChoices.of(GemmChoices.file(KernelCache.defaultDirectory(), "cudnn-attention", d.name(), d.computeCapability(), Cudnn.version()));
        }
        return choices;
    }

    /**
     * Each candidate's device time on the call's operands (NaN where it failed to run): the lesser of two passes, in
     * the heuristics' order and then reversed, so that the first candidates are not the ones timed while the clocks rise.
     */
    private float[] time(List<Plan> candidates, long[] pointers) {
        int n = candidates.size();
        backend.context().synchronize();   // every candidate starts on an idle stream
        float[] ms = CandidateTiming.millis(backend.context(), n, TIMED_RUNS, i -> launch(candidates.get(i), pointers));
        float[] back = CandidateTiming.millis(backend.context(), n, TIMED_RUNS, i -> launch(candidates.get(n - 1 - i), pointers));
        if (LOG) System.err.println("cudnn attention timing passes: " + java.util.Arrays.toString(ms) + ", reversed " + java.util.Arrays.toString(back));
        for (int i = 0; i < n; i++) ms[i] = Float.isNaN(ms[i]) || Float.isNaN(back[n - 1 - i]) ? Float.NaN : Math.min(ms[i], back[n - 1 - i]);
        return ms;
    }

    private boolean launch(Plan p, long[] pointers) {
        try {
            execute(p, pointers);
            return true;
        } catch (RuntimeException e) {
            return false;   // an engine that fails to execute is no candidate
        }
    }

    /** The heuristics' first (index 0) unless another ran faster by more than {@link #MARGIN}. */
    static int fastest(float[] ms) { return CandidateTiming.fastest(ms, MARGIN); }

    private static String candidates(List<Plan> built, float[] ms, Plan chosen) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < built.size(); i++)
            b.append(i == 0 ? "" : ", ").append(built.get(i).engine()).append(Float.isNaN(ms[i]) ? "" : String.format(" %.3f ms", ms[i]))
                    .append(built.get(i) == chosen ? " *" : "");
        return b.toString();
    }

    /**
     * Executes a plan; false where cuDNN fails to (the plan is dropped and the shape refused from then on, so the caller's
     * kernels, which write every output, run instead).
     */
    private boolean run(Object key, Plan p, long... pointers) {
        LaunchProfile.Span span = LaunchProfile.ENABLED ? LaunchProfile.begin(backend.context()) : null;
        try {
            execute(p, pointers);
            return true;
        } catch (RuntimeException e) {
            plans.remove(key);
            destroy(p.plan());
            for (long d : p.owned()) destroy(d);
            refuse(key, "execution failed: " + e.getMessage());
            return false;
        } finally {
            if (span != null) span.end(profileLabel(key, p));   // as the convolutions do: a failed call is a row too
        }
    }

    /** Direction, geometry and engine, for the launch profile. */
    private static String profileLabel(Object key, Plan p) {
        List<?> k = (List<?>) key;
        Shape s = (Shape) k.get(1);
        return "cudnn attention " + ((Boolean) k.get(0) ? "backward" : "forward") + " " + s.n1() + "x" + s.n2() + " L" + s.lq() + "x" + s.lk()
                + " d" + s.d() + " " + p.engine();
    }

    /** Remembers why a graph is not run through cuDNN, so that its shape goes to the kernels from now on. */
    private void refuse(Object key, String why) {
        refused.put(key, why);
        if (LOG) System.err.println("cudnn attention " + key + ": " + why + " (attention_mma kernels run)");
    }

    private void execute(Plan p, long[] pointers) {
        long handle = handle();
        try (Arena a = Arena.ofConfined();
             DeviceBuffer ws = p.workspaceBytes() == 0 ? null : backend.context().allocate(p.workspaceBytes())) {
            int n = p.uids().length;
            MemorySegment ptrs = a.allocate(JAVA_LONG, n);
            for (int i = 0; i < pointers.length; i++) ptrs.setAtIndex(JAVA_LONG, i, pointers[i]);
            for (int i = pointers.length; i < n; i++) ptrs.setAtIndex(JAVA_LONG, i, p.scalars().address() + 4L * (i - pointers.length));
            long pack = create(VARIANT_PACK_DESCRIPTOR);
            try {
                set(pack, ATTR_VARIANT_PACK_UNIQUE_IDS, TYPE_INT64, n, a.allocateFrom(JAVA_LONG, p.uids()));
                set(pack, ATTR_VARIANT_PACK_DATA_POINTERS, TYPE_VOID_PTR, n, ptrs);
                set(pack, ATTR_VARIANT_PACK_WORKSPACE, TYPE_VOID_PTR, 1, a.allocateFrom(JAVA_LONG, ws == null ? 0 : ws.address()));
                finish(pack, "variant pack");
                CudnnGraphApi.execute(handle, p.plan(), pack);
            } finally {
                destroy(pack);
            }
        }
    }

    /** Builds operation graphs: tensors and ops, each finalized, every descriptor kept for the plan's lifetime. */
    private final class Graph {
        final List<Long> owned = new ArrayList<>(), ops = new ArrayList<>();
        final int maxPlans;
        long nextVirtual = VIRTUAL;

        Graph(int maxPlans) { this.maxPlans = maxPlans; }

        long tensor(long uid, int type, long[] dims, long[] strides) { return keep(CudnnGraphApi.tensor(type, uid, dims, strides, ALIGNMENT, false, false)); }

        long virtual(int type, long[] dims, long[] strides) {
            return keep(CudnnGraphApi.tensor(type, nextVirtual++, dims, strides, ALIGNMENT, true, false));
        }

        long scalar(long uid) { return keep(CudnnGraphApi.tensor(F32, uid, new long[] {1, 1, 1, 1}, new long[] {1, 1, 1, 1}, ALIGNMENT, false, true)); }

        long keep(long desc) {
            owned.add(desc);
            return desc;
        }

        void matmul(long a, long b, long c) {
            long mm = config(MATMUL_DESCRIPTOR, -1, 0, 0, ATTR_MATMUL_COMP_TYPE);
            operation(OPERATION_MATMUL_DESCRIPTOR, "matmul", ATTR_OPERATION_MATMUL_ADESC, a, ATTR_OPERATION_MATMUL_BDESC, b,
                    ATTR_OPERATION_MATMUL_CDESC, c, ATTR_OPERATION_MATMUL_DESC, mm);
        }

        /** y = mode(x) or mode(x, b) (b = 0 for a unary mode), in f32 arithmetic. */
        void pointwise(int mode, long x, long b, long y) {
            long pw = config(POINTWISE_DESCRIPTOR, ATTR_POINTWISE_MODE, TYPE_POINTWISE_MODE, mode, ATTR_POINTWISE_MATH_PREC);
            operation(OPERATION_POINTWISE_DESCRIPTOR, "pointwise " + mode, ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, pw,
                    ATTR_OPERATION_POINTWISE_XDESC, x, ATTR_OPERATION_POINTWISE_BDESC, b, ATTR_OPERATION_POINTWISE_YDESC, y);
        }

        void reduce(int operator, long x, long y) {
            long r = config(REDUCTION_DESCRIPTOR, ATTR_REDUCTION_OPERATOR, TYPE_REDUCTION_OPERATOR, operator, ATTR_REDUCTION_COMP_TYPE);
            operation(OPERATION_REDUCTION_DESCRIPTOR, "reduction " + operator, ATTR_OPERATION_REDUCTION_DESC, r,
                    ATTR_OPERATION_REDUCTION_XDESC, x, ATTR_OPERATION_REDUCTION_YDESC, y);
        }

        void reshape(long x, long y) {
            operation(OPERATION_RESHAPE_DESCRIPTOR, "reshape", ATTR_OPERATION_RESHAPE_XDESC, x, ATTR_OPERATION_RESHAPE_YDESC, y);
        }

        /** A virtual tensor of dense strides. */
        long dense(int type, long[] dims) { return virtual(type, dims, denseStrides(dims)); }

        /** matmul(a, b) into a new dense virtual tensor of f32, returned. */
        long matmul(long a, long b, long[] dims) {
            long c = dense(F32, dims);
            matmul(a, b, c);
            return c;
        }

        /** pointwise(mode, x, b) into a new dense virtual tensor, returned. */
        long pointwise(int mode, long x, long b, int type, long[] dims) {
            long y = dense(type, dims);
            pointwise(mode, x, b, y);
            return y;
        }

        /** reduce(operator, x) into a new dense virtual tensor of f32, returned. */
        long reduce(int operator, long x, long[] dims) {
            long y = dense(F32, dims);
            reduce(operator, x, y);
            return y;
        }

        /** An op's configuration: its mode attribute (none where modeAttr < 0) and f32 arithmetic, finalized. */
        private long config(int type, int modeAttr, int modeType, int mode, int computeAttr) {
            long d = keep(create(type));
            if (modeAttr >= 0) setInt(d, modeAttr, modeType, mode);
            setInt(d, computeAttr, TYPE_DATA_TYPE, F32);
            finish(d, "configuration of type " + type);
            return d;
        }

        /** A graph operation whose attributes are descriptors, set in the order given (pairs of name and descriptor; 0 skips one). */
        private void operation(int type, String what, long... nameAndDescriptor) {
            long op = keep(create(type));
            for (int i = 0; i < nameAndDescriptor.length; i += 2)
                if (nameAndDescriptor[i + 1] != 0) setLongs(op, (int) nameAndDescriptor[i], TYPE_BACKEND_DESCRIPTOR, nameAndDescriptor[i + 1]);
            finish(op, what + " operation");
            ops.add(op);
        }

        /** Up to maxPlans plans that build for the graph, in the heuristics' order (none: empty); uids name the variant pack's order. */
        List<Plan> plans(long[] uids, float[] scalars, String what) {
            long handle = handle();
            long graph = keep(create(OPERATIONGRAPH_DESCRIPTOR));
            setLongs(graph, ATTR_OPERATIONGRAPH_HANDLE, TYPE_HANDLE, handle);
            setLongs(graph, ATTR_OPERATIONGRAPH_OPS, TYPE_BACKEND_DESCRIPTOR, ops.stream().mapToLong(Long::longValue).toArray());
            finish(graph, what + " operation graph");
            MemorySegment values = arena.allocateFrom(JAVA_FLOAT, scalars);
            List<Built> built = new ArrayList<>();
            try {
                for (long cfg : engineConfigs(graph, owned, engine -> true)) {
                    if (built.size() >= maxPlans) break;
                    Built b = tryPlan(handle, cfg, owned, WORKSPACE_LIMIT);
                    if (b != null) built.add(b);
                }
            } catch (RuntimeException e) {   // the plans built so far are not among the descriptors the caller destroys
                built.forEach(b -> destroy(b.plan()));
                throw e;
            }
            long[] descriptors = owned.stream().mapToLong(Long::longValue).toArray();   // the chosen plan keeps them all
            List<Plan> out = new ArrayList<>();
            for (Built b : built)   // the same engine can come twice (mode A's list, then the fallback's): the index tells them apart
                out.add(new Plan(b.plan(), b.workspaceBytes(), uids, descriptors, values,
                        "engine " + b.engineIndex() + (maxPlans > 1 ? " #" + out.size() : "")));
            return out;
        }
    }

    private long handle() { return backend.cudnn().handle(); }

    // dims and strides of an operand [n1, n2, rows, cols] whose strides are the i-th triple of s.strides()
    private static long[] dims(Shape s, int rows, int cols) { return new long[] {s.n1(), s.n2(), rows, cols}; }

    private static long[] strides(Shape s, int i) {
        List<Long> st = s.strides();
        return new long[] {st.get(3 * i), st.get(3 * i + 1), st.get(3 * i + 2), 1};
    }

    /** The transpose of operand i ([n1, n2, cols, rows] over the same memory). */
    private static long[] stridesT(Shape s, int i) {
        long[] t = strides(s, i);
        return new long[] {t[0], t[1], 1, t[2]};
    }

    /** Operand order in a forward Shape's strides: q, k, v, out. */
    private static List<Plan> buildForward(Graph g, Shape s) {
        long[] sDims = {s.n1(), s.n2(), s.lq(), s.lk()}, rowDims = {s.n1(), s.n2(), s.lq(), 1};
        long q = g.tensor(Q, BF16, dims(s, s.lq(), s.d()), strides(s, 0));
        long kt = g.tensor(K, BF16, dims(s, s.d(), s.lk()), stridesT(s, 1));
        long v = g.tensor(V, BF16, dims(s, s.lk(), s.dv()), strides(s, 2));
        long o = g.tensor(O, BF16, dims(s, s.lq(), s.dv()), strides(s, 3));
        long stats = g.tensor(STATS, F32, rowDims, denseStrides(rowDims));
        long scale = g.scalar(SCALE);
        long scores = g.matmul(q, kt, sDims);
        long scaled = g.pointwise(POINTWISE_MUL, scores, scale, F32, sDims);
        long max = g.reduce(REDUCE_MAX, scaled, rowDims);
        long shifted = g.pointwise(POINTWISE_SUB, scaled, max, F32, sDims);
        long exp = g.pointwise(POINTWISE_EXP, shifted, 0, F32, sDims);
        long sum = g.reduce(REDUCE_ADD, exp, rowDims);
        long logSum = g.pointwise(POINTWISE_LOG, sum, 0, F32, rowDims);
        g.pointwise(POINTWISE_ADD, max, logSum, stats);
        long p = g.pointwise(POINTWISE_DIV, exp, sum, BF16, sDims);   // the second matmul takes P in the operands' type
        g.matmul(p, v, o);
        return g.plans(new long[] {Q, K, V, O, STATS, SCALE}, new float[] {s.scale()}, "attention forward");
    }

    /** Operand order in a backward Shape's strides: q, k, v, out, g (dO), dq, dk, dv. */
    private static List<Plan> buildBackward(Graph g, Shape s) {
        long[] sDims = {s.n1(), s.n2(), s.lq(), s.lk()}, rowDims = {s.n1(), s.n2(), s.lq(), 1};
        long[] sT = {s.n1(), s.n2(), s.lk(), s.lq()}, sTStrides = {(long) s.n2() * s.lq() * s.lk(), (long) s.lq() * s.lk(), 1, s.lk()};
        long q = g.tensor(Q, BF16, dims(s, s.lq(), s.d()), strides(s, 0));
        long kt = g.tensor(K, BF16, dims(s, s.d(), s.lk()), stridesT(s, 1));
        long vt = g.tensor(V, BF16, dims(s, s.dv(), s.lk()), stridesT(s, 2));
        long o = g.tensor(O, BF16, dims(s, s.lq(), s.dv()), strides(s, 3));
        long dO = g.tensor(DO, BF16, dims(s, s.lq(), s.dv()), strides(s, 4));
        long dq = g.tensor(DQ, BF16, dims(s, s.lq(), s.d()), strides(s, 5));
        long dk = g.tensor(DK, BF16, dims(s, s.lk(), s.d()), strides(s, 6));
        long dv = g.tensor(DV, BF16, dims(s, s.lk(), s.dv()), strides(s, 7));
        long stats = g.tensor(STATS, F32, rowDims, denseStrides(rowDims));
        long scale = g.scalar(SCALE), one = g.scalar(ONE);
        // rowsum(dO * O), kept in memory (the frontend's softmax_sum)
        long prod = g.pointwise(POINTWISE_MUL, dO, o, F32, dims(s, s.lq(), s.dv()));
        long rowDot = g.reduce(REDUCE_ADD, prod, rowDims);
        long dot = g.tensor(DOT, F32, rowDims, denseStrides(rowDims));
        g.pointwise(POINTWISE_MUL, rowDot, one, dot);
        // P = exp(scale * Q K^T - lse)
        long scores = g.matmul(q, kt, sDims);
        long scaled = g.pointwise(POINTWISE_MUL, scores, scale, F32, sDims);
        long shifted = g.pointwise(POINTWISE_SUB, scaled, stats, F32, sDims);
        long p = g.pointwise(POINTWISE_EXP, shifted, 0, F32, sDims);
        // dV = P^T dO
        long pT = g.virtual(BF16, sT, sTStrides);
        g.reshape(p, pT);
        g.matmul(pT, dO, dv);
        // dS = scale * P * (dO V^T - rowsum(dO * O))
        long dP = g.matmul(dO, vt, sDims);
        long centred = g.pointwise(POINTWISE_SUB, dP, dot, F32, sDims);
        long dSraw = g.pointwise(POINTWISE_MUL, centred, p, F32, sDims);
        long dS = g.pointwise(POINTWISE_MUL, dSraw, scale, F32, sDims);
        // dK = dS^T Q, dQ = dS K
        long dST = g.virtual(BF16, sT, sTStrides);
        g.reshape(dS, dST);
        g.matmul(dST, q, dk);
        long k = g.virtual(BF16, dims(s, s.lk(), s.d()), strides(s, 1));
        g.reshape(kt, k);
        g.matmul(dS, k, dq);
        return g.plans(new long[] {Q, K, V, O, STATS, DO, DQ, DK, DV, DOT, SCALE, ONE}, new float[] {s.scale(), 1f}, "attention backward");
    }
}
