package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;

/**
 * What samplers do to each predicted x_0 before using it: nothing, clip to [-limit, limit], or Imagen's dynamic
 * thresholding (per sample s = the percentile of |x_0| kept within [1, max], then clamp to [-s, s] and divide by s;
 * max is unbounded unless given, as diffusers' sample_max_value gives it).
 * <pre>{@code new DdpmSampler(diffusion).withThresholding(Thresholding.dynamic(0.995))}</pre>
 */
public record Thresholding(Kind kind, double limit, double percentile, double max) {
    public enum Kind { NONE, CLIP, DYNAMIC }

    public Thresholding {
        if (kind == Kind.CLIP && !(limit > 0)) throw new IllegalArgumentException("clip limit must be positive, got " + limit);
        if (kind == Kind.DYNAMIC && !(percentile > 0 && percentile <= 1))
            throw new IllegalArgumentException("dynamic-threshold percentile must be in (0, 1], got " + percentile);
        if (kind == Kind.DYNAMIC && !(max >= limit)) throw new IllegalArgumentException("dynamic-threshold maximum must be >= " + limit + ", got " + max);
    }

    public static Thresholding none() { return new Thresholding(Kind.NONE, 0, 0, 0); }

    /** Clip to [-1, 1] (pixel data). */
    public static Thresholding clip() { return clip(1); }

    public static Thresholding clip(double limit) { return new Thresholding(Kind.CLIP, limit, 0, 0); }

    /** Dynamic thresholding at the given percentile of |x_0| (Imagen uses 0.995). */
    public static Thresholding dynamic(double percentile) { return dynamic(percentile, Double.POSITIVE_INFINITY); }

    /** Dynamic thresholding whose per-sample s is at most {@code max} (diffusers' sample_max_value). */
    public static Thresholding dynamic(double percentile, double max) { return new Thresholding(Kind.DYNAMIC, 1, percentile, max); }

    public Tensor apply(Tensor x0) {
        return switch (kind) {
            case NONE -> x0;
            case CLIP -> x0.clamp(-limit, limit);
            case DYNAMIC -> dynamicThreshold(x0);
        };
    }

    private Tensor dynamicThreshold(Tensor x0) {
        int n = x0.shape(0);
        int per = (int) (x0.numel() / n);
        double[] v = x0.detach().toDoubleArray();
        double[] s = new double[n];
        double[] row = new double[per];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < per; j++) row[j] = Math.abs(v[i * per + j]);
            Arrays.sort(row);
            s[i] = Math.min(Math.max(quantile(row, percentile), limit), max);
        }
        int[] shape = new int[x0.rank()];
        Arrays.fill(shape, 1);
        shape[0] = n;
        Tensor st = Tensor.of(s, shape).to(x0.dtype()).to(x0.device());
        // clamp to [-s, s] per sample: min(max(x, -s), s)
        return x0.maximum(st.neg()).minimum(st).div(st);
    }

    /** Linear-interpolated quantile of sorted values, like numpy/torch's default. */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
