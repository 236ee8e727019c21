package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.dist.Communicator;
import dev.diffusion4j.engine.dist.RankThreads;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The NCCL bindings on real GPUs; skipped, with the reason printed, without CUDA or libnccl (the 2-GPU cases without 2 GPUs). */
@Tag("gpu")
class NcclGpuTest {
    private static int gpus;

    @BeforeAll
    static void needNccl() {
        String why = null;
        if (!CudaLibraries.isAvailable()) why = "no CUDA device: " + CudaLibraries.unavailableReason();
        else {
            try {
                System.out.println("NCCL version " + Nccl.version());
            } catch (RuntimeException e) {
                why = "NCCL not loadable: " + e.getMessage();
            }
        }
        if (why != null) System.out.println("NcclGpuTest skipped: " + why);
        Assumptions.assumeTrue(why == null, why);
        gpus = Nccl.visibleGpus();
    }

    @Test
    void aOneRankGroupReducesAndBroadcastsToItself() throws Exception {
        try (var g = Nccl.group(List.of(Device.cuda(0)))) {
            Communicator c = g.communicators().get(0);
            Tensor t = Tensor.of(new float[] {1, 2, 3}, 3).to(Device.cuda(0));
            assertArrayEquals(new float[] {1, 2, 3}, c.allReduceSum(t).toFloatArray());
            assertArrayEquals(new float[] {1, 2, 3}, c.broadcast(t, 0).toFloatArray());
            assertEquals(7.5, c.allReduceSum(Tensor.of(new double[] {7.5}, 1)).item(), 0);   // a host tensor is uploaded
            c.barrier();
        }
    }

    @Test
    void twoGpusSumAndBroadcast() throws Exception {
        Assumptions.assumeTrue(gpus >= 2, "needs 2 GPUs, " + gpus + " visible");
        try (var g = Nccl.group(List.of(Device.cuda(0), Device.cuda(1)))) {
            List<float[]> sums = RankThreads.onEachRank(g.communicators(), c -> c.allReduceSum(
                    Tensor.of(new float[] {c.rank() + 1, 10 * (c.rank() + 1)}, 2).to(Device.cuda(c.rank()))).toFloatArray());
            for (float[] s : sums) assertArrayEquals(new float[] {3, 30}, s);
            List<float[]> bc = RankThreads.onEachRank(g.communicators(), c -> c.broadcast(
                    Tensor.of(new float[] {c.rank(), 5}, 2).to(Device.cuda(c.rank())), 1).toFloatArray());
            for (float[] b : bc) assertArrayEquals(new float[] {1, 5}, b);
            RankThreads.onEachRank(g.communicators(), c -> { c.barrier(); return 0; });
        }
    }

    @Test
    void anAbortedGroupRefusesLaterCollectives() {
        var g = Nccl.group(List.of(Device.cuda(0)));
        Communicator c = g.communicators().get(0);
        g.abort();
        assertThrows(dev.diffusion4j.engine.dist.CollectiveAbortedException.class,
                () -> c.allReduceSum(Tensor.of(new float[] {1}, 1).to(Device.cuda(0))));
        g.close();
    }
}
