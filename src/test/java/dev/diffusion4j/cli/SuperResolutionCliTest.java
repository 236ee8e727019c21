package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.data.Pngs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A 16 -> 32 super-resolution stage on the built-in shapes: a few training steps, upscaling PNGs, chaining after a base run. */
class SuperResolutionCliTest {
    @TempDir static Path dir;
    static Path sr, base;

    static String[] train(Path out, int size, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--out", out.toString(), "--data", "shapes:32", "--image-size", Integer.toString(size),
                "--batch-size", "4", "--steps", "2", "--log-every", "1", "--checkpoint-every", "2", "--sample-every", "2", "--grid-size", "2",
                "--sample-steps", "2", "--warmup", "1", "--device", "cpu"));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    @BeforeAll static void trainStages() {
        sr = dir.resolve("sr");
        base = dir.resolve("base");
        CliRun t = CliRun.of(train(sr, 32, "--task", "super-resolution", "--low-res", "16")).succeeded();
        assertTrue(t.out().contains("upscale --run " + sr), t.describe());
        assertTrue(Files.isRegularFile(sr.resolve("super-resolution.json")));
        CliRun.of(train(base, 16, "--no-class-conditional")).succeeded();
    }

    @Test void trainingWritesASideBySideGridAndLowResExamples() {
        Pngs.Image grid = Pngs.read(sr.resolve("samples").resolve("step-0000002.png"), 3);
        // two examples (--grid-size 2), each a row of low-res | output | original, 32-pixel cells enlarged twice, 2-pixel frames
        int cell = 2 * 32 + Pngs.PADDING;
        assertEquals(3 * cell + Pngs.PADDING, grid.w(), "three columns");
        assertEquals(2 * cell + Pngs.PADDING, grid.h(), "two rows");
        assertEquals(16, Pngs.read(sr.resolve("low-res-examples").resolve("00.png"), 3).w());
    }

    @Test void upscaleTurnsImageFilesIntoStageOutputs() throws Exception {
        Path out = dir.resolve("up");
        CliRun r = CliRun.of("upscale", "--run", sr.toString(), "--input", sr.resolve("low-res-examples").toString(), "--out", out.toString(),
                "--device", "cpu").succeeded();
        assertTrue(r.out().contains("16x16 -> 32x32"), r.describe());
        try (Stream<Path> s = Files.list(out)) {
            List<Path> pngs = s.filter(p -> p.toString().endsWith("-32.png")).toList();
            assertEquals(8, pngs.size());
            for (Path p : pngs) assertEquals(32, Pngs.read(p, 3).h());
        }
        assertTrue(Files.isRegularFile(out.resolve("comparison.png")));
        // an image of another size is cropped and resized to the low resolution first
        Path odd = dir.resolve("odd.png");
        Pngs.writeImage(odd, new float[3 * 20 * 24], 0, 3, 20, 24);
        Path out2 = dir.resolve("up2");
        CliRun r2 = CliRun.of("upscale", "--run", sr.toString(), "--input", odd.toString(), "--out", out2.toString(), "--device", "cpu").succeeded();
        assertTrue(r2.out().contains("1 resized to 16x16"), r2.describe());
        Pngs.Image o = Pngs.read(out2.resolve("odd-32.png"), 3);
        assertEquals(32, o.h());
        assertEquals(32, o.w());
    }

    @Test void sampleChainsTheBaseRunAndTheStage() throws Exception {
        Path imgs = dir.resolve("chain-images"), grid = dir.resolve("chain.png");
        CliRun r = CliRun.of("sample", "--run", base.toString(), "--upscale", sr.toString(), "--count", "3", "--steps", "2", "--grid", grid.toString(),
                "--images", imgs.toString(), "--device", "cpu").succeeded();
        assertTrue(r.out().contains("cascade:"), r.describe());
        assertTrue(Files.isRegularFile(dir.resolve("chain-cascade.png")));
        for (int i = 0; i < 3; i++) {
            Pngs.Image im = Pngs.read(imgs.resolve(String.format("%05d.png", i)), 3);
            assertEquals(32, im.h(), "upscaled sample size");
            assertEquals(32, im.w());
        }
    }

    @Test void mismatchedStagesAndMisusedRunsAreRefusedInOneLine() {
        // a stage cannot follow itself: its 32x32 output is not its 16x16 input
        CliRun.of("sample", "--run", base.toString(), "--upscale", sr.toString(), "--upscale", sr.toString(), "--count", "1", "--device", "cpu")
                .refused(1, "cannot chain", "gives 32x32");
        CliRun.of("sample", "--run", sr.toString(), "--device", "cpu").refused(1, "is a super-resolution stage", "upscale --run");
        CliRun.of("upscale", "--run", base.toString(), "--input", sr.resolve("low-res-examples").toString(), "--device", "cpu")
                .refused(1, "is not a super-resolution run");
        CliRun.of(train(dir.resolve("x"), 32, "--task", "super-resolution")).refused(2, "needs --low-res");
        CliRun.of(train(dir.resolve("y"), 32, "--task", "super-resolution", "--low-res", "12")).refused(2, "must divide the image size 32");
        CliRun.of(train(dir.resolve("z"), 32, "--low-res", "16")).refused(2, "--low-res needs --task super-resolution");
        CliRun.of(train(dir.resolve("w"), 32, "--task", "super-resolution", "--low-res", "16", "--eval-every", "1", "--eval-features", "pixels")).refused(2, "does not apply");
        Path copy = dir.resolve("sr-copy");
        CliRun.copyTree(sr, copy);
        CliRun.of("train", "--out", copy.toString(), "--resume", "--steps", "3", "--lr-schedule", "restart", "--eval-every", "1", "--eval-features", "pixels", "--device", "cpu")
                .refused(1, "does not apply to a super-resolution run");
    }
}
