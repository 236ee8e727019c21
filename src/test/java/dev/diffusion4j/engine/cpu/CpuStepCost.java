package dev.diffusion4j.engine.cpu;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.models.ModelPresets;
import dev.diffusion4j.train.StepBenchmark;
import java.lang.management.ManagementFactory;

/**
 * What one CPU training step costs the calling thread, as CPU time and bytes allocated (a test-side main):
 * StepBenchmark's steps on the calling thread only, so run with {@code -Ddiffusion4j.threads=1}:
 * <pre>
 *   mvn -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 *   java --add-modules jdk.incubator.vector -Ddiffusion4j.threads=1 -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *     dev.diffusion4j.engine.cpu.CpuStepCost fmnist-small 32 [rounds]
 * </pre>
 * (java: a JDK 25, as bin/diffuse finds it.) To time an older build, put its -cli jar in place of target/classes.
 * Each round runs 1 warm-up and 2 timed steps (and one sampling forward) and prints the round's totals.
 */
public final class CpuStepCost {
    private CpuStepCost() {}

    public static void main(String[] args) {
        String preset = args.length > 0 ? args[0] : "fmnist-small";
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 32, rounds = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        for (int r = 0; r < rounds; r++) {
            long cpu = mx.getCurrentThreadCpuTime(), bytes = mx.getThreadAllocatedBytes(tid), wall = System.nanoTime();
            var res = StepBenchmark.run(preset, ModelPresets.get(preset), Device.CPU, Precision.FP32, batch, 1, 0, 2, batch, 1);
            System.out.printf("round %d: thread CPU %.2f s, allocated %.0f MB, wall %.2f s (train %.1f img/s)%n", r,
                    (mx.getCurrentThreadCpuTime() - cpu) / 1e9, (mx.getThreadAllocatedBytes(tid) - bytes) / 1e6,
                    (System.nanoTime() - wall) / 1e9, res.trainImgPerS());
        }
    }
}
