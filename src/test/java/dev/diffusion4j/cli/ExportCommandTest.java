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

    @Test void aUNetRunBecomesADdpmPipelineFolder() throws Exception {
        Path run = tmp.resolve("unet"), out = tmp.resolve("unet-diffusers");
        CliRun.of(CliRun.train(run, "--steps", "1", "--parameterization", "v")).succeeded();
        CliRun e = CliRun.of("export", "--run", run.toString(), out.toString()).succeeded();
        assertTrue(e.out().contains("DDPMPipeline") && e.out().contains("from_pretrained"), e.describe());
        var index = dev.diffusion4j.interop.diffusers.ModelIndex.read(out.resolve("model_index.json"));
        assertEquals("DDPMPipeline", index.className());
        assertEquals("UNet2DModel", index.component("unet").className());
        assertEquals("DDPMScheduler", index.component("scheduler").className());
        assertEquals("v_prediction", dev.diffusion4j.io.ConfigJson.readObject(out.resolve("scheduler/scheduler_config.json")).get("prediction_type"));
        assertEquals("scale_shift", dev.diffusion4j.io.ConfigJson.readObject(out.resolve("unet/config.json")).get("resnet_time_scale_shift"));
        var model = dev.diffusion4j.train.Trainer.loadEmaModel(dev.diffusion4j.train.RunDir.open(run),
                dev.diffusion4j.train.RunDir.open(run).checkpoints().list().getLast().dir(), Device.CPU);
        Map<String, Tensor> written = dev.diffusion4j.nn.StateDicts.load(out.resolve("unet/diffusion_pytorch_model.safetensors"));
        assertArrayEquals(model.stateDict().get("cin.weight").toDoubleArray(), written.get("conv_in.weight").toDoubleArray(), 0.0);
        // qkv's 3C output rows split three ways: one more tensor per attention block, no weight lost
        long ours = model.parameters().stream().mapToLong(p -> p.data().numel()).sum();
        assertEquals(ours, written.values().stream().mapToLong(Tensor::numel).sum());

        Path half = tmp.resolve("unet-fp16");
        CliRun h = CliRun.of("export", "--run", run.toString(), "--fp16", half.toString()).succeeded();
        assertTrue(h.out().contains("variant=\"fp16\""), h.describe());
        try (var f = dev.diffusion4j.io.SafeTensors.open(half.resolve("unet/diffusion_pytorch_model.fp16.safetensors"))) {
            assertEquals(dev.diffusion4j.io.StoreType.F16, f.info("conv_in.weight").type());
        }
    }

    /**
     * The path a user takes: a class-conditional run (shapes: 5 classes, label dropout, grid guidance 3) exported, then
     * sampled with --pretrained. The folder reads back 5 classes (its 6th row is "no class"), draws one image per class
     * by default, guides as the export hint says, refuses a class past the last, and draws from the "no class" row with
     * --class none.
     */
    @Test void aClassConditionalRunSamplesBackWithItsClassesAndGuidance() throws Exception {
        Path run = tmp.resolve("cc"), out = tmp.resolve("cc-diffusers"), images = tmp.resolve("imgs");
        CliRun.of(CliRun.train(run, "--steps", "1")).succeeded();
        CliRun e = CliRun.of("export", "--run", run.toString(), out.toString()).succeeded();
        assertTrue(e.out().contains("class_labels=y) with y in [0, 5], 5 meaning no class"), e.describe());
        assertTrue(e.out().contains("sample --pretrained " + out + " --steps 50 --guidance 3.0"), e.describe());
        assertEquals(true, dev.diffusion4j.io.ConfigJson.readObject(out.resolve("unet/config.json")).get("_diffusion4j_null_class"));

        CliRun s = CliRun.of("sample", "--pretrained", out.toString(), "--steps", "2", "--count", "5", "--guidance", "3",
                "--grid", tmp.resolve("g.png").toString(), "--images", images.toString(), "--device", "cpu").succeeded();
        assertTrue(s.out().contains("sampling 5 images") && s.out().contains("classes 0..4, one row per class, guidance 3.0"), s.describe());
        try (var files = Files.list(images)) {
            assertEquals(5, files.count());
        }
        CliRun.of("sample", "--pretrained", out.toString(), "--class", "5", "--steps", "2", "--device", "cpu")
              .refused(1, "--class must be in [0, 5), got 5");
        CliRun.of("sample", "--pretrained", out.toString(), "--class", "4", "--count", "1", "--steps", "2", "--guidance", "2",
                "--grid", tmp.resolve("k.png").toString(), "--device", "cpu").succeeded();
        CliRun u = CliRun.of("sample", "--pretrained", out.toString(), "--class", "none", "--count", "2", "--steps", "2",
                "--grid", tmp.resolve("u.png").toString(), "--device", "cpu").succeeded();
        assertTrue(u.out().contains("no class (unconditional)"), u.describe());
        CliRun.of("sample", "--pretrained", out.toString(), "--class", "none", "--steps", "2", "--guidance", "3", "--device", "cpu")
              .refused(1, "--guidance 3.0 with --class none: guidance steers towards a class");
    }

    @Test void refusesWhatItCannotExport() throws Exception {
        Path run = tmp.resolve("unet");
        CliRun.of(CliRun.train(run, "--steps", "1")).succeeded();
        CliRun.of("export", "--run", run.toString(), "--format", "onnx", tmp.resolve("y").toString()).refused(2, "--format");
        // a U-Net diffusers cannot express (average-pool downsampling) is refused before anything is written
        Path config = run.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"conv_resample\" : true", "\"conv_resample\" : false").replace("\"conv_resample\": true", "\"conv_resample\": false"));
        CliRun r = CliRun.of("export", "--run", run.toString(), tmp.resolve("x").toString());
        assertTrue(r.status() != 0 && r.err().contains("average pooling"), r.describe());
        assertTrue(!Files.exists(tmp.resolve("x").resolve("model_index.json")));
        CliRun.of("export", "--run", tmp.resolve("missing").toString(), tmp.resolve("z").toString()).refused(2, "is not a train-autoencoder run, a U-Net diffusion run or a class-conditional DiT run");
    }
}
