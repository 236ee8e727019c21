package dev.diffusion4j.pipelines;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;

/**
 * Conditioning for a super-resolution stage of a cascade (Ho et al., cascaded diffusion): the low-resolution image is
 * upsampled (bilinear) to the output size and given to the model as extra input channels. Noise-conditioning
 * augmentation corrupts it as the forward process would, sqrt(ab) up + sqrt(1 - ab) z with ab = cos^2(pi/2 level),
 * level in [0, 1] (0 clean, 1 pure noise): random levels in training make the stage robust to the artefacts of the
 * stage below; the level is passed to the model as conditioning ({@link #AUG_LEVEL}, [N] in x's dtype) so it can tell,
 * and sampling picks one fixed level.
 * <pre>{@code
 * Denoiser sr = SuperResolution.concatenating(unet);            // unet takes 2C input channels
 * // training: Conditioning c = SuperResolution.trainingCondition(SuperResolution.downsample(hi, 4), 64, 64, 0.5, gen);
 * Conditioning c = SuperResolution.condition(low, 64, 64, 0.1, gen);
 * Tensor hi = sampler.sample(sr, new int[] {n, 3, 64, 64}, DType.F32, device, c, gen, null);
 * }</pre>
 */
public final class SuperResolution {
    /** Conditioning entry: the upsampled, augmented low-resolution image [N, C, H, W]. */
    public static final String LOW_RES = "low_res";
    /** Conditioning entry: the augmentation level of each sample, [N]. */
    public static final String AUG_LEVEL = "aug_level";

    private SuperResolution() {}

    /** Conditioning for sampling: every sample augmented at {@code level}. */
    public static Conditioning condition(Tensor lowRes, int height, int width, double level, Generator gen) {
        double[] lv = new double[lowRes.shape(0)];
        Arrays.fill(lv, checkLevel(level));
        return condition(lowRes, height, width, lv, gen);
    }

    /** Conditioning for training: levels drawn uniformly from [0, maxLevel] per sample. */
    public static Conditioning trainingCondition(Tensor lowRes, int height, int width, double maxLevel, Generator gen) {
        checkLevel(maxLevel);
        double[] lv = Tensor.rand(gen, DType.F64, Device.CPU, lowRes.shape(0)).toDoubleArray();
        for (int i = 0; i < lv.length; i++) lv[i] *= maxLevel;
        return condition(lowRes, height, width, lv, gen);
    }

    private static Conditioning condition(Tensor lowRes, int height, int width, double[] levels, Generator gen) {
        if (lowRes.rank() != 4) throw new IllegalArgumentException("low-resolution input must be [N, C, h, w], got " + Arrays.toString(lowRes.shape()));
        Tensor up = lowRes.shape(2) == height && lowRes.shape(3) == width ? lowRes : F.upsampleBilinear(lowRes, height, width);
        Tensor lv = Tensor.of(levels, levels.length).to(lowRes.dtype()).to(lowRes.device());
        return Conditioning.of(LOW_RES, augment(up, levels, gen)).with(AUG_LEVEL, lv);
    }

    /** alpha_bar of the augmentation at a level: cos^2(pi/2 level), exactly 1 at level 0. */
    public static double augmentationAlphaBar(double level) {
        if (level == 0) return 1;
        double c = Math.cos(Math.PI / 2 * checkLevel(level));
        return c * c;
    }

    /** x [N, ...] with sample i noised to level levels[i]; level 0 leaves a sample untouched. */
    public static Tensor augment(Tensor x, double[] levels, Generator gen) {
        double[] a = new double[levels.length], b = new double[levels.length];
        boolean any = false;
        for (int i = 0; i < levels.length; i++) {
            double ab = augmentationAlphaBar(levels[i]);
            a[i] = Math.sqrt(ab);
            b[i] = Math.sqrt(1 - ab);
            any |= ab < 1;
        }
        if (!any) return x;
        int[] shape = new int[x.rank()];
        Arrays.fill(shape, 1);
        shape[0] = levels.length;
        Tensor ta = Tensor.of(a, shape).to(x.dtype()).to(x.device()), tb = Tensor.of(b, shape).to(x.dtype()).to(x.device());
        return x.mul(ta).add(x.randnLike(gen).mul(tb));
    }

    /** The low-resolution version of a batch for training: average pooling by an integer factor. */
    public static Tensor downsample(Tensor x, int factor) { return F.avgPool2d(x, factor, factor); }

    /** A model that reads the conditioning's {@link #LOW_RES} image as extra input channels: model(cat(x_t, low_res), t, cond). */
    public static Denoiser concatenating(Denoiser model) {
        return (xt, t, cond) -> {
            Tensor low = cond == null ? null : cond.get(LOW_RES);
            if (low == null) throw new IllegalArgumentException("super-resolution needs the '" + LOW_RES + "' conditioning: use SuperResolution.condition(...)");
            if (low.rank() != xt.rank() || low.shape(0) != xt.shape(0) || low.shape(2) != xt.shape(2) || low.shape(3) != xt.shape(3))
                throw new IllegalArgumentException("low-resolution conditioning " + Arrays.toString(low.shape()) + " does not match x_t "
                        + Arrays.toString(xt.shape()) + " in batch and spatial size");
            return model.apply(Tensor.cat(1, xt, low), t, cond);
        };
    }

    private static double checkLevel(double level) {
        if (!(level >= 0 && level <= 1)) throw new IllegalArgumentException("augmentation level must be in [0, 1], got " + level);
        return level;
    }
}
