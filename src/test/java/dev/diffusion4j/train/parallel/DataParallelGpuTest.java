package dev.diffusion4j.train.parallel;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.cuda.Nccl;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two GPUs over NCCL take the one-GPU steps on the same global batch (f32 with TF32 math: a looser tolerance than the CPU's). */
@Tag("gpu")
class DataParallelGpuTest {
    @TempDir Path tmp;

    @Test
    void twoGpusTakeTheOneGpuSteps() throws Exception {
        int gpus = Backends.cudaAvailable() ? Nccl.visibleGpus() : 0;
        if (gpus < 2) System.out.println("DataParallelGpuTest skipped: needs 2 GPUs, " + gpus + " visible");
        Assumptions.assumeTrue(gpus >= 2, "needs 2 GPUs");
        Path one = tmp.resolve("g1"), two = tmp.resolve("g2");
        DataParallelTrainingTest.run(DataParallelTrainingTest.args(one, 4, "--device", "cuda:0"), 0);
        DataParallelTrainingTest.run(DataParallelTrainingTest.args(two, 4, "--gpus", "2"), 0);
        var a = DataParallelTrainingTest.load(one, 4, "model.safetensors");
        var b = DataParallelTrainingTest.load(two, 4, "model.safetensors");
        double worst = 0;
        for (var e : a.entrySet()) {
            float[] x = e.getValue().toFloatArray(), y = b.get(e.getKey()).toFloatArray();
            for (int i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / (1 + Math.abs(x[i])));
        }
        assertTrue(worst < 1e-3, "largest weight difference " + worst);
        List<Double> la = DataParallelTrainingTest.losses(one), lb = DataParallelTrainingTest.losses(two);
        for (int i = 0; i < la.size(); i++) assertEquals(la.get(i), lb.get(i), 1e-3 * (1 + la.get(i)), "loss at step " + (i + 1));
    }
}
