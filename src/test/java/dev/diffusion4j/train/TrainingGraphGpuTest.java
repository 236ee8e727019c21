package dev.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.GraphedFunction;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.cuda.CudaBackendFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training steps replayed from CUDA graphs (-Ddiffusion4j.cuda.trainingGraphs=true, turned on here): random draws
 * recorded in a graph follow their generators (each replay draws what the eager call at that point would), and a
 * training run (dropout, label dropout, bf16) gives the same losses and weights, bit for bit, with graphs as without,
 * and resumes exactly with them.
 */
@Tag("gpu")
class TrainingGraphGpuTest {
    @TempDir Path tmp;
    private Device cuda;

    @BeforeEach
    void device() {
        Assumptions.assumeTrue(CudaBackendFactory.available(), "no CUDA device");
        cuda = Device.cuda(0);
        Backends.get(cuda);
        GraphedFunction.setTrainingStepsEnabled(true);   // experimental, off by default
    }

    @AfterEach
    void defaults() { GraphedFunction.setTrainingStepsEnabled(false); }

    @Test
    void aRecordingFollowsMoreGeneratorsThanAUNetHasDropoutLayers() {
        List<Generator> graphed = new java.util.ArrayList<>(), eager = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            graphed.add(new Generator(100 + i));
            eager.add(new Generator(100 + i));
        }
        java.util.function.BiFunction<Tensor, List<Generator>, Tensor> body = (x, gens) -> {
            Tensor y = x;
            for (Generator g : gens) y = F.dropout(y, 0.1, true, g);
            return y;
        };
        try (var g = GradMode.off(); var f = new GraphedFunction("test", in -> body.apply(in.get(0), graphed))) {
            for (int call = 0; call < 4; call++) {
                Tensor x = Tensor.randn(new Generator(call), 4, 64).to(cuda);
                assertArrayEquals(body.apply(x, eager).toFloatArray(), f.apply(List.of(x)).toFloatArray(), "call " + call);
            }
            assertEquals(3, f.replays());   // calls 2 to 4: the recording call replays its graph for its output too
        }
    }

    @Test
    void drawsInAGraphFollowTheirGenerators() {
        Generator graphed = new Generator(5, 3), eager = new Generator(5, 3);
        try (var g = GradMode.off(); var f = new GraphedFunction("test", in -> in.get(0).add(Tensor.randn(graphed, DType.F32, cuda, 3, 33))
                .mul(F.dropout(Tensor.full(1, DType.F32, cuda, 3, 33), 0.3, true, graphed)))) {
            for (int call = 0; call < 5; call++) {
                Tensor x = Tensor.randn(new Generator(call), 3, 33).to(cuda);
                Tensor want = x.add(Tensor.randn(eager, DType.F32, cuda, 3, 33)).mul(F.dropout(Tensor.full(1, DType.F32, cuda, 3, 33), 0.3, true, eager));
                assertArrayEquals(want.toFloatArray(), f.apply(List.of(x)).toFloatArray(), "call " + call);
                assertEquals(eager.offset(), graphed.offset(), "call " + call);
                graphed.advance(7);   // eager draws between calls move the replays along
                eager.advance(7);
            }
            assertEquals(4, f.replays());   // calls 2 to 5 (the recording call replays its graph)
        }
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (var paths = Files.walk(from)) {
            for (Path p : paths.toList()) Files.copy(p, to.resolve(from.relativize(p).toString()));
        }
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    private static String[] args(Path out, int steps) {
        return new String[] {"train", "--out", out.toString(), "--data", "shapes:256", "--preset", "tiny", "--image-size", "16",
            "--batch-size", "16", "--steps", Integer.toString(steps), "--checkpoint-every", "6", "--keep-checkpoints", "2", "--log-every", "1", "--sample-every", "1000",
            "--grid-size", "4", "--sample-steps", "2", "--warmup", "3", "--dropout", "0.1", "--class-conditional", "--label-dropout", "0.2",
            "--precision", "bf16", "--device", "cuda"};
    }

    @Test
    void aRunIsTheSameWithGraphsAsWithoutAndResumesExactly() throws Exception {
        Path eager = tmp.resolve("eager"), graphed = tmp.resolve("graphed"), resumed = tmp.resolve("resumed");
        GraphedFunction.setEnabled(false);
        try {
            TrainerTest.run(args(eager, 12));
        } finally {
            GraphedFunction.setEnabled(true);
        }
        var out = new java.io.StringWriter();
        var cl = dev.diffusion4j.cli.Main.commandLine();
        cl.setOut(new java.io.PrintWriter(out));
        cl.setErr(new java.io.PrintWriter(out));
        assertEquals(0, cl.execute(args(graphed, 12)), out.toString());
        assertTrue(out.toString().contains("training steps replay a CUDA graph"), out.toString());
        List<Double> want = TrainerTest.losses(eager);
        assertEquals(12, want.size());
        assertTrue(want.stream().allMatch(Double::isFinite), want.toString());
        assertEquals(want, TrainerTest.losses(graphed));
        String last = "checkpoints/step-0000012/";
        for (String f : List.of("model.safetensors", "ema.safetensors", "optimizer.safetensors"))
            assertArrayEquals(Files.readAllBytes(eager.resolve(last + f)), Files.readAllBytes(graphed.resolve(last + f)), f);

        // the graphed run resumed from its step-6 checkpoint (its later one removed) with graphs again
        copyTree(graphed, resumed);
        deleteTree(resumed.resolve("checkpoints/step-0000012"));
        TrainerTest.run("train", "--out", resumed.toString(), "--resume");
        assertEquals(want, TrainerTest.losses(resumed));
        assertArrayEquals(Files.readAllBytes(eager.resolve(last + "model.safetensors")), Files.readAllBytes(resumed.resolve(last + "model.safetensors")));
    }
}
