package dev.diffusion4j.engine;

import java.util.Locale;

/**
 * How a GPU computes a float32 model, as the {@code --precision} option names it: {@code fp32} (strict IEEE float
 * products), {@code tf32} (float32 products and convolutions on TF32 tensor cores, as PyTorch's allow_tf32) or
 * {@code bf16} (bf16 autocast: {@link Autocast}). The CPU backend always computes in f32.
 */
public enum Precision {
    FP32, TF32, BF16;

    private static volatile boolean tf32 = Boolean.getBoolean("diffusion4j.tf32");

    /** Whether float32 matrix products and convolutions may use TF32 (all devices; default: property diffusion4j.tf32). */
    public static boolean tf32Allowed() { return tf32; }

    public static void allowTf32(boolean allow) { tf32 = allow; }

    /** Sets the global TF32 switch for this precision (on for tf32, off otherwise). */
    public void applyMathMode() { allowTf32(this == TF32); }

    /** The autocast scope a forward pass runs in: bf16 for BF16, else null (try-with-resources accepts null). */
    public Autocast autocast() { return this == BF16 ? Autocast.bf16() : null; }

    public String id() { return name().toLowerCase(Locale.ROOT); }

    public static Precision parse(String s) {
        for (Precision p : values()) if (p.id().equalsIgnoreCase(s)) return p;
        throw new IllegalArgumentException("unknown precision '" + s + "': use fp32, tf32 or bf16");
    }
}
