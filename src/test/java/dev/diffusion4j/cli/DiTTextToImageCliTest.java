package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.models.DiTConfig;
import dev.diffusion4j.nn.StateDicts;
import dev.diffusion4j.train.RunDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text-to-image with the DiT on the captioned shapes: train dit-tiny with a text encoder, resume exactly, sample with a prompt. */
class DiTTextToImageCliTest {
    @TempDir static Path dir;
    static Path straight;

    static String[] train(Path out, String steps) {
        return CliRun.train(out, "--preset", "dit-tiny", "--text-encoder", "text-tiny", "--steps", steps, "--lr-schedule", "constant");
    }

    @BeforeAll static void trainStraight() {
        straight = dir.resolve("straight");
        CliRun r = CliRun.of(train(straight, "2")).succeeded();
        assertTrue(r.out().contains(" sample --run " + straight + " --prompt '"), "the hint names a prompt: " + r.describe());
    }

    @Test void theRunIsATextDiTWithCrossAttentionInEveryBlock() throws Exception {
        RunDir run = RunDir.open(straight);
        DiTConfig m = assertInstanceOf(DiTConfig.class, run.config().model());
        assertEquals(64, m.contextDim(), "text-tiny's hidden size");
        assertEquals(0, m.numClasses(), "captions replace the shapes' classes");
        assertFalse(run.config().classConditional());
        Set<String> keys = StateDicts.load(straight.resolve("checkpoints/step-0000002/model.safetensors")).keySet();
        assertTrue(keys.contains("text_pool_proj.weight"), keys.toString());
        for (int i = 0; i < m.depth(); i++) assertTrue(keys.contains("blocks." + i + ".cross_attn.to_k.weight"), "block " + i + ": " + keys);
        assertTrue(Files.isRegularFile(straight.resolve("checkpoints/step-0000002/text_encoder.safetensors")));
        List<String> prompts = Files.readAllLines(straight.resolve("samples/step-0000002.txt"));
        assertTrue(prompts.stream().anyMatch(p -> p.contains("triangle")), "the final grid is labelled with its prompts: " + prompts);
        assertTrue(Files.size(straight.resolve("samples/step-0000002.png")) > 0);
    }

    @Test void resumeContinuesExactly() {
        Path split = dir.resolve("split");
        CliRun.of(train(split, "1")).succeeded();
        CliRun.of("train", "--out", split.toString(), "--resume", "--steps", "2").succeeded();
        Map<String, String> a = CliRun.snapshot(straight.resolve("checkpoints/step-0000002"));
        Map<String, String> b = CliRun.snapshot(split.resolve("checkpoints/step-0000002"));
        for (String f : List.of("model.safetensors", "ema.safetensors", "optimizer.safetensors", "text_encoder.safetensors"))
            assertEquals(a.get(f), b.get(f), f + " differs after a resume");
    }

    @Test void sampleDrawsPromptsWithGuidance() throws Exception {
        Path grid = dir.resolve("prompted.png");
        CliRun r = CliRun.of("sample", "--run", straight.toString(), "--prompt", "a red circle on a dark background", "--negative-prompt", "a square",
                "--guidance", "3", "--count", "2", "--steps", "2", "--grid", grid.toString(), "--device", "cpu").succeeded();
        assertTrue(r.out().contains("guidance 3.0"), r.describe());
        assertTrue(Files.size(grid) > 0);
        CliRun.of("sample", "--run", straight.toString(), "--count", "2", "--steps", "2", "--device", "cpu").refused(1, "--prompt");
    }
}
