package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.io.ConfigJson;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.SafeTensorsFile;
import dev.diffusion4j.io.StoreType;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A diffusers model folder of an autoencoder: config.json beside diffusion_pytorch_model.safetensors (or the fp16
 * variant diffusion_pytorch_model.fp16.safetensors). Loading is strict: the weights must have exactly the model's
 * parameter names and shapes, else one message names the first mismatch (the mid attention's pre-0.14 names query, key,
 * value and proj_attn are renamed as diffusers renames them: {@link LegacyAttentionNames}). Saving writes a folder that
 * diffusers' from_pretrained loads. The folder checks and the weights file are shared with the U-Net folders
 * ({@code models.unet2d.UNet2DFolder}): {@link #configFile}, {@link #weightsFile}, {@link #saveWeights}.
 */
public final class DiffusersFolder {
    private DiffusersFolder() {}

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "diffusion_pytorch_model.safetensors";
    public static final String WEIGHTS_FP16 = "diffusion_pytorch_model.fp16.safetensors";
    /** The PyTorch-pickle weights of older hub folders, read when neither safetensors file is there. */
    public static final String WEIGHTS_BIN = "diffusion_pytorch_model.bin";

    /** Whether dir holds a diffusers autoencoder's config.json (its _class_name is AutoencoderKL or VQModel). */
    public static boolean isAutoencoderFolder(Path dir) {
        try {
            return Files.isRegularFile(dir.resolve(CONFIG))
                    && List.of("AutoencoderKL", "VQModel").contains(ConfigJson.readObject(dir.resolve(CONFIG)).get("_class_name"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The model a folder holds, of the class its config.json names (AutoencoderKL when it names none). */
    public static Autoencoder load(Path dir) throws IOException {
        Path config = configFile(dir, "autoencoder");
        Object name = ConfigJson.readObject(config).get("_class_name");
        return "VQModel".equals(name) ? loadVQ(dir) : loadKL(dir);
    }

    public static AutoencoderKL loadKL(Path dir) throws IOException {
        AutoencoderKL m = new AutoencoderKL(DiffusersConfigs.readKL(configFile(dir, "autoencoder")), new Generator(0));
        loadWeights(weightsFile(dir, "autoencoder"), m);
        return m;
    }

    public static VQModel loadVQ(Path dir) throws IOException {
        VQModel m = new VQModel(DiffusersConfigs.readVQ(configFile(dir, "autoencoder")), new Generator(0));
        loadWeights(weightsFile(dir, "autoencoder"), m);
        return m;
    }

    /**
     * Strict load by name; files that use diffusers' pre-0.14 attention names are renamed as diffusers does. A
     * diffusion_pytorch_model.bin (a PyTorch pickle, as older hub folders such as google/ddpm-* ship) is read by the
     * restricted checkpoint reader, which builds tensors only and never runs code from the file.
     */
    public static void loadWeights(Path file, dev.diffusion4j.nn.Module m) throws IOException {
        if (file.getFileName().toString().equals(WEIGHTS_BIN)) {
            Map<String, dev.diffusion4j.io.RawTensor> all = dev.diffusion4j.io.torch.WeightsFiles.read(file, null);
            Map<String, int[]> shapes = new java.util.LinkedHashMap<>();
            all.forEach((k, v) -> shapes.put(k, v.shape()));
            LegacyAttentionNames.load(file, shapes, all::get, m);
            return;
        }
        boolean legacy;
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            legacy = LegacyAttentionNames.hasLegacyNames(f.shapes());
        }
        if (legacy) LegacyAttentionNames.load(file, m);
        else StateDicts.loadModel(file, m, true);
    }

    /** Writes config.json and the f32 weights. */
    public static void save(Path dir, Autoencoder model) throws IOException { save(dir, model, false); }

    /**
     * Writes config.json and the weights diffusers' class holds (not a VQ model's EMA codebook buffers), in f16 under the
     * fp16 variant's file name when fp16 is set (diffusers' variant="fp16").
     */
    public static void save(Path dir, Autoencoder model, boolean fp16) throws IOException {
        Files.createDirectories(dir);
        switch (model) {
            case AutoencoderKL kl -> DiffusersConfigs.write(dir.resolve(CONFIG), kl.config());
            case VQModel vq -> DiffusersConfigs.write(dir.resolve(CONFIG), vq.config());
            default -> throw new IllegalArgumentException("no diffusers folder format for " + model.typeName());
        }
        // a VQ model trained with EMA codebook updates also holds their buffers; diffusers' VQModel has none
        Map<String, dev.diffusion4j.engine.Tensor> state = new java.util.LinkedHashMap<>(model.stateDict());
        state.keySet().removeIf(k -> k.startsWith("quantize.ema_"));
        saveWeights(dir, state, fp16);
    }

    /** Writes a model's weights as diffusers names the file: f32, or f16 under the fp16 variant's name when fp16 is set. */
    public static void saveWeights(Path dir, Map<String, dev.diffusion4j.engine.Tensor> state, boolean fp16) throws IOException {
        StateDicts.save(dir.resolve(fp16 ? WEIGHTS_FP16 : WEIGHTS), state, Map.of("format", "pt"), fp16 ? StoreType.F16 : null);
    }

    /** The config.json of a diffusers folder of a model of the given kind (named in the messages: "autoencoder", "U-Net"). */
    public static Path configFile(Path dir, String kind) throws IOException {
        if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir.toString(), null, "not a folder: give a diffusers " + kind + " folder (config.json + "
                + WEIGHTS + ")");
        Path c = dir.resolve(CONFIG);
        if (!Files.isRegularFile(c)) throw new NoSuchFileException(c.toString(), null, "no " + CONFIG + " in the " + kind + " folder " + dir);
        return c;
    }

    /** The weights file of an autoencoder folder: the f32 file, else the fp16 variant. */
    public static Path weightsFile(Path dir) throws IOException { return weightsFile(dir, "autoencoder"); }

    /** The weights file of a diffusers folder of a model of the given kind: the f32 file, else the fp16 variant, else the .bin pickle. */
    public static Path weightsFile(Path dir, String kind) throws IOException {
        for (String name : new String[] {WEIGHTS, WEIGHTS_FP16, WEIGHTS_BIN}) if (Files.isRegularFile(dir.resolve(name))) return dir.resolve(name);
        throw new NoSuchFileException(dir.toString(), null, "no " + WEIGHTS + ", " + WEIGHTS_FP16 + " or " + WEIGHTS_BIN + " in the " + kind + " folder");
    }
}
