package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.pipelines.DiffusionPipeline;
import dev.diffusion4j.pipelines.SampleOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's DiffusionPipeline example, statement for statement, on a tiny run trained for 2 steps. */
class ReadmePipelineExampleTest {
    @TempDir Path tmp;

    @Test
    void theReadmePipelineExampleCompilesAndRuns() {
        Path runs = tmp.resolve("runs");
        CliRun.of(CliRun.train(runs.resolve("shapes"), "--steps", "2")).succeeded();
        Path cwd = tmp;   // the README's relative paths, resolved in the test's folder

        // --- from README.md, "The library" (paths resolved against cwd)
        DiffusionPipeline pipe = DiffusionPipeline.load(cwd.resolve(Path.of("runs/shapes")));          // latest checkpoint's EMA weights
        SampleOptions opts = SampleOptions.builder().sampler("dpm++2m").steps(20).seed(0).build();
        Tensor images = pipe.sample(16, opts);                   // [16, C, H, W] in [-1, 1], as diffuse sample --seed 0
        pipe.writeGrid(cwd.resolve(Path.of("grid.png")), images, 4);
        Tensor edited = pipe.img2img(images, 0.5, opts);         // SDEdit, as diffuse edit img2img --strength 0.5
        pipe.save(cwd.resolve(Path.of("runs/shapes-copy")));                  // a run folder that load and diffuse sample --run read
        // --- end of the README's code

        assertArrayEquals(new int[] {16, 3, 8, 8}, images.shape());
        assertArrayEquals(images.shape(), edited.shape());
        assertTrue(Files.isRegularFile(tmp.resolve("grid.png")));
        assertArrayEquals(images.toFloatArray(), DiffusionPipeline.load(runs.resolve("shapes-copy")).sample(16, opts).toFloatArray());
    }
}
