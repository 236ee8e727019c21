package dev.diffusion4j.models;

import java.util.LinkedHashMap;
import java.util.Map;

/** Named U-Net configurations. The first two match ../shared/bench/ddpm_unet.py layer for layer (same parameter counts). */
public final class ModelPresets {
    private ModelPresets() {}

    private static final Map<String, UNetConfig> PRESETS = new LinkedHashMap<>();
    private static final Map<String, String> ABOUT = new LinkedHashMap<>();

    static {
        add("ddpm-cifar10", "DDPM CIFAR-10 U-Net (Ho et al. 2020), 32x32 RGB, 35.7M parameters",
                new UNetConfig(3, 128, new int[] {1, 2, 2, 2}, 2, new int[] {16}, 32, 0.1, 0, 1, false, false, true, false, 0, 32));
        add("fmnist-small", "small U-Net for 28x28 grayscale (Fashion-MNIST), 6.5M parameters",
                new UNetConfig(1, 64, new int[] {1, 2, 2}, 2, new int[] {14}, 28, 0.1, 0, 1, false, false, true, false, 0, 32));
        add("tiny", "tiny U-Net for the built-in shapes demo on a CPU, 16x16 RGB (--image-size 32 for 32x32)",
                new UNetConfig(3, 32, new int[] {1, 2, 2}, 1, new int[] {8}, 16, 0.0, 0, 1, true, false, true, true, 0, 8));
    }

    private static void add(String name, String about, UNetConfig c) { PRESETS.put(name, c); ABOUT.put(name, about); }

    public static UNetConfig get(String name) {
        UNetConfig c = PRESETS.get(name);
        if (c == null) throw new IllegalArgumentException("unknown model preset '" + name + "'; available: " + String.join(", ", PRESETS.keySet()));
        return c;
    }

    public static Map<String, String> describe() { return new LinkedHashMap<>(ABOUT); }
}
