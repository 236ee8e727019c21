package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.autoencoder.Autoencoder;
import dev.diffusion4j.models.autoencoder.DiffusersFolder;
import dev.diffusion4j.train.autoencoder.AutoencoderRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** diffuse export --format diffusers: an autoencoder run's EMA weights as a diffusers folder that loads back strictly. */
class ExportCommandTest {
    @TempDir Path tmp;

    @Test void anAutoencoderRunBecomesADiffusersFolderWithTheSameWeights() throws Exception {
        Path run = tmp.resolve("ae"), out = tmp.resolve("ae-diffusers");
        CliRun.of("train-autoencoder", "--preset", "kl-f4-tiny", "--out", run.toString(), "--data", "shapes:16", "--image-size", "8",
                "--batch-size", "4", "--steps", "1", "--device", "cpu").succeeded();
        CliRun e = CliRun.of("export", "--run", run.toString(), "--format", "diffusers", out.toString()).succeeded();
        assertTrue(e.out().contains("AutoencoderKL") && e.out().contains("train --autoencoder " + out), e.describe());
        assertEquals("AutoencoderKL", dev.diffusion4j.io.ConfigJson.readObject(out.resolve("config.json")).get("_class_name"));

        Map<String, Tensor> exported = DiffusersFolder.load(out).stateDict(), trained = AutoencoderRun.open(run).load(Device.CPU).stateDict();
        assertEquals(trained.keySet(), exported.keySet());
        for (String k : trained.keySet()) assertArrayEquals(trained.get(k).toDoubleArray(), exported.get(k).toDoubleArray(), 0.0, k);
        Autoencoder back = DiffusersFolder.load(out);
        assertEquals(4, back.downsampleFactor());
    }

    @Test void aVqRunWithAnEmaCodebookExportsWithoutItsTrainingBuffers() throws Exception {
        Path run = tmp.resolve("vq"), out = tmp.resolve("vq-diffusers");
        CliRun.of("train-autoencoder", "--preset", "vq-f4-tiny", "--codebook-ema", "0.9", "--out", run.toString(), "--data", "shapes:16",
                "--image-size", "8", "--batch-size", "4", "--steps", "1", "--device", "cpu").succeeded();
        CliRun.of("export", "--run", run.toString(), out.toString()).succeeded();
        Map<String, Tensor> exported = DiffusersFolder.load(out).stateDict();
        assertTrue(exported.keySet().stream().noneMatch(k -> k.contains("ema_")), exported.keySet().toString());
        Map<String, Tensor> trained = AutoencoderRun.open(run).load(Device.CPU).stateDict();
        assertArrayEquals(trained.get("quantize.embedding.weight").toDoubleArray(), exported.get("quantize.embedding.weight").toDoubleArray(), 0.0);
    }

    @Test void refusesWhatItCannotExport() {
        Path run = tmp.resolve("unet");
        CliRun.of(CliRun.train(run, "--steps", "1")).succeeded();
        CliRun.of("export", "--run", run.toString(), tmp.resolve("x").toString()).refused(2, "only autoencoder runs");
        assertTrue(!Files.exists(tmp.resolve("x")));
        CliRun.of("export", "--run", run.toString(), "--format", "onnx", tmp.resolve("y").toString()).refused(2, "--format");
    }
}
