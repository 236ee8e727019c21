package dev.diffusion4j.engine.dist;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The in-process communicator: sums in rank order, broadcasts from the root, and a failed or hung rank aborts the rest. */
class LocalGroupTest {
    @Test
    void allReduceSumsInRankOrderAndEveryRankGetsTheSameBits() throws Exception {
        List<Communicator> comms = LocalGroup.create(3, Duration.ofSeconds(20));
        // 1e8 + 1 - 1e8 in f32 depends on the order: rank order gives (1e8 + 1) - 1e8 = 0
        float[][] vals = {{1e8f, 2}, {1, 3}, {-1e8f, 4}};
        List<float[]> sums = RankThreads.onEachRank(comms, c -> c.allReduceSum(Tensor.of(vals[c.rank()], 2)).toFloatArray());
        for (float[] s : sums) assertArrayEquals(new float[] {((1e8f + 1f) + -1e8f), 9}, s);
        // repeated collectives reuse the slots
        List<Double> again = RankThreads.onEachRank(comms, c -> c.allReduceSum(Tensor.of(new float[] {c.rank() + 1}, 1)).item());
        assertEquals(List.of(6.0, 6.0, 6.0), again);
    }

    @Test
    void broadcastGivesEveryRankTheRootsValues() throws Exception {
        List<Communicator> comms = LocalGroup.create(4, Duration.ofSeconds(20));
        List<float[]> got = RankThreads.onEachRank(comms, c -> c.broadcast(Tensor.of(new float[] {c.rank(), 10 + c.rank()}, 2), 2).toFloatArray());
        for (float[] g : got) assertArrayEquals(new float[] {2, 12}, g);
    }

    @Test
    void anAbortedGroupEndsTheWaitingRanksWithTheReason() throws Exception {
        List<Communicator> comms = LocalGroup.create(2, Duration.ofSeconds(20));
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            Future<?> waiting = ex.submit(() -> comms.get(0).allReduceSum(Tensor.of(new float[] {1}, 1)));
            Thread.sleep(100);
            LocalGroup.of(comms.get(1)).abort("rank 1 failed: boom");
            var e = assertThrows(java.util.concurrent.ExecutionException.class, waiting::get);
            assertInstanceOf(CollectiveAbortedException.class, e.getCause());
            assertEquals("rank 1 failed: boom", e.getCause().getMessage());
            assertThrows(CollectiveAbortedException.class, comms.get(1)::barrier);   // later collectives too
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void aRankThatNeverArrivesIsReportedAsHung() {
        List<Communicator> comms = LocalGroup.create(2, Duration.ofMillis(200));
        var e = assertThrows(CollectiveAbortedException.class, comms.get(0)::barrier);
        assertTrue(e.getMessage().contains("a rank hangs"), e.getMessage());
    }
}
