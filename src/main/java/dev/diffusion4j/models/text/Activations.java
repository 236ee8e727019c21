package dev.diffusion4j.models.text;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Tensor;

/** The MLP activations of CLIP text models, by their transformers names. */
public final class Activations {
    private Activations() {}

    /** CLIP's sigmoid approximation of GELU: x * sigmoid(1.702 x), composed from existing ops (their gradients follow). */
    public static Tensor quickGelu(Tensor x) { return x.mul(x.mul(1.702).sigmoid()); }

    public static Tensor apply(String name, Tensor x) {
        return switch (name) {
            case "quick_gelu" -> quickGelu(x);
            case "gelu" -> F.gelu(x);
            case "gelu_new", "gelu_pytorch_tanh" -> F.geluTanh(x);
            default -> throw new IllegalArgumentException("unknown activation '" + name + "'");
        };
    }
}
