package dev.diffusion4j.engine;

import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.ModelPresets;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one forward's autograd graph keeps alive for its backward, on the CPU (BENCHMARKS.md, issue 14): the heap held
 * after a full collection, and the storages the graph's edges and backward closures reach (parameters excluded), by
 * the op that first reaches them. The closures are read by reflection, so this is a diagnostic, not an API.
 * <pre>
 * java -cp target/classes:target/test-classes:DEPS dev.diffusion4j.engine.GraphMemoryProbe dit-s/2 8
 * </pre>
 */
public final class GraphMemoryProbe {
    private final Map<Storage, Boolean> claimed = new IdentityHashMap<>();
    private final Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<String, Long> byOp = new TreeMap<>();

    public static void main(String[] args) throws Exception {
        ModelConfig cfg = ModelPresets.get(args[0]);
        int batch = Integer.parseInt(args[1]);
        DenoisingNetwork model = cfg.build(new Generator(0));
        Generator g = new Generator(1);
        Tensor x = Tensor.randn(g, DType.F32, Device.CPU, batch, cfg.inChannels(), cfg.resolution(), cfg.resolution());
        Tensor t = Tensor.randint(g, 0, 1000, Device.CPU, batch);
        Tensor y = cfg.numClasses() > 0 ? Tensor.randint(g, 0, cfg.numClasses(), Device.CPU, batch) : null;
        model.forward(x, t, y).sum().backward();   // a first step builds whatever is built lazily
        model.zeroGrad();
        long before = heapAfterCollection();
        Tensor out = model.forward(x, t, y);
        long held = heapAfterCollection() - before;
        GraphMemoryProbe probe = new GraphMemoryProbe();
        for (var p : model.parameters()) probe.claimed.put(p.data().storage(), Boolean.TRUE);
        long reached = probe.walk(out.gradFn());
        System.out.printf("%s batch %d f32: heap held by the forward's graph %.1f MiB; storages it reaches %.1f MiB%n",
                args[0], batch, held / 1048576.0, reached / 1048576.0);
        probe.byOp.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .forEach(e -> System.out.printf("  %-24s %9.1f MiB%n", e.getKey(), e.getValue() / 1048576.0));
        out.sum().backward();
    }

    private static long heapAfterCollection() throws InterruptedException {
        Runtime r = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return r.totalMemory() - r.freeMemory();
    }

    private long walk(Node root) throws IllegalAccessException {
        long total = 0;
        ArrayDeque<Node> stack = new ArrayDeque<>();
        Set<Node> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        if (root != null) stack.push(root);
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            if (!visited.add(n)) continue;
            total += scan(n.backward, n.name(), 0);
            for (Tensor leaf : n.leaves) total += claim(leaf, n.name());
            for (Node in : n.inputNodes) if (in != null) stack.push(in);
        }
        return total;
    }

    private long claim(Tensor t, String op) {
        if (t == null || claimed.put(t.storage(), Boolean.TRUE) != null) return 0;
        long bytes = (long) t.storage().length() * t.storage().dtype().byteSize();
        byOp.merge(op, bytes, Long::sum);
        return bytes;
    }

    /** The tensors a closure captured, directly or in arrays and nested captured objects (a few levels deep). */
    private long scan(Object o, String op, int depth) throws IllegalAccessException {
        if (o == null || depth > 3) return 0;
        if (o instanceof Tensor t) return claim(t, op);
        long sum = 0;
        if (o instanceof Object[] arr) {
            for (Object e : arr) sum += scan(e, op, depth + 1);
            return sum;
        }
        Class<?> c = o.getClass();
        if (!(c.isSynthetic() || c.isHidden()) || !seen.add(o)) return 0;
        for (Field f : c.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) continue;
            f.setAccessible(true);
            sum += scan(f.get(o), op, depth + 1);
        }
        return sum;
    }
}
