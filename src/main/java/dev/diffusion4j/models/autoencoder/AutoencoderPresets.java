package dev.diffusion4j.models.autoencoder;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Named autoencoder configurations: the Stable Diffusion VAE's layout (for its released weights) and small pixel
 * autoencoders that train in minutes. The small ones carry scaling_factor 1: a latent diffusion run measures its
 * own scale on the encoded data.
 */
public final class AutoencoderPresets {
    private AutoencoderPresets() {}

    private static final Map<String, AutoencoderConfig> PRESETS = new LinkedHashMap<>();
    private static final Map<String, String> ABOUT = new LinkedHashMap<>();

    static {
        add("sd-vae", "Stable Diffusion's KL-f8 VAE layout (diffusers AutoencoderKL, 512x512 RGB -> 64x64x4); released weights load with DiffusersFolder",
                AutoencoderKLConfig.of(3, List.of(128, 256, 512, 512), 2, 4, 32, 512, 0.18215));
        add("kl-f4-tiny", "tiny KL-f4 autoencoder for the built-in RGB shapes on a CPU (32x32, their own size -> 8x8x4 latents; 16x16 -> 4x4x4)",
                AutoencoderKLConfig.of(3, List.of(32, 64, 64), 1, 4, 8, 16, 1.0));
        add("kl-f4", "KL-f4 autoencoder for 64x64 RGB (emoji) on a GPU (16x16x4 latents)",
                AutoencoderKLConfig.of(3, List.of(64, 128, 256), 2, 4, 32, 64, 1.0));
        add("vq-f4-tiny", "tiny VQ-f4 autoencoder for the built-in RGB shapes on a CPU (32x32 -> 8x8 codes of 256, width 4; 16x16 -> 4x4)",
                VQModelConfig.of(3, List.of(32, 64, 64), 1, 4, 8, 16, 256, 0));
    }

    private static void add(String name, String about, AutoencoderConfig c) {
        PRESETS.put(name, c);
        ABOUT.put(name, String.format(Locale.ROOT, "%s, %,d parameters", about, c.parameterCount()));
    }

    /** True when name is an autoencoder preset (the CLI asks before trying the denoiser presets). */
    public static boolean has(String name) { return PRESETS.containsKey(name); }

    public static AutoencoderConfig get(String name) {
        AutoencoderConfig c = PRESETS.get(name);
        if (c == null) throw new IllegalArgumentException("unknown autoencoder preset '" + name + "'; available: " + String.join(", ", PRESETS.keySet()));
        return c;
    }

    public static AutoencoderKLConfig kl(String name) {
        if (!(get(name) instanceof AutoencoderKLConfig c)) throw new IllegalArgumentException("autoencoder preset '" + name + "' is not a KL autoencoder");
        return c;
    }

    public static VQModelConfig vq(String name) {
        if (!(get(name) instanceof VQModelConfig c)) throw new IllegalArgumentException("autoencoder preset '" + name + "' is not a VQ autoencoder");
        return c;
    }

    public static List<String> names() { return List.copyOf(PRESETS.keySet()); }

    public static Map<String, String> describe() { return new LinkedHashMap<>(ABOUT); }
}
