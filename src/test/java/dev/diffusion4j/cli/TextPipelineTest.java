package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.pipelines.DiffusionPipeline;
import dev.diffusion4j.pipelines.SampleOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DiffusionPipeline on a text-to-image run: prompts as diffuse sample --prompt draws them, saved with its encoder. */
class TextPipelineTest {
    @TempDir static Path tmp;
    static Path run;

    @BeforeAll static void train() {
        run = tmp.resolve("text");
        CliRun.of(CliRun.train(run, "--text-encoder", "text-tiny", "--steps", "2")).succeeded();
    }

    @Test void promptsDrawWhatTheCliDrawsPixelForPixel() throws Exception {
        Path cli = tmp.resolve("cli");
        CliRun.of("sample", "--run", run.toString(), "--prompt", "a red circle on a dark background", "--prompt", "a blue ring",
                "--negative-prompt", "a square", "--count", "4", "--steps", "2", "--seed", "5", "--device", "cpu",
                "--grid", tmp.resolve("g.png").toString(), "--images", cli.toString()).succeeded();
        var p = DiffusionPipeline.load(run);
        SampleOptions o = SampleOptions.builder().prompt("a red circle on a dark background", "a blue ring")
                .negativePrompt("a square").steps(2).seed(5).build();
        Tensor x = p.sample(4, o);
        Path lib = tmp.resolve("lib");
        DiffusionPipeline.writeImages(lib, x);
        for (int i = 0; i < 4; i++) {
            String f = String.format("%05d.png", i);
            assertArrayEquals(Files.readAllBytes(cli.resolve(f)), Files.readAllBytes(lib.resolve(f)), f);
        }
        Tensor other = p.sample(4, SampleOptions.builder().prompt("a green square on a light background").steps(2).seed(5).build());
        assertFalse(Arrays.equals(x.toFloatArray(), other.toFloatArray()), "the prompt changes what is drawn");
    }

    @Test void aSavedTextRunKeepsItsEncoder() {
        var p = DiffusionPipeline.load(run);
        Path copy = tmp.resolve("saved");
        p.save(copy);
        assertTrue(Files.isRegularFile(copy.resolve("text/vocab.json")) && Files.isRegularFile(copy.resolve("text/text.json")));
        var o = SampleOptions.builder().prompt("a yellow cross on a light background").steps(2).seed(1).build();
        assertArrayEquals(p.sample(2, o).toFloatArray(), DiffusionPipeline.load(copy).sample(2, o).toFloatArray());
    }

    @Test void promptsAreRequiredExactlyWhereTheRunTakesThem() {
        var p = DiffusionPipeline.load(run);
        var e = assertThrows(IllegalArgumentException.class, () -> p.sample(1, SampleOptions.builder().steps(2).build()));
        assertTrue(e.getMessage().contains("prompt(\"...\")"), e.getMessage());
        Tensor in = p.sample(2, SampleOptions.builder().prompt("a red circle on a dark background").steps(2).build());
        Tensor same = p.img2img(in, 0, SampleOptions.builder().prompt("a red circle on a dark background").steps(2).build());
        assertArrayEquals(in.toFloatArray(), same.toFloatArray());
        assertEquals(2, p.img2img(in, 0.5, SampleOptions.builder().prompt("a blue ring").steps(4).build()).shape(0));

        Path plain = tmp.resolve("plain");
        CliRun.of(CliRun.train(plain, "--steps", "1")).succeeded();
        var q = DiffusionPipeline.load(plain);
        e = assertThrows(IllegalArgumentException.class, () -> q.sample(1, SampleOptions.builder().prompt("a circle").steps(2).build()));
        assertTrue(e.getMessage().contains("no text encoder"), e.getMessage());
    }
}
