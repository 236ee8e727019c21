package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.train.RunDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text-to-image on the captioned shapes: train with a text encoder, resume exactly, sample with a prompt. */
class TextToImageCliTest {
    @TempDir static Path dir;
    static Path straight;

    static String[] train(Path out, String steps, String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of(CliRun.train(out, "--text-encoder", "text-tiny", "--steps", steps, "--lr-schedule", "constant")));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    @BeforeAll static void trainStraight() {
        straight = dir.resolve("straight");
        trainOutput = CliRun.of(train(straight, "4")).succeeded().out();
    }

    static String trainOutput;

    /** The "next:" hint of a text run names a prompt (sample refuses a text run without one) and runs as printed. */
    @Test void theNextHintSamplesAPromptAsPrinted() {
        String next = trainOutput.lines().filter(l -> l.startsWith("next: ")).findFirst().orElseThrow();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("'([^']*)'|(\\S+)").matcher(next.substring("next: ".length()));
        List<String> words = new java.util.ArrayList<>();
        while (m.find()) words.add(m.group(1) != null ? m.group(1) : m.group(2));
        assertEquals(List.of("sample", "--run", straight.toString(), "--prompt"), words.subList(1, 5), next);
        assertTrue(words.get(5).contains(" on a "), "a caption of the shapes: " + next);
        List<String> args = new java.util.ArrayList<>(words.subList(1, words.size()));
        args.addAll(List.of("--count", "1", "--steps", "2", "--grid", dir.resolve("hint.png").toString(), "--device", "cpu"));
        CliRun.of(args.toArray(String[]::new)).succeeded();
    }

    @Test void theRunRecordsItsTextEncoderAndGridPrompts() throws Exception {
        RunDir run = RunDir.open(straight);
        UNetConfig m = (UNetConfig) run.config().model();
        assertEquals(64, m.contextDim(), "text-tiny's hidden size");
        assertFalse(run.config().classConditional());
        assertTrue(Files.isRegularFile(straight.resolve("text/vocab.json")));
        assertTrue(Files.readString(straight.resolve("text/text.json")).contains("\"caption_dropout\": 0.1"));
        assertTrue(Files.isRegularFile(straight.resolve("checkpoints/step-0000004/text_encoder.safetensors")));
        List<String> prompts = Files.readAllLines(straight.resolve("samples/step-0000004.txt"));
        assertEquals(6, prompts.size(), "a header and one prompt per shape: " + prompts);
        for (String shape : List.of("circle", "square", "triangle", "cross", "ring"))
            assertTrue(prompts.stream().anyMatch(p -> p.contains(shape)), shape + " missing from " + prompts);
    }

    /** eval scores the text model given each image's caption (or the empty prompt); sample metrics are refused for now. */
    @Test void evalScoresTheCaptionConditionalModel() throws Exception {
        CliRun r = CliRun.of("eval", "--run", straight.toString(), "--count", "4", "--batch-size", "4", "--device", "cpu").succeeded();
        assertTrue(r.out().contains("given each image's caption") && r.out().contains("NLL bound"), r.describe());
        CliRun u = CliRun.of("eval", "--run", straight.toString(), "--count", "4", "--batch-size", "4", "--device", "cpu", "--unconditional").succeeded();
        assertTrue(u.out().contains("empty prompt"), u.describe());
        List<String> lines = Files.readAllLines(straight.resolve("eval.jsonl"));
        assertTrue(lines.get(lines.size() - 2).contains("\"scored\":\"caption-conditional\""), lines.toString());
        assertTrue(lines.get(lines.size() - 1).contains("\"scored\":\"empty-prompt\""), lines.toString());
        CliRun.of("eval", "--run", straight.toString(), "--metrics", "fd", "--features", "pixels", "--device", "cpu").refused(1, "--metrics nll");
    }

    @Test void resumeContinuesExactly() {
        Path split = dir.resolve("split");
        CliRun.of(train(split, "2")).succeeded();
        CliRun.of("train", "--out", split.toString(), "--resume", "--steps", "4").succeeded();
        Map<String, String> a = CliRun.snapshot(straight.resolve("checkpoints/step-0000004"));
        Map<String, String> b = CliRun.snapshot(split.resolve("checkpoints/step-0000004"));
        for (String f : List.of("model.safetensors", "ema.safetensors", "optimizer.safetensors", "text_encoder.safetensors"))
            assertEquals(a.get(f), b.get(f), f + " differs after a resume");
    }

    @Test void sampleDrawsPromptsAndRefusesBadUse() throws Exception {
        Path grid = dir.resolve("prompted.png");
        CliRun r = CliRun.of("sample", "--run", straight.toString(), "--prompt", "a red circle on a dark background", "--prompt", "a blue ring",
                "--negative-prompt", "a square", "--count", "4", "--steps", "2", "--grid", grid.toString(), "--device", "cpu").succeeded();
        assertTrue(r.out().contains("guidance"), r.describe());
        assertTrue(Files.size(grid) > 0);
        CliRun.of("sample", "--run", straight.toString(), "--count", "2", "--steps", "2", "--device", "cpu").refused(1, "--prompt");
        CliRun.of(CliRun.train(dir.resolve("bad"), "--text-encoder", "text-huge", "--steps", "1")).refused(2, "--text-encoder");
        CliRun.of(CliRun.train(dir.resolve("bad2"), "--vocab", "x", "--steps", "1")).refused(2, "--vocab needs --text-encoder");
    }
}
