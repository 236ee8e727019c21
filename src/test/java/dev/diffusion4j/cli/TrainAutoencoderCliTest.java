package dev.diffusion4j.cli;

import dev.diffusion4j.train.dashboard.StaticReport;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.nn.StateDicts;
import dev.diffusion4j.train.MetricsLog;
import dev.diffusion4j.train.autoencoder.ConvTestAutoencoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainAutoencoderCliTest {
    @TempDir Path tmp;

    @BeforeAll static void register() { ConvTestAutoencoder.register(); }

    /** 8x8 shapes, batch 4, the discriminator (1 layer) on from step 2, a checkpoint every 2 steps. */
    static String[] train(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("train-autoencoder", "--preset", ConvTestAutoencoder.NAME, "--out", out.toString(),
                "--data", "shapes:32", "--image-size", "8", "--batch-size", "4", "--lr", "1e-3", "--log-every", "1", "--checkpoint-every", "2",
                "--sample-every", "2", "--grid-count", "4", "--disc-start", "2", "--disc-layers", "1", "--disc-width", "8", "--device", "cpu"));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    @Test void trainsReportsAndResumesExactly() throws Exception {
        Path straight = tmp.resolve("straight"), split = tmp.resolve("split");
        CliRun r = CliRun.of(train(straight, "--steps", "4")).succeeded();
        assertTrue(r.out().contains("PSNR"), r.describe());
        CliRun.of(train(split, "--steps", "2")).succeeded();
        CliRun.of("train-autoencoder", "--out", split.toString(), "--resume", "--steps", "4").succeeded();
        for (String f : List.of("model.safetensors", "ema.safetensors", "loss.safetensors", "discriminator.safetensors", "optimizer.safetensors")) {
            var a = StateDicts.load(straight.resolve("checkpoints/step-0000004").resolve(f));
            var b = StateDicts.load(split.resolve("checkpoints/step-0000004").resolve(f));
            assertEquals(a.keySet(), b.keySet(), f);
            for (String k : a.keySet()) assertArrayEquals(a.get(k).toDoubleArray(), b.get(k).toDoubleArray(), 0.0, f + " " + k);
        }
        List<Map<String, Object>> rows = MetricsLog.read(straight.resolve("metrics.jsonl"));
        assertTrue(rows.stream().anyMatch(m -> m.get("psnr") instanceof Number), rows.toString());
        // the GAN counts from step 2 on: step 3's row has a positive adaptive weight, step 1's none
        assertEquals(0.0, ((Number) rows.stream().filter(m -> Long.valueOf(1).equals(((Number) m.get("step")).longValue()) && m.containsKey("adaptive_weight"))
                .findFirst().orElseThrow().get("adaptive_weight")).doubleValue());
        assertTrue(((Number) rows.stream().filter(m -> ((Number) m.get("step")).longValue() == 3 && m.containsKey("adaptive_weight"))
                .findFirst().orElseThrow().get("adaptive_weight")).doubleValue() > 0);
        assertTrue(Files.isRegularFile(straight.resolve("samples/step-0000004.png")));
        Map<String, Object> shown = dev.diffusion4j.io.Json.getObject(StaticReport.embeddedData(Files.readString(straight.resolve("report.html"))), "run");
        assertEquals(rows.stream().filter(m -> m.containsKey("psnr")).count(),
                ((List<?>) shown.get("rows")).stream().filter(m -> ((Map<?, ?>) m).containsKey("psnr")).count(), "report.html carries the PSNR points");
    }

    /** The real vq-f4-tiny preset with EMA codebook updates: codebook use in the metrics, and an exact resume (the EMA buffers are checkpointed). */
    @Test void vqWithEmaCodebookLogsUsageAndResumesExactly() throws Exception {
        Path straight = tmp.resolve("vq-straight"), split = tmp.resolve("vq-split");
        String[] vq = {"--preset", "vq-f4-tiny", "--codebook-ema", "0.9", "--disc-start", "-1"};
        CliRun.of(withPreset(train(straight, "--steps", "4"), vq)).succeeded();
        CliRun.of(withPreset(train(split, "--steps", "2"), vq)).succeeded();
        CliRun.of("train-autoencoder", "--out", split.toString(), "--resume", "--steps", "4").succeeded();
        var a = StateDicts.load(straight.resolve("checkpoints/step-0000004/model.safetensors"));
        var b = StateDicts.load(split.resolve("checkpoints/step-0000004/model.safetensors"));
        assertTrue(a.containsKey("quantize.ema_cluster_size"), a.keySet().toString());
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toDoubleArray(), b.get(k).toDoubleArray(), 0.0, k);
        Map<String, Object> row = MetricsLog.read(straight.resolve("metrics.jsonl")).stream().filter(m -> m.containsKey("perplexity")).findFirst().orElseThrow();
        double perplexity = ((Number) row.get("perplexity")).doubleValue(), used = ((Number) row.get("codes_in_use")).doubleValue();
        assertTrue(perplexity >= 1 && perplexity <= used && used >= 1 && used <= 256, row.toString());
        CliRun.of(train(tmp.resolve("kl-ema"), "--steps", "1", "--codebook-ema", "0.9")).refused(2, "apply to VQ autoencoders");
    }

    /** train()'s arguments with its --preset and --disc-start replaced by those in {@code replace} (pairs). */
    private static String[] withPreset(String[] args, String... replace) {
        List<String> a = new ArrayList<>(List.of(args));
        for (int i = 0; i < replace.length; i += 2) {
            int at = a.indexOf(replace[i]);
            if (at >= 0) a.set(at + 1, replace[i + 1]);
            else { a.add(replace[i]); a.add(replace[i + 1]); }
        }
        return a.toArray(new String[0]);
    }

    @Test void aFolderThatIsNoAutoencoderRunGetsAHintThatRuns() throws Exception {
        Path missing = tmp.resolve("missing"), empty = java.nio.file.Files.createDirectories(tmp.resolve("empty"));
        String hint = " train-autoencoder --preset kl-f4-tiny --out ";
        CliRun.of("reconstruct", "--run", missing.toString()).refused(1, missing + " does not exist", hint + missing);
        CliRun.of("reconstruct", "--run", empty.toString()).refused(1, empty + " is not an autoencoder run (no config.json)", hint + empty);
        assertTrue(dev.diffusion4j.cli.CliRun.of("train-autoencoder", "--help").out().contains("--preset"), "the hint's options exist");
    }

    @Test void reconstructPrintsPsnrSsimAndFd() {
        Path run = tmp.resolve("ae");
        CliRun.of(train(run, "--steps", "2")).succeeded();
        Path png = tmp.resolve("pairs.png");
        CliRun r = CliRun.of("reconstruct", "--run", run.toString(), "--count", "8", "--features", "pixels:4", "--out", png.toString(), "--device", "cpu").succeeded();
        assertTrue(r.out().contains("PSNR ") && r.out().contains("SSIM ") && r.out().contains("FD "), r.describe());
        assertTrue(Files.isRegularFile(png));
    }

    @Test void recordsTheBackgroundOfTransparentPixels() {
        try {
            Path out = tmp.resolve("black");
            CliRun.of(train(out, "--steps", "1", "--background", "#000000")).succeeded();
            assertEquals("#000000", dev.diffusion4j.io.ConfigJson.readObject(out.resolve("config.json")).get("background"));
            CliRun.of(train(tmp.resolve("bad"), "--steps", "1", "--background", "grey")).refused(2, "--background", "#rrggbb");
            Path pixels = tmp.resolve("pixels");
            CliRun.of(CliRun.train(pixels, "--steps", "1", "--background", "black")).succeeded();
            assertEquals("black", dev.diffusion4j.io.ConfigJson.readObject(pixels.resolve("config.json")).get("background"));
        } finally {
            dev.diffusion4j.data.Background.set(dev.diffusion4j.data.Background.WHITE);
        }
    }

    @Test void refusesUnfitInputsBeforeWork() {
        Path out = tmp.resolve("odd");
        String[] odd = train(out, "--steps", "2");
        odd[java.util.Arrays.asList(odd).indexOf("--image-size") + 1] = "9";
        CliRun.of(odd).refused(1, "multiples of 2");
        assertTrue(!Files.exists(out.resolve("config.json")));
        String[] deep = train(out, "--steps", "2");
        deep[java.util.Arrays.asList(deep).indexOf("--disc-layers") + 1] = "3";
        CliRun.of(deep).refused(1, "too small", "--disc-layers");
        CliRun.of("train-autoencoder", "--preset", "no-such", "--out", out.toString()).refused(2, "unknown autoencoder preset", ConvTestAutoencoder.NAME);
        Path done = tmp.resolve("done");
        CliRun.of(train(done, "--steps", "2")).succeeded();
        CliRun.of("train-autoencoder", "--out", done.toString(), "--resume", "--steps", "4", "--lr", "1").refused(2, "--lr cannot change");
    }
}
