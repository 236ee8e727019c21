package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.models.lpips.LpipsWeightsForTests;
import dev.diffusion4j.models.lpips.Vgg16Features;
import dev.diffusion4j.nn.StateDicts;
import dev.diffusion4j.train.MetricsLog;
import dev.diffusion4j.train.autoencoder.ConvTestAutoencoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train-autoencoder's perceptual (LPIPS) loss: on with user-supplied VGG16 / LPIPS files (random, of VGG16's real shapes), off by default, and its refusals. */
class TrainAutoencoderPerceptualCliTest {
    @TempDir static Path weights;
    @TempDir Path tmp;
    static Path vgg, lins;

    @BeforeAll static void writeWeights() throws Exception {
        ConvTestAutoencoder.register();
        vgg = weights.resolve("vgg16.safetensors");
        lins = weights.resolve("lpips.safetensors");
        Map<String, Tensor> features = new LinkedHashMap<>(LpipsWeightsForTests.vgg(Vgg16Features.WIDTHS, 1));
        features.put("classifier.0.bias", Tensor.zeros(16));   // torchvision's file has a classifier too; it is ignored
        StateDicts.save(vgg, features, Map.of());
        StateDicts.save(lins, LpipsWeightsForTests.lins(Vgg16Features.WIDTHS, 2), Map.of());
    }

    /** 16x16 shapes (LPIPS' smallest), batch 2, no discriminator. */
    static String[] train(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("train-autoencoder", "--preset", ConvTestAutoencoder.NAME, "--out", out.toString(),
                "--data", "shapes:8", "--image-size", "16", "--batch-size", "2", "--lr", "1e-3", "--log-every", "1", "--checkpoint-every", "2",
                "--sample-every", "2", "--grid-count", "2", "--device", "cpu"));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    @Test void trainsWithTheTermLogsItAndResumesWithTheSavedFiles() {
        Path out = tmp.resolve("ae");
        CliRun r = CliRun.of(train(out, "--steps", "2", "--perceptual-weight", "1.0", "--vgg-weights", vgg.toString(), "--lpips-weights", lins.toString())).succeeded();
        assertTrue(r.out().contains("perceptual loss: LPIPS (VGG16), weight 1.0") && r.out().contains(", LPIPS "), r.describe());
        List<Map<String, Object>> rows = MetricsLog.read(out.resolve("metrics.jsonl"));
        List<Double> p = rows.stream().filter(m -> m.containsKey("p_loss")).map(m -> ((Number) m.get("p_loss")).doubleValue()).toList();
        assertEquals(2, p.size(), rows.toString());
        for (double v : p) assertTrue(v > 0 && Double.isFinite(v), rows.toString());
        @SuppressWarnings("unchecked") Map<String, Object> perceptual = (Map<String, Object>) ((Map<String, Object>) ConfigJson.readObject(out.resolve("config.json")).get("loss")).get("perceptual");
        assertEquals(1.0, ((Number) perceptual.get("weight")).doubleValue());
        assertEquals(vgg.toAbsolutePath().toString(), perceptual.get("vgg_weights"));
        CliRun.of("train-autoencoder", "--out", out.toString(), "--resume", "--steps", "3").succeeded();
        assertTrue(MetricsLog.read(out.resolve("metrics.jsonl")).stream().anyMatch(m -> ((Number) m.get("step")).longValue() == 3 && m.containsKey("p_loss")));
        // reconstruct reports LPIPS with the files the run trained with
        String rec = CliRun.of("reconstruct", "--run", out.toString(), "--count", "4", "--features", "none", "--device", "cpu").succeeded().out();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("LPIPS (\\d+\\.\\d+) \\(VGG16").matcher(rec);
        assertTrue(m.find() && Double.parseDouble(m.group(1)) > 0, rec);
    }

    @Test void aResumeWhoseWeightFileIsGoneSaysWhich() throws Exception {
        Path out = tmp.resolve("moved"), copy = Files.copy(vgg, tmp.resolve("vgg-copy.safetensors"));
        CliRun.of(train(out, "--steps", "1", "--perceptual-weight", "1", "--vgg-weights", copy.toString(), "--lpips-weights", lins.toString())).succeeded();
        Files.delete(copy);
        CliRun.of("train-autoencoder", "--out", out.toString(), "--resume", "--steps", "2").refused(1, "VGG16 weights file not found", "vgg-copy.safetensors");
    }

    @Test void offByDefaultAndTheHelpSaysSo() {
        Path out = tmp.resolve("off");
        CliRun.of(train(out, "--steps", "1")).succeeded();
        assertTrue(MetricsLog.read(out.resolve("metrics.jsonl")).stream().noneMatch(m -> m.containsKey("p_loss")));
        String help = CliRun.of("train-autoencoder", "--help").succeeded().out().replaceAll("\\s+", " ");
        assertTrue(help.contains("--perceptual-weight") && help.contains("0 = off, the default: no VGG/LPIPS weights ship with diffusion4j"), help);
        // reconstruct: no LPIPS for a run without the term, unless the files are given (both)
        assertFalse(CliRun.of("reconstruct", "--run", out.toString(), "--count", "2", "--features", "none", "--device", "cpu").succeeded().out().contains("LPIPS"));
        assertTrue(CliRun.of("reconstruct", "--run", out.toString(), "--count", "2", "--features", "none", "--device", "cpu",
                "--vgg-weights", vgg.toString(), "--lpips-weights", lins.toString()).succeeded().out().contains("LPIPS "));
        CliRun.of("reconstruct", "--run", out.toString(), "--count", "2", "--features", "none", "--vgg-weights", vgg.toString()).refused(2, "--lpips-weights");
    }

    @Test void refusesMissingOrWrongWeightsBeforeWork() throws Exception {
        Path out = tmp.resolve("refused");
        CliRun.of(train(out, "--steps", "1", "--perceptual-weight", "1")).refused(2, "--vgg-weights", "--lpips-weights", "none ship");
        CliRun.of(train(out, "--steps", "1", "--vgg-weights", vgg.toString())).refused(2, "--perceptual-weight");
        CliRun.of(train(out, "--steps", "1", "--perceptual-weight", "1", "--vgg-weights", tmp.resolve("nope.pth").toString(), "--lpips-weights", lins.toString()))
                .refused(2, "--vgg-weights: no such file", "nope.pth");
        CliRun.of(train(out, "--steps", "1", "--perceptual-weight", "-1")).refused(2, "--perceptual-weight");
        String[] small = train(out, "--steps", "1", "--perceptual-weight", "1", "--vgg-weights", vgg.toString(), "--lpips-weights", lins.toString());
        small[java.util.Arrays.asList(small).indexOf("--image-size") + 1] = "8";
        CliRun.of(small).refused(2, "at least 16x16");

        Path partial = tmp.resolve("partial.safetensors");   // the first conv's weight only
        StateDicts.save(partial, Map.of("features.0.weight", Tensor.zeros(64, 3, 3, 3)), Map.of());
        CliRun.of(train(out, "--steps", "1", "--perceptual-weight", "1", "--vgg-weights", partial.toString(), "--lpips-weights", lins.toString()))
                .refused(1, "partial.safetensors", "no tensor 'features.0.bias'", "VGG16");
        Path misshaped = tmp.resolve("misshaped.safetensors");
        StateDicts.save(misshaped, Map.of("features.0.weight", Tensor.zeros(64, 3, 5, 5)), Map.of());
        CliRun.of(train(out, "--steps", "1", "--perceptual-weight", "1", "--vgg-weights", misshaped.toString(), "--lpips-weights", lins.toString()))
                .refused(1, "features.0.weight has shape [64, 3, 5, 5], expected [64, 3, 3, 3]");
        Map<String, Tensor> badLins = new LinkedHashMap<>(LpipsWeightsForTests.lins(Vgg16Features.WIDTHS, 3));
        badLins.put("lin2.model.1.weight", Tensor.zeros(1, 128, 1, 1));
        Path wrongLin = tmp.resolve("lins.safetensors");
        StateDicts.save(wrongLin, badLins, Map.of());
        CliRun.of(train(out, "--steps", "1", "--perceptual-weight", "1", "--vgg-weights", vgg.toString(), "--lpips-weights", wrongLin.toString()))
                .refused(1, "lins.safetensors", "lin2.model.1.weight has shape [1, 128, 1, 1], expected [1, 256, 1, 1]");
        assertFalse(Files.exists(out), "nothing is written for a refused run");
    }
}
