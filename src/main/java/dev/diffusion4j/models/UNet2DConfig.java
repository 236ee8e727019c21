package dev.diffusion4j.models;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.models.unet2d.UNet2D;
import dev.diffusion4j.models.unet2d.UNet2DConditionConfig;
import dev.diffusion4j.models.unet2d.UNet2DLayout;
import dev.diffusion4j.models.unet2d.UNet2DModelConfig;
import java.util.List;

/**
 * The config.json of a diffusers U-Net, bound under diffusers' own keys: {@link UNet2DModelConfig} (the google/ddpm-*
 * layout) or {@link UNet2DConditionConfig} (Stable Diffusion's), its only implementations (non-sealed only because a
 * sealed interface's subtypes must share its package). Both build a {@link UNet2D} from the same {@link UNet2DLayout};
 * {@link dev.diffusion4j.models.unet2d.UNet2DFolder} reads and writes them.
 */
public non-sealed interface UNet2DConfig extends ModelConfig {
    /** diffusers' class name, written as _class_name. */
    String className();

    /**
     * config.json key that marks the last class_embedding row as a trained "no class" label (what diffuse export writes
     * for a class-conditional run: num_class_embeds = classes + 1). diffusers drops keys that start with "_" before it
     * builds the model, so the file still loads there; a folder without it has num_class_embeds real classes.
     */
    String NULL_CLASS_KEY = "_diffusion4j_null_class";

    /** Whether label {@link #numClasses()} is a "no class" row (see {@link #NULL_CLASS_KEY}): classifier-free guidance needs one. */
    boolean nullClass();

    /** What the network is made of, with every diffusers default and naming trap resolved. */
    UNet2DLayout layout();

    int sampleSize();

    @Override default int resolution() { return sampleSize(); }

    @Override default boolean learnSigma() { return outChannels() == 2 * inChannels(); }

    @Override default String arch() { return "diffusers-" + className(); }

    @Override default UNet2D build(Generator gen) { return new UNet2D(this, gen); }

    /** Parameters the built network holds, counted from the configuration alone (without allocating them). */
    default long parameterCount() { return layout().parameterCount(); }

    /** One message for an option value this loader does not implement, naming what it does. */
    static IllegalArgumentException unsupported(String key, Object value, String supported) {
        return new IllegalArgumentException(key + " " + (value instanceof String ? "'" + value + "'" : String.valueOf(value))
                + " is not supported; supported: " + supported);
    }

    static void checkBlockTypes(String key, List<String> types, List<String> supported, int levels) {
        for (String t : types) if (!supported.contains(t)) throw unsupported(key + ": block type", t, String.join(", ", supported));
        if (types.size() != levels)
            throw new IllegalArgumentException(key + " has " + types.size() + " entries but block_out_channels has " + levels + ": give one per level");
    }
}
