package dev.diffusion4j.models.lpips;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.StateDicts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The LPIPS perceptual distance (Zhang et al. 2018; the "lpips" package v0.1 with net='vgg', as LDM and taming train
 * their autoencoders with): images in [-1, 1] are shifted and scaled per channel, run through the frozen VGG16 trunk
 * ({@link Vgg16Features}), each of the five tapped activations is unit-normalised over its channels, the squared
 * difference of the two images' normalised features is weighted per channel by the non-negative 1x1 "lin" layer and
 * averaged over positions, and the five averages are summed: one distance per image. No weights ship with diffusion4j:
 * {@link #load} reads torchvision's VGG16 state dict and lpips' {@code vgg.pth} (PyTorch pickles, read without running
 * code, or safetensors).
 */
public final class Lpips {
    /** lpips' ScalingLayer: (x - SHIFT) / SCALE per RGB channel maps [-1, 1] images to VGG's input statistics. */
    static final double[] SHIFT = {-.030, -.088, -.188}, SCALE = {.458, .448, .450};
    /** lpips' normalize_tensor epsilon: x / (||x|| + EPS). */
    static final double EPS = 1e-10;
    /**
     * Floor of the squared channel norm before its square root: where every channel is 0 the value is 0 either way,
     * but the root's derivative at 0 would be infinite and turn the (zero) gradient into NaN.
     */
    static final double NORM_SQ_FLOOR = 1e-30;
    /** Four 2x2 pools lie between the first and the last tap: smaller images leave a stage empty. */
    public static final int MIN_SIDE = 16;

    private final Vgg16Features vgg;
    private final Tensor[] lins;      // [1, C, 1, 1] per tap
    private final Tensor shift, scale; // [1, 3, 1, 1]

    private Lpips(Vgg16Features vgg, Tensor[] lins, Tensor shift, Tensor scale) {
        this.vgg = vgg;
        this.lins = lins;
        this.shift = shift;
        this.scale = scale;
    }

    /**
     * Reads the two weight files (torchvision's {@code vgg16-397923af.pth} or any file with its {@code features.*}
     * tensors; lpips' {@code weights/v0.1/vgg.pth} with {@code lin0.model.1.weight} ... {@code lin4.model.1.weight}),
     * as .pth/.pt/.ckpt or .safetensors, onto {@code device}.
     *
     * @throws IllegalArgumentException a missing file, tensor or a wrong shape, naming the file and the tensor
     */
    public static Lpips load(Path vggFile, Path lpipsFile, Device device) { return load(vggFile, lpipsFile, Vgg16Features.WIDTHS, device); }

    /** As {@link #load(Path, Path, Device)} for a trunk of other stage widths (small test networks). */
    public static Lpips load(Path vggFile, Path lpipsFile, List<Integer> widths, Device device) {
        Map<String, Tensor> vggState = read(vggFile, "VGG16"), linState = read(lpipsFile, "LPIPS");
        Vgg16Features vgg;
        try {
            vgg = Vgg16Features.fromStateDict(vggState, widths);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(vggFile + ": " + e.getMessage() + " (expected torchvision's VGG16 state dict, e.g. vgg16-397923af.pth)", e);
        }
        try {
            return fromStateDicts(vgg, linState, widths).to(device, DType.F32);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(lpipsFile + ": " + e.getMessage() + " (expected lpips' v0.1 vgg.pth)", e);
        }
    }

    /** The distance from a built trunk and the lin weights' state dict ({@code linK.model.1.weight}), on the CPU in f32. */
    public static Lpips fromStateDicts(Vgg16Features vgg, Map<String, Tensor> linState, List<Integer> widths) {
        Tensor[] lins = new Tensor[widths.size()];
        for (int k = 0; k < lins.length; k++) {
            String name = "lin" + k + ".model.1.weight";
            Tensor w = require(linState, name, 1, widths.get(k), 1, 1);
            if (w.min().item() < 0) throw new IllegalArgumentException(name + " has negative entries; LPIPS' channel weights are >= 0");
            lins[k] = w;
        }
        return new Lpips(vgg, lins, Tensor.of(SHIFT, 1, 3, 1, 1), Tensor.of(SCALE, 1, 3, 1, 1)).to(Device.CPU, DType.F32);
    }

    /** The same distance on {@code device} with weights of type {@code dtype} (F32; F64 for gradient checks). */
    public Lpips to(Device device, DType dtype) {
        Tensor[] l = new Tensor[lins.length];
        for (int k = 0; k < l.length; k++) l[k] = lins[k].to(dtype).to(device);
        return new Lpips(vgg.to(device, dtype), l, shift.to(dtype).to(device), scale.to(dtype).to(device));
    }

    /** LPIPS between images {@code x} and {@code y} ({@code [N, 3 or 1, H, W]} in [-1, 1]; gray ones read as RGB): {@code [N]}. */
    public Tensor distance(Tensor x, Tensor y) {
        return distance(features(x), features(y));
    }

    /** As {@link #distance}, with no gradient through the reference images {@code x} (their features are computed without a graph). */
    public Tensor distanceToFixed(Tensor x, Tensor y) {
        Tensor[] fx;
        try (var g = GradMode.off()) {
            fx = features(x);
        }
        return distance(fx, features(y));
    }

    /** The unit-normalised taps of images in [-1, 1], at least f32 (bf16 activations are widened, as autocast does for this sum). */
    Tensor[] features(Tensor x) {
        check(x);
        if (x.shape(1) == 1) x = x.expand(x.shape(0), 3, x.shape(2), x.shape(3));
        Tensor h = x.to(shift.dtype()).sub(shift).div(scale);
        Tensor[] taps = vgg.taps(h);
        for (int k = 0; k < taps.length; k++) taps[k] = normalise(taps[k].to(shift.dtype()));
        return taps;
    }

    /** Sum over taps of the lin-weighted, position-averaged squared difference of normalised features. */
    Tensor distance(Tensor[] fx, Tensor[] fy) {
        Tensor d = null;
        for (int k = 0; k < fx.length; k++) {
            Tensor diff = fx[k].sub(fy[k]).square();
            Tensor per = F.conv2d(diff, lins[k], null, 1, 0).to(shift.dtype()).mean(new int[] {1, 2, 3}, false);
            d = d == null ? per : d.add(per);
        }
        return d;
    }

    /** x / (sqrt(sum over channels of x^2) + 1e-10), lpips' normalize_tensor. */
    static Tensor normalise(Tensor t) {
        Tensor norm = t.square().sum(1, true).clamp(NORM_SQ_FLOOR, Double.POSITIVE_INFINITY).sqrt();
        return t.div(norm.add(EPS));
    }

    /** Refuses images LPIPS cannot read, with what to change. */
    public static void check(Tensor x) {
        if (x.rank() != 4 || x.shape(1) != 3 && x.shape(1) != 1)
            throw new IllegalArgumentException("LPIPS reads RGB (or gray) images [N, 3, H, W], got " + Arrays.toString(x.shape()));
        checkSize(x.shape(1), x.shape(2), x.shape(3));
    }

    /** Refuses image shapes LPIPS cannot read: channels other than 3 or 1, sides under {@value #MIN_SIDE}. */
    public static void checkSize(int channels, int h, int w) {
        if (channels != 3 && channels != 1) throw new IllegalArgumentException("the perceptual (LPIPS) loss reads RGB or gray images, not " + channels + "-channel ones");
        if (Math.min(h, w) < MIN_SIDE)
            throw new IllegalArgumentException("the perceptual (LPIPS) loss needs images of at least " + MIN_SIDE + "x" + MIN_SIDE
                    + " pixels (VGG16 pools four times), got " + h + "x" + w);
    }

    /** The tensor {@code name} of {@code state} with exactly {@code shape}, as f32 (or f64 as stored). */
    static Tensor require(Map<String, Tensor> state, String name, int... shape) {
        Tensor t = state.get(name);
        if (t == null) throw new IllegalArgumentException("no tensor '" + name + "'");
        if (!Arrays.equals(t.shape(), shape))
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
        return t.dtype() == DType.F64 ? t : t.to(DType.F32);
    }

    private static Map<String, Tensor> read(Path file, String what) {
        if (!Files.isRegularFile(file))
            throw new IllegalArgumentException(what + " weights file not found: " + file + " (none ship with diffusion4j; see docs/autoencoders.md)");
        try {
            return StateDicts.loadWeights(file, null);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + " weights file not found: " + file, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + what + " weights " + file + ": " + e.getMessage(), e);
        }
    }
}
