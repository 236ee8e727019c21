package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.models.UNetConfigBuilder;
import dev.diffusion4j.pipelines.DiffusionPipeline;
import dev.diffusion4j.pipelines.SampleOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library's pipeline against diffuse sample on a tiny run trained for 2 steps. */
class DiffusionPipelineTest {
    @TempDir static Path tmp;
    static Path run;

    @BeforeAll static void train() {
        run = tmp.resolve("run");
        CliRun.of(CliRun.train(run, "--steps", "2")).succeeded();
    }

    @Test void sampleEqualsTheCliPixelForPixel() throws Exception {
        Path cli = tmp.resolve("cli-images");
        CliRun.of("sample", "--run", run.toString(), "--count", "3", "--seed", "7", "--sampler", "ddim", "--steps", "3",
                "--device", "cpu", "--grid", tmp.resolve("g.png").toString(), "--images", cli.toString()).succeeded();
        var p = DiffusionPipeline.load(run);
        Tensor x = p.sample(3, SampleOptions.builder().sampler("ddim").steps(3).seed(7).build());
        assertArrayEquals(new int[] {3, 3, 8, 8}, x.shape());
        Path lib = tmp.resolve("lib-images");
        DiffusionPipeline.writeImages(lib, x);
        for (int i = 0; i < 3; i++) {
            String f = String.format("%05d.png", i);
            assertArrayEquals(Files.readAllBytes(cli.resolve(f)), Files.readAllBytes(lib.resolve(f)), f);
        }
    }

    @Test void saveRoundTripsBitForBit() {
        var p = DiffusionPipeline.load(run);
        Path copy = tmp.resolve("saved");
        p.save(copy);
        var opts = SampleOptions.builder().sampler("euler").steps(2).seed(3).build();
        assertArrayEquals(p.sample(2, opts).toFloatArray(), DiffusionPipeline.load(copy).sample(2, opts).toFloatArray());
        CliRun.of("sample", "--run", copy.toString(), "--count", "2", "--steps", "2", "--device", "cpu",
                "--grid", tmp.resolve("g2.png").toString()).succeeded();
        assertThrows(IllegalArgumentException.class, () -> p.save(copy));   // never overwrites a run
    }

    @Test void img2imgAtStrengthZeroReturnsTheInput() {
        var p = DiffusionPipeline.load(run);
        Tensor in = p.sample(2, SampleOptions.builder().steps(2).build());
        Tensor out = p.img2img(in, 0, SampleOptions.builder().steps(4).seed(1).build());
        assertArrayEquals(in.toFloatArray(), out.toFloatArray());
        Tensor edited = p.img2img(in, 0.5, SampleOptions.builder().steps(4).seed(1).build());
        assertArrayEquals(in.shape(), edited.shape());
        Tensor keepAll = Tensor.ones(1, 1, 8, 8);
        assertArrayEquals(in.toFloatArray(), p.inpaint(in, keepAll, SampleOptions.builder().steps(2).build()).toFloatArray(), 0f);
    }

    @Test void clearErrors() throws Exception {
        var e = assertThrows(IllegalArgumentException.class, () -> DiffusionPipeline.load(tmp.resolve("nothing")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty);
        Files.copy(run.resolve("config.json"), empty.resolve("config.json"));
        e = assertThrows(IllegalArgumentException.class, () -> DiffusionPipeline.load(empty));
        assertTrue(e.getMessage().contains("no checkpoint"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SampleOptions.builder().sampler("plms"));
        assertTrue(e.getMessage().contains("unknown sampler"), e.getMessage());
        var p = DiffusionPipeline.load(run);
        e = assertThrows(IllegalArgumentException.class, () -> p.sample(1, SampleOptions.builder().label(1000).build()));
        assertTrue(e.getMessage().contains("class"), e.getMessage());
    }

    @Test void builderEqualsThePositionalConstructor() {
        UNetConfig positional = new UNetConfig(3, 64, new int[] {1, 2, 2}, 1, new int[] {8}, 16, 0.0, 0, 1, true, false, true, true, 10, 8);
        assertEquals(positional, UNetConfigBuilder.from("tiny").baseChannels(64).numClasses(10).build());
        assertEquals(dev.diffusion4j.models.ModelPresets.unet("tiny"), UNetConfigBuilder.from("tiny").build());
        assertThrows(IllegalArgumentException.class, () -> UNetConfigBuilder.from("tiny").normGroups(7).build());
    }
}
