package dev.diffusion4j.engine;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A function of tensors run as a recorded device graph (CUDA graphs) once it has run eagerly: per input signature
 * (shapes, types, device, the autocast and TF32 state), the first call runs eagerly (it compiles kernels, plans
 * convolutions and fills autocast's cast cache), the second records the function's device work against fixed input
 * buffers and replays it, and every later call copies its inputs into those buffers and replays: one launch instead
 * of hundreds, so no host time per kernel.
 *
 * <p>Only a function whose result depends on nothing but its input tensors and the device memory it reads
 * (parameters, cached casts) may be graphed: a value fixed on the host when the graph was recorded (a step counter
 * in a closure, a host-side table lookup) would be replayed unchanged. The engine refuses what it can see: reads to
 * the host, uploads, waits and random draws inside the recording throw {@link GraphCaptureException}, and the
 * function then runs eagerly for that signature (once noted on standard error). Calls with gradients recorded,
 * on backends without graphs, or with {@code -Ddiffusion4j.cuda.graphs=false} always run eagerly.
 *
 * <p>Each result is a fresh copy, so callers may keep it across calls. A graph holds its own memory (its
 * intermediates) until {@link #close()}; at most {@link #MAX_GRAPHS} signatures keep one, and a new signature whose
 * first calls fail (out of memory, say) while others hold graphs runs again after those are freed.
 *
 * <p>{@link #trainingStep} graphs a step that records gradients: forward, backward and whatever reads the gradients
 * (clipping), with random draws that follow their generators ({@link GraphRandom}). The gradients a recording leaves
 * on the parameters live in the graph's memory; each replay rewrites them and puts them back on the parameters.
 * Training steps are recorded unless {@code -Ddiffusion4j.cuda.trainingGraphs=false} ({@link #trainingStepsEnabled}).
 */
public final class GraphedFunction implements AutoCloseable {
    /** Graphs kept at once, least recently used dropped first. */
    public static final int MAX_GRAPHS = 4;
    private static volatile boolean enabled = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.graphs", "true"));
    // on since the thirteenth session: on an H200 the GPU tests (replayed steps equal to eager ones, bit for bit) passed
    // with them, and bf16 training ran 3.0x (fmnist-small), 1.7x (ddpm-cifar10) and 1.02x (DiT-S/2) faster (BENCHMARKS.md)
    private static volatile boolean trainingSteps = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.cuda.trainingGraphs", "true"));

    private final Function<List<Tensor>, Tensor> body;
    private final String name;
    private final Supplier<List<Tensor>> gradientHolders;   // null: a function without gradients
    private final Map<List<Object>, Recorded> graphs = new LinkedHashMap<>(8, 0.75f, true);
    private final Set<List<Object>> warmed = new HashSet<>();
    private final Set<List<Object>> refused = new HashSet<>();
    private long generation = Autocast.generation();
    private long replays, captures;
    private String lastRefusal;
    private boolean closed;

    /** {@code name} says what the graph is in the note printed when a recording is refused. */
    public GraphedFunction(String name, Function<List<Tensor>, Tensor> body) { this(name, body, null); }

    private GraphedFunction(String name, Function<List<Tensor>, Tensor> body, Supplier<List<Tensor>> gradientHolders) {
        this.name = name;
        this.body = body;
        this.gradientHolders = gradientHolders;
    }

    /**
     * A training step (see the class comment): {@code body} records gradients onto {@code parameters} (their tensors,
     * asked for at each recording) and returns what the caller reads (a loss, a norm). It must start from no gradients
     * (zero them first) and leave the parameters' values alone: an optimizer step after it runs eagerly, outside the
     * graph. Its casts under autocast are its own (casts are not cached while gradients are recorded).
     */
    public static GraphedFunction trainingStep(String name, Function<List<Tensor>, Tensor> body, Supplier<List<Tensor>> parameters) {
        return new GraphedFunction(name, body, parameters);
    }

    /** Whether graphs are on ({@code -Ddiffusion4j.cuda.graphs}, default true; the CLI's --no-cuda-graphs). */
    public static boolean enabled() { return enabled; }

    /** Turns graphs on or off for later calls of every graphed function. */
    public static void setEnabled(boolean on) { enabled = on; }

    /**
     * Whether {@link #trainingStep}s are recorded, and random draws inside any recording follow their generators
     * ({@link GraphRandom}; without, a recording that draws is refused): unless {@code -Ddiffusion4j.cuda.trainingGraphs=false},
     * and only where {@link #enabled()}.
     */
    public static boolean trainingStepsEnabled() { return trainingSteps && enabled; }

    /** Turns training-step graphs (and random draws in recordings) on or off for later calls. */
    public static void setTrainingStepsEnabled(boolean on) { trainingSteps = on; }

    /** body(inputs), replayed from a graph where it can be (see the class comment); null entries are allowed. */
    public synchronized Tensor apply(List<Tensor> inputs) {
        Backend backend = backendOf(inputs);
        boolean training = gradientHolders != null;
        if (closed || !enabled || training && !trainingSteps || backend == null || !backend.capturesGraphs() || GradMode.isEnabled() != training)
            return body.apply(inputs);
        if (!training && Autocast.generation() != generation) {   // the casts a graph read were dropped or replaced: record anew
            closeGraphs();
            warmed.clear();
            refused.clear();
            generation = Autocast.generation();
        }
        List<Object> key = signature(inputs);
        Recorded g = graphs.get(key);
        if (g != null) return g.run(inputs);
        try {
            return firstCalls(backend, key, inputs);
        } catch (RuntimeException e) {
            if (graphs.isEmpty()) throw e;
            // the other signatures' graphs hold memory of their own (out of memory, say): free them, run eagerly once more
            closeGraphs();
            warmed.remove(key);
            return firstCalls(backend, key, inputs);
        }
    }

    /** A signature's first call (eager) or second (recorded, then replayed; eager where the recording is refused). */
    private Tensor firstCalls(Backend backend, List<Object> key, List<Tensor> inputs) {
        if (refused.contains(key) || warmed.add(key)) return body.apply(inputs);
        Recorded g = record(backend, key, inputs);
        return g == null ? body.apply(inputs) : g.run(inputs);
    }

    private Recorded record(Backend backend, List<Object> key, List<Tensor> inputs) {
        // the fixed input buffers need no values yet: a recording runs nothing, and the replay that follows fills them
        List<Tensor> fixed = new ArrayList<>(inputs.size());
        for (Tensor x : inputs) fixed.add(x == null ? null : x.backend().empty(x.shape(), x.dtype()));
        Tensor[] out = new Tensor[1];
        CapturedGraph graph;
        try {
            graph = Autocast.withoutNewCasts(() -> backend.capture(() -> out[0] = body.apply(fixed)));
        } catch (GraphCaptureException e) {
            refused.add(key);
            String why = e.getMessage() + asker(e);
            if (lastRefusal == null) System.err.println("note: " + name + " runs without a CUDA graph: " + why);
            lastRefusal = why;
            return null;
        }
        captures++;
        List<Tensor> holders = gradientHolders == null ? List.of() : List.copyOf(gradientHolders.get());
        List<Tensor> grads = new ArrayList<>(holders.size());
        for (Tensor p : holders) grads.add(p.grad());
        Recorded r = new Recorded(graph, fixed, out[0], Autocast.cachedCasts(), holders, grads);
        graphs.put(key, r);
        if (graphs.size() > MAX_GRAPHS) {
            Iterator<Recorded> eldest = graphs.values().iterator();
            eldest.next().graph.close();
            eldest.remove();
        }
        return r;
    }

    /** " (at the first frame outside the engine)": the model code that asked for what a graph cannot hold. */
    private static String asker(Throwable e) {
        Throwable source = e.getCause() != null ? e.getCause() : e;
        for (StackTraceElement f : source.getStackTrace())
            if (!f.getClassName().startsWith("dev.diffusion4j.engine.") && f.getClassName().startsWith("dev.diffusion4j.")) return " (at " + f + ")";
        return "";
    }

    /** A contiguous copy of x in new memory (never x itself: the graph rewrites its output at the next replay). */
    private static Tensor copyOf(Tensor x) {
        Tensor c = x.backend().empty(x.shape(), x.dtype());
        x.backend().copyInto(c, x);
        return c;
    }

    /** What decides which recording fits: each input's device, type and shape (or its absence), and the modes that pick kernels. */
    private static List<Object> signature(List<Tensor> inputs) {
        List<Object> key = new ArrayList<>(inputs.size() + 2);
        for (Tensor x : inputs) key.add(x == null ? "null" : x.device() + "/" + x.dtype().id() + java.util.Arrays.toString(x.shape()));
        key.add(String.valueOf(Autocast.active()));
        key.add(Precision.tf32Allowed());
        return key;
    }

    private static Backend backendOf(List<Tensor> inputs) {
        Backend b = null;
        for (Tensor x : inputs) {
            if (x == null) continue;
            if (b == null) b = x.backend();
            else if (b != x.backend()) return null;
        }
        return b;
    }

    /**
     * One signature's graph: the fixed input buffers it reads, the output it writes, the cached casts it read (kept
     * alive here, since the cache may drop them while the graph lives), and for a training step the gradients it
     * writes with the parameters that hold them.
     */
    private final class Recorded {
        final CapturedGraph graph;
        final List<Tensor> inputs;
        final Tensor output;
        @SuppressWarnings("unused") final List<Tensor> casts;
        final List<Tensor> holders, grads;

        Recorded(CapturedGraph graph, List<Tensor> inputs, Tensor output, List<Tensor> casts, List<Tensor> holders, List<Tensor> grads) {
            this.graph = graph;
            this.inputs = inputs;
            this.output = output;
            this.casts = casts;
            this.holders = holders;
            this.grads = grads;
        }

        Tensor run(List<Tensor> args) {
            for (int i = 0; i < args.size(); i++) if (args.get(i) != null) args.get(i).backend().copyInto(inputs.get(i), args.get(i));
            graph.replay();
            replays++;
            for (int i = 0; i < holders.size(); i++) holders.get(i).setGrad(grads.get(i));
            return copyOf(output);
        }
    }

    /** Replays so far (calls served by a graph). */
    public synchronized long replays() { return replays; }

    /** Graphs recorded so far. */
    public synchronized long captures() { return captures; }

    /** Why the last recording was refused, or null. */
    public synchronized String lastRefusal() { return lastRefusal; }

    /** Operations in the most recently used graph, or 0 where none is kept. */
    public synchronized long operations() {
        long n = 0;
        for (Recorded r : graphs.values()) n = r.graph.operations();
        return n;
    }

    private void closeGraphs() {
        for (Recorded r : graphs.values()) r.graph.close();
        graphs.clear();
    }

    /** Frees the graphs and their memory; later calls run eagerly. */
    @Override
    public synchronized void close() {
        closed = true;
        closeGraphs();
    }
}
