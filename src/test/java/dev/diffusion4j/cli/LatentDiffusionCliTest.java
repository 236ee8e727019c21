package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.models.autoencoder.AutoencoderPresets;
import dev.diffusion4j.models.autoencoder.DiffusersFolder;
import dev.diffusion4j.train.FeatureRun;
import dev.diffusion4j.train.autoencoder.ConvTestAutoencoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Latent diffusion end to end on the CPU: an autoencoder, a tiny U-Net on its cached latents, decoded samples, resume, cache reuse and invalidation. */
class LatentDiffusionCliTest {
    @TempDir Path tmp;

    @BeforeAll static void register() { ConvTestAutoencoder.register(); }

    static String[] latentTrain(Path out, Path ae, String... extra) {
        List<String> a = new ArrayList<>(List.of(CliRun.train(out, "--autoencoder", ae.toString(), "--timesteps", "50", "--lr-schedule", "constant", "--data", "shapes:32")));
        // CliRun.train names --data shapes:64; picocli refuses an option given twice, so drop that one
        int i = a.indexOf("--data");
        a.remove(i);
        a.remove(i);
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    @Test void trainsSamplesResumesAndCachesLatents() throws Exception {
        Path ae = tmp.resolve("ae");
        CliRun.of(TrainAutoencoderCliTest.train(ae, "--steps", "2")).succeeded();

        Path run = tmp.resolve("latent");
        CliRun first = CliRun.of(latentTrain(run, ae, "--steps", "2")).succeeded();
        assertTrue(first.out().contains("encoding ") && first.out().contains("latent scale"), first.describe());
        Map<String, Object> cfg = ConfigJson.readObject(run.resolve("config.json"));
        @SuppressWarnings("unchecked") Map<String, Object> latent = (Map<String, Object>) cfg.get("latent");
        assertEquals(ae.toString(), latent.get("autoencoder"));
        assertEquals(64, ((String) latent.get("weights_sha256")).length());
        assertTrue(((Number) latent.get("scale")).doubleValue() > 0);
        @SuppressWarnings("unchecked") Map<String, Object> model = (Map<String, Object>) cfg.get("model");
        assertEquals(2, ((Number) model.get("in_channels")).intValue());      // the latents' channels and side, not the pixels'
        assertEquals(4, ((Number) model.get("resolution")).intValue());

        // samples decode to 3-channel 8x8 pixels
        Path images = tmp.resolve("images");
        CliRun.of("sample", "--run", run.toString(), "--count", "2", "--steps", "2", "--images", images.toString(), "--device", "cpu").succeeded();
        var png = ImageIO.read(images.resolve("00000.png").toFile());
        assertEquals(8, png.getWidth());
        assertEquals(8, png.getHeight());
        CliRun eval = CliRun.of("eval", "--run", run.toString(), "--count", "4", "--batch-size", "4", "--device", "cpu").succeeded();
        assertTrue(eval.out().contains("latent space"), eval.describe());

        // a second run on the same autoencoder and data reuses the cached latents; a resume too
        CliRun second = CliRun.of(latentTrain(tmp.resolve("latent2"), ae, "--steps", "1")).succeeded();
        assertTrue(second.out().contains("latents: reusing"), second.describe());
        CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "3").succeeded();

        // a retrained autoencoder: a resume is refused before any work, a new run encodes afresh
        CliRun.of("train-autoencoder", "--out", ae.toString(), "--resume", "--steps", "3").succeeded();
        var before = CliRun.snapshot(run);
        CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "4").refused(1, "retrained or replaced");
        assertEquals(before, CliRun.snapshot(run));
        CliRun third = CliRun.of(latentTrain(tmp.resolve("latent3"), ae, "--steps", "1")).succeeded();
        assertTrue(third.out().contains("encoding "), third.describe());
        try (var s = Files.list(ae.resolve("latents"))) {
            assertEquals(2, s.filter(p -> !p.getFileName().toString().startsWith(".")).count());
        }
    }

    @Test void refusesImagesTheAutoencoderCannotTake() throws Exception {
        Path ae = tmp.resolve("ae");
        CliRun.of(TrainAutoencoderCliTest.train(ae, "--steps", "1")).succeeded();
        String[] args = latentTrain(tmp.resolve("odd"), ae, "--steps", "1");
        args[java.util.Arrays.asList(args).indexOf("--image-size") + 1] = "9";
        CliRun.of(args).refused(1, "multiples of 2");
        assertTrue(!Files.exists(tmp.resolve("odd").resolve("config.json")));
    }

    @Test void takesADiffusersAutoencoderFolder() throws Exception {
        Path vae = tmp.resolve("vae");
        DiffusersFolder.save(vae, AutoencoderPresets.get("kl-f4-tiny").build(new Generator(3)));
        Path run = tmp.resolve("on-vae");
        String[] args = latentTrain(run, vae, "--steps", "1", "--latent-scale", "config");
        args[java.util.Arrays.asList(args).indexOf("--image-size") + 1] = "16";
        CliRun first = CliRun.of(args).succeeded();
        assertTrue(first.out().contains("latent scale 1.00000 (the autoencoder's scaling factor)"), first.describe());
        @SuppressWarnings("unchecked") Map<String, Object> latent = (Map<String, Object>) ConfigJson.readObject(run.resolve("config.json")).get("latent");
        assertEquals(FeatureRun.sha256(vae.resolve(DiffusersFolder.WEIGHTS)), latent.get("weights_sha256"));
        @SuppressWarnings("unchecked") Map<String, Object> model = (Map<String, Object>) ConfigJson.readObject(run.resolve("config.json")).get("model");
        assertEquals(4, ((Number) model.get("in_channels")).intValue());
        assertEquals(4, ((Number) model.get("resolution")).intValue());    // 16 pixels / f 4

        Path images = tmp.resolve("vae-images");
        CliRun.of("sample", "--run", run.toString(), "--count", "2", "--steps", "2", "--images", images.toString(), "--device", "cpu").succeeded();
        assertEquals(16, ImageIO.read(images.resolve("00000.png").toFile()).getWidth());

        // other weights in the folder: the run's latents no longer match, and sampling says so
        DiffusersFolder.save(vae, AutoencoderPresets.get("kl-f4-tiny").build(new Generator(4)));
        CliRun.of("sample", "--run", run.toString(), "--count", "2", "--steps", "2", "--device", "cpu").refused(1, "other weights");
    }
}
