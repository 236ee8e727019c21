package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.interop.diffusers.ModelIndex;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.models.autoencoder.AutoencoderKLConfig;
import dev.diffusion4j.models.autoencoder.DiffusersFolder;
import dev.diffusion4j.models.text.ClipTextConfig;
import dev.diffusion4j.models.text.ClipTextModel;
import dev.diffusion4j.models.text.ClipTokenizer;
import dev.diffusion4j.models.unet2d.UNet2D;
import dev.diffusion4j.models.unet2d.UNet2DConditionConfig;
import dev.diffusion4j.models.unet2d.UNet2DFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code diffuse sample --pretrained}: diffusers pipeline folders assembled from a diffusers-written U-Net fixture (a
 * DDPMPipeline) and from tiny components saved in diffusers' layouts (a StableDiffusionPipeline: UNet2DConditionModel,
 * AutoencoderKL, CLIP text model and tokenizer). bench/diffusers_pipeline_parity.py checks the images against
 * diffusers' own pipelines.
 */
class PretrainedSampleCliTest {
    static final Path UNET_FIXTURES = Path.of("src/test/resources/dev/diffusion4j/models/unet2d");
    static final Path VOCAB = Path.of("data/captions/emoji-bpe-2048");
    static final String DDIM = """
            {"_class_name": "DDIMScheduler", "num_train_timesteps": 1000, "beta_start": 0.0001, "beta_end": 0.02,
             "beta_schedule": "linear", "clip_sample": false, "set_alpha_to_one": true, "steps_offset": 0,
             "prediction_type": "epsilon", "timestep_spacing": "leading"}
            """;

    @TempDir Path tmp;

    /** A DDPMPipeline around diffusers' own tiny class-conditional UNet2DModel (4 classes, 8x8 RGB). */
    Path ddpmFolder() throws IOException {
        Path dir = tmp.resolve("ddpm");
        copyFolder(UNET_FIXTURES.resolve("ddpm_attn_tiny/model"), dir.resolve("unet"));
        writeScheduler(dir);
        index("DDPMPipeline", Map.of("unet", "UNet2DModel", "scheduler", "DDIMScheduler")).write(dir.resolve("model_index.json"));
        return dir;
    }

    /** A StableDiffusionPipeline of tiny random components: 8x8x4 latents, a VAE of factor 2, so 16x16 images. */
    Path sdFolder() throws IOException {
        Path dir = tmp.resolve("sd");
        copyFolder(VOCAB, dir.resolve("tokenizer"));
        ClipTokenizer tok = ClipTokenizer.load(dir.resolve("tokenizer"));
        ClipTextModel text = new ClipTextModel(ClipTextConfig.preset("text-tiny", tok), new Generator(1));
        text.save(dir.resolve("text_encoder"));
        DiffusersFolder.save(dir.resolve("vae"), AutoencoderKLConfig.of(3, List.of(8, 8), 1, 4, 4, 16, 0.18215).build(new Generator(2)));
        UNet2DConditionConfig cond = (UNet2DConditionConfig) UNet2DFolder.readConfig(UNET_FIXTURES.resolve("cond_tiny/model/config.json"));
        UNet2DFolder.save(dir.resolve("unet"), new UNet2D(cond.withContextDim(text.config().hiddenSize()), new Generator(3)));
        writeScheduler(dir);
        Map<String, String> comps = new LinkedHashMap<>();
        comps.put("unet", "UNet2DConditionModel");
        comps.put("vae", "AutoencoderKL");
        comps.put("text_encoder", "CLIPTextModel");
        comps.put("tokenizer", "CLIPTokenizer");
        comps.put("scheduler", "DDIMScheduler");
        index("StableDiffusionPipeline", comps).write(dir.resolve("model_index.json"));
        return dir;
    }

    @Test
    void samplesADdpmPipelineFolderOneRowPerClassAndReproducibly() throws IOException {
        Path dir = ddpmFolder(), grid = tmp.resolve("g.png"), again = tmp.resolve("g2.png");
        CliRun r = CliRun.of("sample", "--pretrained", dir.toString(), "--count", "4", "--steps", "3", "--grid", grid.toString(),
                "--images", tmp.resolve("imgs").toString(), "--device", "cpu");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("DDPMPipeline") && r.out().contains("DDIMScheduler, 3 steps") && r.out().contains("classes 0..3, one row per class"), r.out());
        assertEquals(8, ImageIO.read(tmp.resolve("imgs/00003.png").toFile()).getWidth());
        CliRun r2 = CliRun.of("sample", "--pretrained", dir.toString(), "--count", "4", "--steps", "3", "--grid", again.toString(), "--device", "cpu");
        assertEquals(0, r2.status(), r2.err());
        assertArrayEquals(Files.readAllBytes(grid), Files.readAllBytes(again), "the same seed draws the same images");
    }

    @Test
    void samplesAStableDiffusionPipelineFolderFromPrompts() throws IOException {
        Path dir = sdFolder(), grid = tmp.resolve("sd.png"), images = tmp.resolve("imgs");
        CliRun r = CliRun.of("sample", "--pretrained", dir.toString(), "--prompt", "red apple", "--prompt", "grinning face",
                "--negative-prompt", "blurry", "--count", "2", "--steps", "2", "--guidance", "5", "--grid", grid.toString(),
                "--images", images.toString(), "--device", "cpu", "--precision", "bf16");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("note: --precision bf16 applies on CUDA"), r.out());
        assertTrue(r.out().contains("StableDiffusionPipeline, 16 x 16"), r.out());
        var one = ImageIO.read(images.resolve("00000.png").toFile());
        assertEquals(16, one.getWidth());
        assertTrue(Files.exists(grid));
        CliRun noPrompt = CliRun.of("sample", "--pretrained", dir.toString(), "--device", "cpu");
        assertEquals(1, noPrompt.status());
        assertTrue(noPrompt.err().contains("say what to draw with --prompt"), noPrompt.err());
        assertFalse(noPrompt.out().contains("loading"), "refused before any weights are read");
    }

    @Test
    void refusesWhatAPipelineFolderCannotDoBeforeSampling() throws IOException {
        Path dir = ddpmFolder();
        CliRun both = CliRun.of("sample", "--pretrained", dir.toString(), "--run", tmp.toString());
        assertEquals(2, both.status());
        assertTrue(both.err().contains("--run applies to training runs"), both.err());
        CliRun notAFolder = CliRun.of("sample", "--pretrained", tmp.toString(), "--device", "cpu");
        assertEquals(1, notAFolder.status());
        assertTrue(notAFolder.err().contains("no model_index.json") && notAFolder.err().contains("StableDiffusionPipeline"), notAFolder.err());
        CliRun guided = CliRun.of("sample", "--pretrained", dir.toString(), "--guidance", "3", "--steps", "2", "--device", "cpu");
        assertEquals(1, guided.status());
        // diffusers' own class-conditional UNet2DModel: its 4 rows are all classes, none is "no class"
        assertTrue(guided.err().contains("num_class_embeds (4) are all real classes, with no 'no class' row")
                && guided.err().contains("_diffusion4j_null_class"), guided.err());
        CliRun tooHigh = CliRun.of("sample", "--pretrained", dir.toString(), "--class", "4", "--steps", "2", "--device", "cpu");
        assertTrue(tooHigh.status() == 1 && tooHigh.err().contains("--class must be in [0, 4), got 4"), tooHigh.describe());
        CliRun prompt = CliRun.of("sample", "--pretrained", dir.toString(), "--prompt", "x", "--device", "cpu");
        assertTrue(prompt.err().contains("--prompt needs a text-to-image pipeline"), prompt.err());
        Path other = Files.createDirectories(tmp.resolve("other"));
        index("StableVideoDiffusionPipeline", Map.of("unet", "UNetSpatioTemporalConditionModel")).write(other.resolve("model_index.json"));
        CliRun unsupported = CliRun.of("sample", "--pretrained", other.toString(), "--device", "cpu");
        assertTrue(unsupported.err().contains("StableVideoDiffusionPipeline is not supported; supported: DDPMPipeline"), unsupported.err());
        CliRun neither = CliRun.of("sample", "--count", "2");
        assertEquals(2, neither.status());
        assertTrue(neither.err().contains("--pretrained DIR"), neither.err());
    }

    static ModelIndex index(String pipeline, Map<String, String> components) {
        Map<String, ModelIndex.Component> c = new LinkedHashMap<>();
        components.forEach((k, v) -> c.put(k, new ModelIndex.Component(k.equals("tokenizer") || k.equals("text_encoder") ? "transformers" : "diffusers", v)));
        return ModelIndex.of(pipeline, c);
    }

    private static void writeScheduler(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("scheduler"));
        AtomicFiles.writeString(dir.resolve("scheduler/scheduler_config.json"), DDIM);
    }

    private static void copyFolder(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) if (Files.isRegularFile(f)) Files.copy(f, to.resolve(f.getFileName()));
        }
    }
}
