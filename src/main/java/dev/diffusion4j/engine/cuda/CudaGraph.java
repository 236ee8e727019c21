package dev.diffusion4j.engine.cuda;

import dev.diffusion4j.engine.CapturedGraph;

/** An instantiated CUDA graph (CUgraphExec) and the pool of memory its recorded work uses; see {@link CudaContext#capture}. */
public final class CudaGraph implements CapturedGraph {
    private final CudaContext context;
    private final long exec;
    private final long nodes;
    private final CudaAllocator.GraphPool pool;
    private boolean closed;

    CudaGraph(CudaContext context, long exec, long nodes, CudaAllocator.GraphPool pool) {
        this.context = context;
        this.exec = exec;
        this.nodes = nodes;
        this.pool = pool;
    }

    @Override
    public synchronized void replay() {
        if (closed) throw new IllegalStateException("replay of a closed CUDA graph");
        context.requireNotCapturing("a graph replay");
        context.makeCurrent();
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
    }
}
