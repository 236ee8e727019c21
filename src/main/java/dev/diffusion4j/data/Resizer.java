package dev.diffusion4j.data;

/**
 * Scales an image so its shorter side equals {@code size}, then crops the centre square (the
 * torchvision Resize + CenterCrop recipe). Downscaling averages the covered source area (box
 * filter with fractional edges), which keeps thin lines and avoids the aliasing of plain
 * bilinear; upscaling is bilinear with pixel centres aligned. Both passes are separable and only
 * the source rows that reach the crop are read.
 */
final class Resizer {
    private Resizer() {}

    /** Returns {@code channels * size * size} floats, in the value range of {@code src}. */
    static float[] resizeCrop(RowSource src, int size) {
        int w = src.width(), h = src.height(), c = src.channels();
        double scale = (double) size / Math.min(w, h);
        int rw = Math.max(size, (int) Math.round(w * scale));
        int rh = Math.max(size, (int) Math.round(h * scale));
        Axis ax = Axis.of(w, rw, (rw - size) / 2, size);
        Axis ay = Axis.of(h, rh, (rh - size) / 2, size);

        // Horizontal pass over the needed rows: tmp[(ch * h + y) * size + x].
        float[] row = new float[c * w];
        float[] tmp = new float[c * h * size];
        for (int y = ay.minSource(); y <= ay.maxSource(); y++) {
            src.readRow(y, row);
            for (int ch = 0; ch < c; ch++) {
                ax.apply(row, ch * w, 1, tmp, (ch * h + y) * size, 1);
            }
        }
        // Vertical pass, column by column.
        float[] out = new float[c * size * size];
        for (int ch = 0; ch < c; ch++) {
            for (int x = 0; x < size; x++) {
                ay.apply(tmp, ch * h * size + x, size, out, ch * size * size + x, size);
            }
        }
        return out;
    }

    /** Per output sample: the run of source samples it reads and their weights (summing to 1). */
    record Axis(int[] first, int[] count, int[] weightOff, float[] weights) {

        /** Output samples {@code crop .. crop+outLen-1} of {@code srcLen} resampled to {@code dstLen}. */
        static Axis of(int srcLen, int dstLen, int crop, int outLen) {
            double s = (double) srcLen / dstLen;
            int[] first = new int[outLen], count = new int[outLen], woff = new int[outLen];
            int maxTaps = s > 1 ? (int) Math.ceil(s) + 2 : 2;
            float[] wts = new float[outLen * maxTaps];
            int n = 0;
            for (int j = 0; j < outLen; j++) {
                int k = j + crop;
                woff[j] = n;
                if (s > 1) {
                    double lo = k * s, hi = Math.min((k + 1) * s, srcLen);
                    int p0 = (int) Math.floor(lo);
                    int p1 = Math.min((int) Math.ceil(hi), srcLen) - 1;
                    double sum = 0;
                    first[j] = p0;
                    for (int p = p0; p <= p1; p++) {
                        double overlap = Math.min(hi, p + 1) - Math.max(lo, p);
                        wts[n + p - p0] = (float) overlap;
                        sum += overlap;
                    }
                    count[j] = p1 - p0 + 1;
                    for (int t = 0; t < count[j]; t++) wts[n + t] = (float) (wts[n + t] / sum);
                } else {
                    double x = Math.clamp((k + 0.5) * s - 0.5, 0.0, srcLen - 1.0);
                    int p0 = (int) Math.floor(x);
                    float f = (float) (x - p0);
                    first[j] = p0;
                    if (p0 + 1 < srcLen && f > 0f) {
                        count[j] = 2;
                        wts[n] = 1f - f;
                        wts[n + 1] = f;
                    } else {
                        count[j] = 1;
                        wts[n] = 1f;
                    }
                }
                n += count[j];
            }
            return new Axis(first, count, woff, wts);
        }

        int minSource() { return first[0]; }

        int maxSource() {
            int last = first.length - 1;
            return first[last] + count[last] - 1;
        }

        /** dst[dOff + j*dStride] = sum of weighted src[sOff + p*sStride]. */
        void apply(float[] src, int sOff, int sStride, float[] dst, int dOff, int dStride) {
            for (int j = 0; j < first.length; j++) {
                float acc = 0f;
                int base = sOff + first[j] * sStride;
                int wo = weightOff[j];
                for (int t = 0; t < count[j]; t++) acc += weights[wo + t] * src[base + t * sStride];
                dst[dOff + j * dStride] = acc;
            }
        }
    }
}
