package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.GraphedFunction;
import dev.diffusion4j.engine.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A denoiser replayed from CUDA graphs ({@link GraphedFunction}): after one eager call per input signature, each
 * call copies x_t, t and the conditioning tensors into fixed buffers and replays the recorded network in one launch.
 * Wrap a network's own forward (models' NetworkDenoiser), whose output depends on its input tensors alone; not a
 * closure over host values that change from call to call (guidance with a step-dependent scale, say), whose recorded
 * values a replay would repeat. On the CPU, with gradients recorded, or with {@code -Ddiffusion4j.cuda.graphs=false}
 * it calls the denoiser directly. Close it to free the graphs' memory.
 */
public final class GraphedDenoiser implements Denoiser, AutoCloseable {
    private final Denoiser network;
    /** One graphed function per set of conditioning names (null: no conditioning), normally just one. */
    private final Map<List<String>, GraphedFunction> byNames = new HashMap<>();

    public GraphedDenoiser(Denoiser network) {
        this.network = network;
    }

    @Override
    public synchronized Tensor apply(Tensor xt, Tensor t, Conditioning cond) {
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(xt);
        inputs.add(t);
        List<String> names = cond == null ? null : List.copyOf(cond.names());
        if (cond != null) inputs.addAll(cond.asMap().values());
        return byNames.computeIfAbsent(names, n -> new GraphedFunction("the denoiser", in -> body(n, in))).apply(inputs);
    }

    private Tensor body(List<String> names, List<Tensor> inputs) {
        Conditioning cond = null;
        if (names != null) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) m.put(names.get(i), inputs.get(2 + i));
            cond = Conditioning.of(m);
        }
        return network.apply(inputs.get(0), inputs.get(1), cond);
    }

    /** Calls served by a graph replay so far. */
    public synchronized long replays() {
        return byNames.values().stream().mapToLong(GraphedFunction::replays).sum();
    }

    /** Graphs recorded so far. */
    public synchronized long captures() {
        return byNames.values().stream().mapToLong(GraphedFunction::captures).sum();
    }

    /** Why the last recording was refused, or null. */
    public synchronized String lastRefusal() {
        for (GraphedFunction f : byNames.values()) if (f.lastRefusal() != null) return f.lastRefusal();
        return null;
    }

    @Override
    public synchronized void close() {
        for (GraphedFunction f : byNames.values()) f.close();
    }
}
