package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Generator;
import java.util.Arrays;

/**
 * Improved DDPM's importance sampling for L_vlb: p(t) proportional to sqrt(E[L_t^2]) over the last 10 losses seen
 * at each t, mixed with the uniform distribution at probability 0.001; uniform until every t has 10 losses.
 * Its state (loss history and counts) is saved with {@link #state()} and restored with {@link #restore} for resuming.
 */
public final class LossSecondMomentSampler implements TimestepSampler {
    public static final int DEFAULT_HISTORY = 10;
    public static final double DEFAULT_UNIFORM_PROB = 0.001;

    /** The sampler's complete state: history[t][0 .. counts[t]-1] oldest first. */
    public record State(double[][] history, int[] counts) {
        /** Flattened for a tensor file: T x (history + 1) values, each row the count followed by the history. */
        public double[] toArray() {
            int h = history[0].length;
            double[] r = new double[history.length * (h + 1)];
            for (int t = 0; t < history.length; t++) {
                r[t * (h + 1)] = counts[t];
                System.arraycopy(history[t], 0, r, t * (h + 1) + 1, h);
            }
            return r;
        }

        public static State fromArray(double[] a, int steps) {
            if (steps < 1 || a.length % steps != 0 || a.length / steps < 2)
                throw new IllegalArgumentException("timestep-sampler state of " + a.length + " values does not fit " + steps + " steps");
            int h = a.length / steps - 1;
            double[][] hist = new double[steps][h];
            int[] counts = new int[steps];
            for (int t = 0; t < steps; t++) {
                counts[t] = (int) a[t * (h + 1)];
                System.arraycopy(a, t * (h + 1) + 1, hist[t], 0, h);
            }
            return new State(hist, counts);
        }
    }

    private final int steps, historyPerTerm;

    @Override public int steps() { return steps; }
    private final double uniformProb;
    private final double[][] history;
    private final int[] counts;

    public LossSecondMomentSampler(int steps) { this(steps, DEFAULT_HISTORY, DEFAULT_UNIFORM_PROB); }

    public LossSecondMomentSampler(int steps, int historyPerTerm, double uniformProb) {
        if (steps < 1 || historyPerTerm < 1) throw new IllegalArgumentException("need steps >= 1 and history >= 1");
        if (!(uniformProb >= 0 && uniformProb <= 1)) throw new IllegalArgumentException("uniform probability must be in [0, 1], got " + uniformProb);
        this.steps = steps;
        this.historyPerTerm = historyPerTerm;
        this.uniformProb = uniformProb;
        history = new double[steps][historyPerTerm];
        counts = new int[steps];
    }

    /** True once every timestep has a full history. */
    public boolean warmedUp() {
        for (int c : counts) if (c < historyPerTerm) return false;
        return true;
    }

    /** The current sampling probabilities p(t). */
    public double[] probabilities() {
        double[] p = new double[steps];
        if (!warmedUp()) {
            Arrays.fill(p, 1.0 / steps);
            return p;
        }
        double sum = 0;
        for (int t = 0; t < steps; t++) {
            double sq = 0;
            for (double l : history[t]) sq += l * l;
            p[t] = Math.sqrt(sq / historyPerTerm);
            sum += p[t];
        }
        for (int t = 0; t < steps; t++) p[t] = (sum > 0 ? p[t] / sum : 1.0 / steps) * (1 - uniformProb) + uniformProb / steps;
        return p;
    }

    @Override public Draw sample(int batch, Generator gen) {
        double[] p = probabilities();
        double[] cdf = new double[steps];
        double acc = 0;
        for (int t = 0; t < steps; t++) { acc += p[t]; cdf[t] = acc; }
        long[] ts = new long[batch];
        double[] w = new double[batch];
        for (int i = 0; i < batch; i++) {
            double u = gen.nextDouble() * acc;
            int k = Arrays.binarySearch(cdf, u);
            k = k >= 0 ? k + 1 : -k - 1;     // first t with cdf[t] > u
            k = Math.min(k, steps - 1);
            ts[i] = k;
            w[i] = 1 / (steps * p[k]);
        }
        return new Draw(ts, w);
    }

    @Override public boolean learnsFromLosses() { return true; }

    @Override public void update(long[] t, double[] losses) {
        if (t.length != losses.length) throw new IllegalArgumentException(t.length + " timesteps but " + losses.length + " losses");
        for (int i = 0; i < t.length; i++) {
            int k = (int) t[i];
            double l = losses[i];
            if (!Double.isFinite(l)) continue;   // a NaN would poison p(t) for good
            if (counts[k] == historyPerTerm) {
                System.arraycopy(history[k], 1, history[k], 0, historyPerTerm - 1);
                history[k][historyPerTerm - 1] = l;
            } else {
                history[k][counts[k]++] = l;
            }
        }
    }

    public State state() {
        double[][] h = new double[steps][];
        for (int t = 0; t < steps; t++) h[t] = history[t].clone();
        return new State(h, counts.clone());
    }

    public void restore(State s) {
        if (s.history().length != steps || s.counts().length != steps || s.history()[0].length != historyPerTerm)
            throw new IllegalArgumentException("saved timestep-sampler state is for " + s.history().length + " steps x "
                    + s.history()[0].length + " history, this sampler has " + steps + " x " + historyPerTerm);
        for (int t = 0; t < steps; t++) {
            System.arraycopy(s.history()[t], 0, history[t], 0, historyPerTerm);
            counts[t] = Math.min(s.counts()[t], historyPerTerm);
        }
    }
}
