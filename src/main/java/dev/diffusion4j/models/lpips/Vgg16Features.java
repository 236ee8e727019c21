package dev.diffusion4j.models.lpips;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The convolutional trunk of VGG16 (torchvision's {@code vgg16().features}) up to relu5_3, frozen: five stages of 3x3
 * convolutions (padding 1) with ReLU, a 2x2 stride-2 max pool before each stage but the first, and the activations
 * after the last ReLU of each stage (relu1_2, relu2_2, relu3_3, relu4_3, relu5_3) as output. The weights are plain
 * tensors, not parameters: nothing trains them, while gradients still flow to the input.
 */
public final class Vgg16Features {
    /** torchvision's module index of each convolution, by stage (ReLUs and pools sit at the indices in between). */
    static final int[][] CONV_INDICES = {{0, 2}, {5, 7}, {10, 12, 14}, {17, 19, 21}, {24, 26, 28}};
    /** VGG16's output channels per stage. */
    public static final List<Integer> WIDTHS = List.of(64, 128, 256, 512, 512);

    private final Tensor[][] weights, biases;

    private Vgg16Features(Tensor[][] weights, Tensor[][] biases) {
        this.weights = weights;
        this.biases = biases;
    }

    /**
     * The trunk from a state dict with torchvision's names ({@code features.0.weight} ...; other entries such as
     * {@code classifier.*} are ignored), checked against {@code widths} (VGG16's are {@link #WIDTHS}; tests use narrower
     * ones) and 3 input channels.
     *
     * @throws IllegalArgumentException naming the first missing or mis-shaped tensor
     */
    public static Vgg16Features fromStateDict(Map<String, Tensor> state, List<Integer> widths) {
        if (widths.size() != CONV_INDICES.length) throw new IllegalArgumentException("VGG16 has 5 stages, got widths " + widths);
        Tensor[][] w = new Tensor[CONV_INDICES.length][], b = new Tensor[CONV_INDICES.length][];
        int in = 3;
        for (int s = 0; s < CONV_INDICES.length; s++) {
            int out = widths.get(s);
            w[s] = new Tensor[CONV_INDICES[s].length];
            b[s] = new Tensor[CONV_INDICES[s].length];
            for (int j = 0; j < CONV_INDICES[s].length; j++) {
                String p = "features." + CONV_INDICES[s][j];
                w[s][j] = Lpips.require(state, p + ".weight", out, in, 3, 3);
                b[s][j] = Lpips.require(state, p + ".bias", out);
                in = out;
            }
        }
        return new Vgg16Features(w, b);
    }

    /** The five tapped activations of images {@code [N, 3, H, W]} (already shifted and scaled as VGG expects). */
    public Tensor[] taps(Tensor x) {
        Tensor[] out = new Tensor[weights.length];
        for (int s = 0; s < weights.length; s++) {
            if (s > 0) x = maxPool2x2(x);
            for (int j = 0; j < weights[s].length; j++) x = F.relu(F.conv2d(x, cast(weights[s][j], x), cast(biases[s][j], x), 1, 1));
            out[s] = x;
        }
        return out;
    }

    /**
     * max_pool2d(x, 2, stride 2) (floor mode: an odd last row or column is dropped), the maximum of the four strided
     * views of the window positions; ties share the gradient (they occur only at ReLU zeros, where it vanishes anyway).
     */
    static Tensor maxPool2x2(Tensor x) {
        int oh = x.shape(2) / 2, ow = x.shape(3) / 2;
        if (oh < 1 || ow < 1) throw new IllegalArgumentException("a 2x2 max pool needs at least 2x2 pixels, got " + Arrays.toString(x.shape()));
        Tensor out = null;
        for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++) {
                Tensor tap = x.slice(2, dy, dy + 2 * (oh - 1) + 1, 2).slice(3, dx, dx + 2 * (ow - 1) + 1, 2);
                out = out == null ? tap : out.maximum(tap);
            }
        return out;
    }

    /** The same trunk on {@code device} with floating weights of type {@code dtype}. */
    Vgg16Features to(Device device, DType dtype) {
        Tensor[][] w = new Tensor[weights.length][], b = new Tensor[weights.length][];
        for (int s = 0; s < weights.length; s++) {
            w[s] = new Tensor[weights[s].length];
            b[s] = new Tensor[weights[s].length];
            for (int j = 0; j < weights[s].length; j++) {
                w[s][j] = weights[s][j].to(dtype).to(device);
                b[s][j] = biases[s][j].to(dtype).to(device);
            }
        }
        return new Vgg16Features(w, b);
    }

    /** f64 weights for an f64 input (gradient checks); otherwise as stored (autocast casts them for the GPU's bf16). */
    static Tensor cast(Tensor w, Tensor x) { return x.dtype() == DType.F64 ? w.to(DType.F64) : w; }
}
