package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Pseudo numerical methods for diffusion models (Liu et al. 2022) as Hugging Face diffusers' PNDMScheduler steps them:
 * a pseudo linear multistep method (PLMS, fourth order once four eps estimates exist) whose first steps are either a
 * pseudo Runge-Kutta warm-up (three 4-stage steps over the last three intervals, at the interval midpoints) or, with
 * {@code skipPrk}, a second-order start that evaluates the first timestep twice. Every step applies the transfer
 * x' = sqrt(a'/a) x - (a' - a) eps / (a sqrt(1 - a') + sqrt(a (1 - a) a')) with a, a' the alpha_bars of the two
 * timesteps (a' = {@code finalAlphaBar} below timestep 0). Deterministic; a learned variance is ignored.
 */
public final class PndmSampler implements Sampler {
    private final GaussianDiffusion diffusion;
    private final int stride;
    private final double finalAlphaBar;
    private final boolean skipPrk;
    private final int[] prk, plms;

    /**
     * @param timesteps the descending inference timesteps (as DDIM's), n >= 1; n >= 4 unless {@code skipPrk}
     * @param stride    T / n (integer division), the distance each PLMS step covers
     */
    public PndmSampler(GaussianDiffusion diffusion, int[] timesteps, int stride, double finalAlphaBar, boolean skipPrk) {
        if (diffusion.isRespaced()) throw new IllegalArgumentException("pass the training diffusion, not a respaced one");
        int n = timesteps.length;
        if (n < 1) throw new IllegalArgumentException("no timesteps to sample with");
        if (!skipPrk && n < 4) throw new IllegalArgumentException("PNDM's Runge-Kutta warm-up needs at least 4 steps, got " + n + " (or skip_prk_steps)");
        if (stride < 1) throw new IllegalArgumentException("stride must be >= 1, got " + stride);
        if (!(finalAlphaBar > 0 && finalAlphaBar <= 1)) throw new IllegalArgumentException("final alpha_bar must be in (0, 1], got " + finalAlphaBar);
        this.diffusion = diffusion;
        this.stride = stride;
        this.finalAlphaBar = finalAlphaBar;
        this.skipPrk = skipPrk;
        int[] asc = timesteps.clone();
        Arrays.sort(asc);
        if (skipPrk) {
            // from the top, the largest timestep once, then the second largest twice, then the rest once
            int[] p = new int[n + (n >= 2 ? 1 : 0)];
            int k = 0;
            for (int i = n - 1; i >= 0; i--) {
                p[k++] = asc[i];
                if (i == n - 2) p[k++] = asc[i];
            }
            prk = new int[0];
            plms = p;
        } else {
            // the last four timesteps a and their midpoints a + stride/2, pairwise repeated so each
            // 4-stage step reads t, mid, mid, next; from the top; PLMS then continues from the fourth largest timestep down
            int half = stride / 2;
            int[] raw = new int[7];
            for (int k = 0; k < 7; k++) raw[k] = asc[n - 4 + k / 2] + (k % 2) * half;
            int[] twice = new int[14];
            for (int k = 0; k < 14; k++) twice[k] = raw[k / 2];
            prk = new int[12];
            for (int k = 0; k < 12; k++) prk[k] = twice[12 - k];
            plms = new int[n - 3];
            for (int i = 0; i < n - 3; i++) plms[i] = asc[n - 4 - i];
        }
    }

    /** The timesteps the model is called at, in order (with the repetitions and midpoints). */
    public int[] modelTimesteps() {
        int[] r = Arrays.copyOf(prk, prk.length + plms.length);
        System.arraycopy(plms, 0, r, prk.length, plms.length);
        return r;
    }

    @Override public int steps() { return prk.length + plms.length; }

    @Override public double startAlphaBar(int step) {
        StartStep.check(step, steps());
        if (step == steps()) return 1;
        if (step != 0) throw new IllegalArgumentException("PNDM starts from noise only (its multistep history cannot start part-way)");
        return diffusion.schedule().alphaBar(modelTimesteps()[0]);
    }

    private double alphaBar(int t) { return t >= 0 ? diffusion.schedule().alphaBar(t) : finalAlphaBar; }

    /** The transfer from timestep t to prev with eps (a v output is turned into eps at {@code x}, as diffusers does). */
    private Tensor transfer(Tensor x, int t, int prev, Tensor out) {
        double a = alphaBar(t), ap = alphaBar(prev);
        Tensor eps = diffusion.parameterization() == Parameterization.V ? out.mul(Math.sqrt(a)).add(x.mul(Math.sqrt(1 - a))) : out;
        double denom = a * Math.sqrt(1 - ap) + Math.sqrt(a * (1 - a) * ap);
        return x.mul(Math.sqrt(ap / a)).sub(eps.mul((ap - a) / denom));
    }

    @Override public Tensor sampleFrom(Denoiser model, Tensor x, int startStep, Conditioning cond, Generator gen, StepCallback callback, StateHook hook) {
        startAlphaBar(startStep);
        if (startStep == steps()) return x;
        if (diffusion.parameterization() == Parameterization.X0) throw new IllegalArgumentException("PNDM steps eps or v predictions, not x0");
        try (var g = GradMode.off()) {
            int[] ts = modelTimesteps();
            List<Tensor> ets = new ArrayList<>();
            Tensor start = null, rk = null;   // the state a multi-stage step started from; the Runge-Kutta weighted sum
            int n = x.shape(0);
            for (int counter = 0; counter < ts.length; counter++) {
                int t = ts[counter];
                Tensor out = diffusion.splitOutput(model.apply(x, GaussianDiffusion.timesteps(n, t, x), cond), x)[0];
                int from, to;
                Tensor base;
                if (counter < prk.length) {
                    to = t - (counter % 2 == 1 ? 0 : stride / 2);
                    from = prk[counter / 4 * 4];
                    switch (counter % 4) {
                        case 0 -> { rk = out.mul(1 / 6.0); ets.add(out); start = x; }
                        case 1, 2 -> rk = rk.add(out.mul(1 / 3.0));
                        default -> { out = rk.add(out.mul(1 / 6.0)); rk = null; }
                    }
                    base = start;
                } else {
                    from = t;
                    to = t - stride;
                    base = x;
                    if (counter != 1) {
                        if (ets.size() > 3) ets = new ArrayList<>(ets.subList(ets.size() - 3, ets.size()));
                        ets.add(out);
                    } else {
                        to = t;
                        from = t + stride;
                    }
                    int k = ets.size();
                    if (k == 1 && counter == 0) {
                        start = x;
                    } else if (k == 1 && counter == 1) {
                        out = out.add(ets.get(0)).mul(0.5);
                        base = start;
                        start = null;
                    } else if (k == 2) {
                        out = ets.get(1).mul(1.5).sub(ets.get(0).mul(0.5));
                    } else if (k == 3) {
                        out = ets.get(2).mul(23 / 12.0).sub(ets.get(1).mul(16 / 12.0)).add(ets.get(0).mul(5 / 12.0));
                    } else if (k >= 4) {
                        out = ets.get(k - 1).mul(55 / 24.0).sub(ets.get(k - 2).mul(59 / 24.0)).add(ets.get(k - 3).mul(37 / 24.0)).sub(ets.get(k - 4).mul(9 / 24.0));
                    }
                }
                x = transfer(base, from, to, out);
                if (hook != null) x = hook.apply(x, alphaBar(to), gen);
                if (callback != null) callback.onStep(new StepCallback.Step(counter, ts.length, t, x, null));
            }
            return x;
        }
    }
}
