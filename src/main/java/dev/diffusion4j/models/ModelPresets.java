package dev.diffusion4j.models;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Named model configurations of both families. The U-Net presets ddpm-cifar10 and fmnist-small match
 * ../shared/bench/ddpm_unet.py layer for layer; the dit-SIZE/PATCH presets are the DiT paper's models for 32x32x4
 * latents (class-conditional on 1000 classes, learned sigma) with the parameter counts of ../shared/bench/dit.py.
 */
public final class ModelPresets {
    private ModelPresets() {}

    private static final Map<String, ModelConfig> PRESETS = new LinkedHashMap<>();
    private static final Map<String, String> ABOUT = new LinkedHashMap<>();

    static {
        add("ddpm-cifar10", "DDPM CIFAR-10 U-Net (Ho et al. 2020), 32x32 RGB, 35.7M parameters",
                new UNetConfig(3, 128, new int[] {1, 2, 2, 2}, 2, new int[] {16}, 32, 0.1, 0, 1, false, false, true, false, 0, 32));
        add("fmnist-small", "small U-Net for 28x28 grayscale (Fashion-MNIST), 6.5M parameters",
                new UNetConfig(1, 64, new int[] {1, 2, 2}, 2, new int[] {14}, 28, 0.1, 0, 1, false, false, true, false, 0, 32));
        add("tiny", "tiny U-Net for the built-in shapes demo on a CPU, 16x16 RGB (--image-size 32 for 32x32)",
                new UNetConfig(3, 32, new int[] {1, 2, 2}, 1, new int[] {8}, 16, 0.0, 0, 1, true, false, true, true, 0, 8));
        String[][] sizes = {{"S", "12", "384", "6"}, {"B", "12", "768", "12"}, {"L", "24", "1024", "16"}, {"XL", "28", "1152", "16"}};
        for (String[] s : sizes) {
            for (int p : new int[] {2, 4, 8}) {
                DiTConfig c = new DiTConfig(4, 32, p, Integer.parseInt(s[2]), Integer.parseInt(s[1]), Integer.parseInt(s[3]), 4.0, 1000, true);
                add("dit-" + s[0].toLowerCase(Locale.ROOT) + "/" + p, String.format(Locale.ROOT,
                        "DiT-%s/%d (Peebles and Xie 2023) for 32x32x4 latents, 1000 classes, learned sigma, %,d parameters", s[0], p, c.parameterCount()),
                        c);
            }
        }
        DiTConfig fm = new DiTConfig(1, 28, 2, 256, 8, 4, 4.0, 0, true);
        add("dit-fmnist", String.format(Locale.ROOT, "DiT for 28x28 grayscale (Fashion-MNIST), patch 2 (196 tokens), D 256, depth 8, %,d parameters",
                fm.parameterCount()), fm);
        // 4x4 patches: 16 tokens of width 128 train about twice as fast as the 64 tokens of width 96 of 2x2 patches,
        // and learned no slower per step; 2x2 patches at width 64 (the same cost) drew worse (docs/dit.md, "CPU run").
        // Its training defaults (v, 4e-3, 4000 steps) live in train/TrainDefaults; TrainDefaultsTest keeps this line true.
        DiTConfig tiny = new DiTConfig(3, 16, 4, 128, 4, 4, 4.0, 0, true);
        add("dit-tiny", String.format(Locale.ROOT, "tiny DiT for the built-in shapes demo on a CPU, 16x16 RGB, patch 4 (16 tokens), D 128, depth 4, %,d parameters; "
                + "trains 4000 steps by default (under 6 minutes on 2 idle cores, docs/dit.md)", tiny.parameterCount()), tiny);
    }

    private static void add(String name, String about, ModelConfig c) { PRESETS.put(name, c); ABOUT.put(name, about); }

    public static ModelConfig get(String name) {
        ModelConfig c = PRESETS.get(name);
        if (c == null) throw new IllegalArgumentException("unknown model preset '" + name + "'; available: " + String.join(", ", PRESETS.keySet()));
        return c;
    }

    /** A U-Net preset by name (fails on a DiT preset). */
    public static UNetConfig unet(String name) { return as(name, UNetConfig.class); }

    /** A DiT preset by name (fails on a U-Net preset). */
    public static DiTConfig dit(String name) { return as(name, DiTConfig.class); }

    private static <C extends ModelConfig> C as(String name, Class<C> kind) {
        ModelConfig c = get(name);
        if (!kind.isInstance(c)) throw new IllegalArgumentException("model preset '" + name + "' is a " + c.arch() + ", not a " + kind.getSimpleName());
        return kind.cast(c);
    }

    public static Map<String, String> describe() { return new LinkedHashMap<>(ABOUT); }
}
