package dev.diffusion4j.diffusion;

/**
 * Averages {@link BitsPerDim} over the batches of a dataset: mean total NLL bound, prior term, decoder term and per-step
 * terms, with the standard error of the total.
 * <pre>{@code
 * NllAccumulator acc = new NllAccumulator(diffusion.steps());
 * for (Tensor batch : data) acc.add(diffusion.bitsPerDim(model, batch, null, gen));
 * System.out.printf("%.4f +- %.4f bits/dim%n", acc.total(), acc.totalStdErr());
 * }</pre>
 */
public final class NllAccumulator {
    private final double[] vbSum;
    private long count;
    private double totalSum, totalSq, priorSum, decoderSum;

    public NllAccumulator(int steps) { vbSum = new double[steps]; }

    public NllAccumulator add(BitsPerDim b) {
        for (int n = 0; n < b.total().length; n++) {
            if (b.vb()[n].length != vbSum.length) throw new IllegalArgumentException("bits/dim has " + b.vb()[n].length + " steps, expected " + vbSum.length);
            count++;
            totalSum += b.total()[n];
            totalSq += b.total()[n] * b.total()[n];
            priorSum += b.prior()[n];
            decoderSum += b.decoder()[n];
            for (int i = 0; i < vbSum.length; i++) vbSum[i] += b.vb()[n][i];
        }
        return this;
    }

    public long count() { return count; }
    public double total() { return totalSum / count; }
    public double prior() { return priorSum / count; }
    public double decoder() { return decoderSum / count; }

    /** Mean L_i per step index (index 0: the decoder term). */
    public double[] perStep() {
        double[] r = vbSum.clone();
        for (int i = 0; i < r.length; i++) r[i] /= count;
        return r;
    }

    /** Standard error of {@link #total()} across samples. */
    public double totalStdErr() {
        if (count < 2) return Double.NaN;
        double m = total();
        double var = (totalSq / count - m * m) * count / (count - 1);
        return Math.sqrt(Math.max(var, 0) / count);
    }
}
