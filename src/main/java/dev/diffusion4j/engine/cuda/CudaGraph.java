package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.CapturedGraph;
import dev.diffusion4j.engine.GraphRandom;
import java.util.List;

/**
 * An instantiated CUDA graph (CUgraphExec), the pool of memory its recorded work uses, and the generators its random
 * draws follow (their offsets written into the slots before each replay, see {@link GraphRandom}); see
 * {@link CudaContext#capture}.
 */
public final class CudaGraph implements CapturedGraph {
    private final CudaContext context;
    private final long exec;
    private final long nodes;
    private final CudaAllocator.GraphPool pool;
    private final List<GraphRandom.Stream> streams;
    private final DeviceBuffer slots;   // null without random draws
    private boolean closed;

    CudaGraph(CudaContext context, long exec, long nodes, CudaAllocator.GraphPool pool, List<GraphRandom.Stream> streams, DeviceBuffer slots) {
        this.context = context;
        this.exec = exec;
        this.nodes = nodes;
        this.pool = pool;
        this.streams = List.copyOf(streams);
        this.slots = slots;
    }

    @Override
    public synchronized void replay() {
        if (closed) throw new IllegalStateException("replay of a closed CUDA graph");
        context.requireNotCapturing("a graph replay");
        context.makeCurrent();
        long[] offsets = GraphRandom.advanceForReplay(streams);
        for (int i = 0; i < offsets.length; i++) {   // two 32-bit stores each, queued before the launch (values by argument)
            context.fill32(slots.address() + 8L * i, (int) offsets[i], 1);
            context.fill32(slots.address() + 8L * i + 4, (int) (offsets[i] >>> 32), 1);
        }
        DriverApi.graphLaunch(exec, context.stream());
    }

    @Override
    public long operations() {
        return nodes;
    }

    /** Destroys the graph (a replay still queued finishes first, as the driver frees it on completion), then its pool. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        context.makeCurrent();
        DriverApi.graphExecDestroy(exec);
        pool.close();
        if (slots != null) slots.close();   // a queued replay's stores and reads come first on the stream
    }
}
