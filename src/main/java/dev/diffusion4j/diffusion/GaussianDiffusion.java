package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;

/**
 * The Gaussian diffusion process on a {@link NoiseSchedule}: the forward process q, its posterior, what a model output
 * means for the reverse step (parameterisation and variance), the training losses and the variational bound.
 *
 * <p>Timesteps {@code t} are [N] i64 tensors of schedule indices (0 .. T-1); every coefficient is gathered per batch
 * element from the f64 tables and broadcast as [N, 1, ..., 1] in the data's dtype and device. A respaced diffusion
 * ({@link #respaced}) runs on fewer steps but calls the model with the original training timesteps.
 * <pre>{@code
 * var diffusion = new GaussianDiffusion(NoiseSchedule.cosine(4000), Parameterization.EPS, VarianceType.LEARNED_RANGE);
 * Tensor loss = diffusion.trainingLoss(model, x0, null, gen, LossConfig.hybrid());   // t uniform over the schedule's T
 * loss.backward();
 * }</pre>
 */
public final class GaussianDiffusion {
    /** The reverse process's last step p(x_0 | x_1): discretised over 256 levels in [-1, 1] (images) or a plain Gaussian density (continuous data). */
    public enum Decoder { DISCRETIZED_256, GAUSSIAN }

    private static final double LN2 = Math.log(2);

    private final NoiseSchedule schedule;
    private final Parameterization parameterization;
    private final VarianceType varianceType;
    private final Decoder decoder;
    private final int[] timestepMap;         // model timestep per index; null = identity
    private final double[] logBetas, fixedLargeVariance, fixedLargeLogVariance, oneMinusAlphaBar;
    /** Coefficient tables on devices, by table (identity), then device and dtype: see {@link #coef}. */
    private final java.util.Map<double[], java.util.Map<String, Tensor>> deviceTables = new java.util.IdentityHashMap<>();
    /** A loss weighting's weight per timestep (looked up like a coefficient). */
    private final java.util.Map<LossWeighting, double[]> weightTables = new java.util.HashMap<>();

    public GaussianDiffusion(NoiseSchedule schedule, Parameterization parameterization, VarianceType varianceType) {
        this(schedule, parameterization, varianceType, Decoder.DISCRETIZED_256, null);
    }

    private GaussianDiffusion(NoiseSchedule schedule, Parameterization p, VarianceType v, Decoder decoder, int[] timestepMap) {
        this.schedule = schedule;
        this.parameterization = p;
        this.varianceType = v;
        this.decoder = decoder;
        this.timestepMap = timestepMap;
        int n = schedule.steps();
        oneMinusAlphaBar = oneMinus(schedule.alphaBar);   // a field: device tables are cached by the table's identity
        logBetas = new double[n];
        fixedLargeVariance = new double[n];
        fixedLargeLogVariance = new double[n];
        for (int i = 0; i < n; i++) {
            logBetas[i] = Math.log(schedule.betas[i]);
            // beta_t except at t = 1, where beta~_2 gives the decoder a sensible variance (improved-diffusion's choice)
            fixedLargeVariance[i] = i == 0 && n > 1 ? schedule.posteriorVariance[1] : schedule.betas[i];
            fixedLargeLogVariance[i] = Math.log(fixedLargeVariance[i]);
        }
    }

    public GaussianDiffusion withDecoder(Decoder d) { return new GaussianDiffusion(schedule, parameterization, varianceType, d, timestepMap); }
    public GaussianDiffusion withParameterization(Parameterization p) { return new GaussianDiffusion(schedule, p, varianceType, decoder, timestepMap); }
    public GaussianDiffusion withVarianceType(VarianceType v) { return new GaussianDiffusion(schedule, parameterization, v, decoder, timestepMap); }

    /** This process on the subset of timesteps a spec keeps ("250", "ddim50", "10,15,20"; see {@link Respacing}). */
    public GaussianDiffusion respaced(String spec) { return respaced(Respacing.timesteps(spec, steps())); }

    /** This process on the kept (ascending) timestep indices, with betas recomputed from alpha_bar. */
    public GaussianDiffusion respaced(int[] keep) {
        int[] map = new int[keep.length];
        for (int i = 0; i < keep.length; i++) map[i] = modelTimestep(keep[i]);
        return new GaussianDiffusion(schedule.respaced(keep), parameterization, varianceType, decoder, map);
    }

    public NoiseSchedule schedule() { return schedule; }
    public Parameterization parameterization() { return parameterization; }
    public VarianceType varianceType() { return varianceType; }
    public Decoder decoder() { return decoder; }
    public int steps() { return schedule.steps(); }
    public boolean isRespaced() { return timestepMap != null; }

    /** The training timestep the model sees at schedule index i. */
    public int modelTimestep(int i) { return timestepMap == null ? i : timestepMap[i]; }

    // ------------------------------------------------------------------ coefficient gathering

    /**
     * table[t_n] for each batch element, as [N, 1, ..., 1] with {@code like}'s rank, dtype and device; a 0-d tensor
     * when all t_n are equal and known on the host (sampler steps), which {@link Coefs} multiplies as a scalar. On the
     * CPU the values are looked up on the host; on a GPU they are gathered there from the table uploaded once, with
     * nothing uploaded per call and t never read back (a t the host does not know, a graph's input buffer say, is
     * range-checked by the index kernel, whose flag the next read from the device reports).
     */
    Tensor coef(double[] table, Tensor t, Tensor like) {
        long[] ts = HostTimesteps.known(t);
        if (ts == null && !t.device().isCuda()) ts = t.toLongArray();   // free on the CPU
        if (ts != null) {
            boolean uniform = true;
            for (long x : ts) {
                if (x < 0 || x >= table.length) throw new IndexOutOfBoundsException("timestep " + x + " outside [0, " + table.length + ")");
                uniform &= x == ts[0];
            }
            if (uniform && ts.length > 0) return Tensor.scalar(table[(int) ts[0]], like.dtype(), like.device());
            if (!like.device().isCuda()) {
                double[] v = new double[ts.length];
                for (int i = 0; i < ts.length; i++) v[i] = table[(int) ts[i]];
                return Tensor.of(v, coefShape(ts.length, like)).to(like.dtype());
            }
        }
        // on a GPU: gathered there from the table uploaded at the first such call (an eager step's, before any graph
        // recording, which could not upload it)
        return gatheredCoef(table, t, like);
    }

    /** {@link #coef}'s device path: table[t_n] gathered where t lives, as [N, 1, ..., 1]. */
    Tensor gatheredCoef(double[] table, Tensor t, Tensor like) {
        return deviceTable(table, like).indexSelect(0, t.to(like.device())).reshape(coefShape(t.shape(0), like));
    }

    private static int[] coefShape(int n, Tensor like) {
        int[] shape = new int[like.rank()];
        Arrays.fill(shape, 1);
        shape[0] = n;
        return shape;
    }

    /** The table in like's dtype on like's device (rounded from f64 on the host, as the host lookup rounds it), made once. */
    private Tensor deviceTable(double[] table, Tensor like) {
        synchronized (deviceTables) {
            return deviceTables.computeIfAbsent(table, k -> new java.util.HashMap<>())
                    .computeIfAbsent(like.device() + "/" + like.dtype().id(), k -> Tensor.of(table, table.length).to(like.dtype()).to(like.device()));
        }
    }

    /** A [N] i64 tensor holding index {@code i} on {@code like}'s device. */
    public static Tensor timesteps(int n, int i, Tensor like) {
        long[] v = new long[n];
        Arrays.fill(v, i);
        return timesteps(v, like.device());
    }

    /**
     * Timesteps [N] on device whose values this class reads from the host copy, never back from the device (which would
     * wait for the work queued before): how samplers and trainers should pass t. {@code values} must not change after.
     */
    public static Tensor timesteps(long[] values, Device device) { return HostTimesteps.upload(values, device); }

    /** t mapped to the model's training timesteps (identity unless respaced). */
    public Tensor modelTimesteps(Tensor t) {
        if (timestepMap == null) return t;
        long[] ts = HostTimesteps.of(t);
        long[] m = new long[ts.length];
        for (int i = 0; i < ts.length; i++) m[i] = timestepMap[(int) ts[i]];
        return timesteps(m, t.device());
    }

    /** Calls the model at schedule indices t (mapping them to training timesteps). */
    public Tensor modelOutput(Denoiser model, Tensor xt, Tensor t, Conditioning cond) {
        return model.apply(xt, modelTimesteps(t), cond);
    }

    // ------------------------------------------------------------------ forward process and posterior

    /** q(x_t | x_0) = N(sqrt(alpha_bar) x_0, (1 - alpha_bar) I). */
    public Gaussian qMeanVariance(Tensor x0, Tensor t) {
        return new Gaussian(Coefs.mul(x0, coef(schedule.sqrtAlphaBar, t, x0)),
                coef(oneMinusAlphaBar, t, x0), coef(schedule.logOneMinusAlphaBar, t, x0));
    }

    /** A draw from q(x_t | x_0) by the closed form sqrt(alpha_bar) x_0 + sqrt(1 - alpha_bar) noise. */
    public Tensor qSample(Tensor x0, Tensor t, Tensor noise) {
        return Coefs.mul(x0, coef(schedule.sqrtAlphaBar, t, x0)).add(Coefs.mul(noise, coef(schedule.sqrtOneMinusAlphaBar, t, x0)));
    }

    /** q(x_{t-1} | x_t, x_0): mean coef1 x_0 + coef2 x_t, variance beta~_t, log variance clipped at t = 1. */
    public Gaussian qPosterior(Tensor x0, Tensor xt, Tensor t) {
        Tensor mean = Coefs.mul(x0, coef(schedule.posteriorMeanCoefX0, t, x0)).add(Coefs.mul(xt, coef(schedule.posteriorMeanCoefXt, t, xt)));
        return new Gaussian(mean, coef(schedule.posteriorVariance, t, x0), coef(schedule.posteriorLogVarianceClipped, t, x0));
    }

    private static double[] oneMinus(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = 1 - a[i];
        return r;
    }

    // ------------------------------------------------------------------ model outputs

    /** [prediction, variance values] split along dim 1 for learned variances; [output, null] otherwise. */
    public Tensor[] splitOutput(Tensor output, Tensor xt) {
        if (!varianceType.learned()) {
            if (!Arrays.equals(output.shape(), xt.shape()))
                throw new IllegalArgumentException("model output " + Arrays.toString(output.shape()) + " should match x_t " + Arrays.toString(xt.shape()));
            return new Tensor[] {output, null};
        }
        int c = xt.shape(1);
        if (output.rank() != xt.rank() || output.shape(1) != 2 * c)
            throw new IllegalArgumentException("with a learned variance the model must output 2x the channels of x_t (" + 2 * c
                    + "), got shape " + Arrays.toString(output.shape()));
        return new Tensor[] {output.slice(1, 0, c), output.slice(1, c, 2 * c)};
    }

    /** x_0 implied by a model output (variance channels ignored). */
    public Tensor predictX0(Tensor output, Tensor xt, Tensor t) {
        Tensor out = splitOutput(output, xt)[0];
        return parameterization.toX0(out, xt, coef(schedule.sqrtAlphaBar, t, xt), coef(schedule.sqrtOneMinusAlphaBar, t, xt));
    }

    /** eps implied by a model output (variance channels ignored). */
    public Tensor predictEps(Tensor output, Tensor xt, Tensor t) {
        Tensor out = splitOutput(output, xt)[0];
        return parameterization.toEps(out, xt, coef(schedule.sqrtAlphaBar, t, xt), coef(schedule.sqrtOneMinusAlphaBar, t, xt));
    }

    /** eps consistent with an x_0 estimate at x_t. */
    public Tensor epsFromX0(Tensor x0, Tensor xt, Tensor t) {
        return Parameterization.epsFromX0(x0, xt, coef(schedule.sqrtAlphaBar, t, xt), coef(schedule.sqrtOneMinusAlphaBar, t, xt));
    }

    /** The training target of this parameterisation for x_t = qSample(x0, t, noise). */
    public Tensor target(Tensor x0, Tensor noise, Tensor t) {
        return parameterization.target(x0, noise, coef(schedule.sqrtAlphaBar, t, x0), coef(schedule.sqrtOneMinusAlphaBar, t, x0));
    }

    /** The reverse step the model implies at (x_t, t). */
    public Prediction pMeanVariance(Denoiser model, Tensor xt, Tensor t, Conditioning cond, Thresholding thresholding) {
        return pMeanVariance(modelOutput(model, xt, t, cond), xt, t, thresholding);
    }

    /** The reverse step a given model output implies at (x_t, t). */
    public Prediction pMeanVariance(Tensor output, Tensor xt, Tensor t, Thresholding thresholding) {
        Tensor[] parts = splitOutput(output, xt);
        Tensor out = parts[0];
        Tensor variance, logVariance;
        switch (varianceType) {
            case FIXED_SMALL -> {
                variance = coef(schedule.posteriorVariance, t, xt);
                logVariance = coef(schedule.posteriorLogVarianceClipped, t, xt);
            }
            case FIXED_LARGE -> {
                variance = coef(fixedLargeVariance, t, xt);
                logVariance = coef(fixedLargeLogVariance, t, xt);
            }
            case LEARNED_RANGE -> {
                Tensor frac = parts[1].add(1.0).mul(0.5);
                Tensor minLog = coef(schedule.posteriorLogVarianceClipped, t, xt), maxLog = coef(logBetas, t, xt);
                logVariance = Coefs.mul(frac, maxLog).add(Coefs.mul(frac.rsub(1.0), minLog));
                variance = logVariance.exp();
            }
            case LEARNED -> {
                logVariance = parts[1];
                variance = logVariance.exp();
            }
            default -> throw new AssertionError(varianceType);
        }
        Tensor a = coef(schedule.sqrtAlphaBar, t, xt), b = coef(schedule.sqrtOneMinusAlphaBar, t, xt);
        Thresholding thr = thresholding == null ? Thresholding.none() : thresholding;
        Tensor x0 = thr.apply(parameterization.toX0(out, xt, a, b));
        Tensor eps = thr.kind() == Thresholding.Kind.NONE ? parameterization.toEps(out, xt, a, b) : Parameterization.epsFromX0(x0, xt, a, b);
        Tensor mean = Coefs.mul(x0, coef(schedule.posteriorMeanCoefX0, t, xt)).add(Coefs.mul(xt, coef(schedule.posteriorMeanCoefXt, t, xt)));
        return new Prediction(mean, variance, logVariance, x0, eps);
    }

    // ------------------------------------------------------------------ variational bound

    /**
     * L_t for each sample in bits/dim: KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t)) for t > 0 (index), the decoder NLL
     * -log p(x_0|x_1) at index 0.
     */
    public Tensor vbTerms(Tensor output, Tensor x0, Tensor xt, Tensor t) {
        Gaussian q = qPosterior(x0, xt, t);
        Prediction p = pMeanVariance(output, xt, t, Thresholding.none());
        Tensor kl = GaussianMath.normalKl(q.mean(), q.logVariance(), p.mean(), p.logVariance()).meanFlat().mul(1 / LN2);
        Tensor ll = decoder == Decoder.GAUSSIAN
                ? GaussianMath.gaussianLogDensity(x0, p.mean(), p.logVariance())
                : GaussianMath.discretizedGaussianLogLikelihood(x0, p.mean(), p.logVariance().mul(0.5), 256);
        Tensor nll = ll.meanFlat().mul(-1 / LN2);
        long[] ts = HostTimesteps.of(t);
        double[] first = new double[ts.length];
        boolean any = false;
        for (int i = 0; i < ts.length; i++) if (ts[i] == 0) { first[i] = 1; any = true; }
        if (!any) return kl;
        return Tensor.where(Tensor.of(first, ts.length).to(kl.dtype()).to(kl.device()), nll, kl);
    }

    /** KL(q(x_T | x_0) || N(0, I)) per sample in bits/dim; no model involved. */
    public Tensor priorBpd(Tensor x0) {
        Tensor t = timesteps(x0.shape(0), steps() - 1, x0);
        Gaussian q = qMeanVariance(x0, t);
        Tensor zero = x0.scalarLike(0);
        return GaussianMath.normalKl(q.mean(), q.logVariance(), zero, zero).meanFlat().mul(1 / LN2);
    }

    /**
     * The full bound for one batch: every L_t (a fresh x_t per t), the prior term and their sum, in bits/dim per sample.
     * Runs without autograd; T model calls.
     */
    public BitsPerDim bitsPerDim(Denoiser model, Tensor x0, Conditioning cond, Generator gen) {
        try (var g = GradMode.off()) {
            int n = x0.shape(0), steps = steps();
            double[][] vb = new double[n][steps];
            for (int i = steps - 1; i >= 0; i--) {
                Tensor t = timesteps(n, i, x0);
                Tensor xt = qSample(x0, t, x0.randnLike(gen));
                double[] term = vbTerms(modelOutput(model, xt, t, cond), x0, xt, t).toDoubleArray();
                for (int k = 0; k < n; k++) vb[k][i] = term[k];
            }
            double[] prior = priorBpd(x0).toDoubleArray();
            double[] total = new double[n], dec = new double[n];
            for (int k = 0; k < n; k++) {
                double s = prior[k];
                for (double v : vb[k]) s += v;
                total[k] = s;
                dec[k] = vb[k][0];
            }
            return new BitsPerDim(total, prior, dec, vb);
        }
    }

    /** Mean bits/dim over a dataset given as batches (unconditional model). */
    public NllAccumulator nll(Denoiser model, Iterable<Tensor> batches, Generator gen) {
        NllAccumulator acc = new NllAccumulator(steps());
        for (Tensor batch : batches) acc.add(bitsPerDim(model, batch, null, gen));
        return acc;
    }

    // ------------------------------------------------------------------ training losses

    /** Training noise: N(0, I), plus {@code offset} times N(0, 1) shared over every dim past dim 1 (offset noise). */
    public static Tensor trainingNoise(Tensor x0, Generator gen, double offset) {
        Tensor noise = x0.randnLike(gen);
        if (offset == 0) return noise;
        int[] s = x0.shape();
        for (int i = 2; i < s.length; i++) s[i] = 1;
        return noise.add(Tensor.randn(gen, x0.dtype(), x0.device(), s).mul(offset));
    }

    /** Per-sample losses at timesteps t, noising x0 with {@code noise} (draw it with {@link #trainingNoise}). */
    public LossTerms trainingLosses(Denoiser model, Tensor x0, Tensor t, Conditioning cond, Tensor noise, LossConfig cfg) {
        if (varianceType.learned() && cfg.objective() == LossConfig.Objective.SIMPLE)
            throw new IllegalArgumentException("a learned variance is trained only by the VLB or HYBRID objective; use LossConfig.hybrid()");
        Tensor xt = qSample(x0, t, noise);
        Tensor output = modelOutput(model, xt, t, cond);
        Tensor[] parts = splitOutput(output, xt);
        Tensor vb = null, simple = null;
        if (cfg.objective() != LossConfig.Objective.SIMPLE) {
            // HYBRID: the vb term must not move the mean (L_simple does that), only the variance
            Tensor forVb = cfg.objective() == LossConfig.Objective.HYBRID
                    ? (parts[1] == null ? output.detach() : Tensor.cat(1, parts[0].detach(), parts[1]))
                    : output;
            vb = vbTerms(forVb, x0, xt, t);
        }
        if (cfg.objective() != LossConfig.Objective.VLB) {
            Tensor target = target(x0, noise, t);
            Tensor d = distance(parts[0], target, cfg).meanFlat();
            simple = cfg.weighting().kind() == LossWeighting.Kind.NONE ? d : d.mul(weights(t, cfg.weighting(), d));
        }
        double steps = steps();
        Tensor loss = switch (cfg.objective()) {
            case SIMPLE -> simple;
            case VLB -> vb.mul(steps);
            case HYBRID -> simple.add(vb.mul(cfg.vlbWeight() * steps));
        };
        return new LossTerms(loss, simple, vb);
    }

    /** {@link #trainingLoss(Denoiser, Tensor, Conditioning, TimestepSampler, Generator, LossConfig)} with t uniform over this schedule's T. */
    public Tensor trainingLoss(Denoiser model, Tensor x0, Conditioning cond, Generator gen, LossConfig cfg) {
        return trainingLoss(model, x0, cond, TimestepSampler.uniform(steps()), gen, cfg);
    }

    /**
     * One training step's scalar loss: draws t from {@code sampler} and noise from {@code gen}, computes the losses,
     * weights them by the sampler's importance weights, feeds the per-sample losses back to the sampler and returns the mean.
     */
    public Tensor trainingLoss(Denoiser model, Tensor x0, Conditioning cond, TimestepSampler sampler, Generator gen, LossConfig cfg) {
        if (sampler.steps() != steps())   // T is the schedule's: a sampler built for another T would skip or overrun timesteps
            throw new IllegalArgumentException("the timestep sampler draws from " + sampler.steps() + " timesteps but the schedule has "
                    + steps() + "; build it from the schedule's T (diffusion.steps()), or use trainingLoss without a sampler");
        TimestepSampler.Draw draw = sampler.sample(x0.shape(0), gen);
        Tensor t = draw.timesteps(x0.device());
        Tensor noise = trainingNoise(x0, gen, cfg.offsetNoise());
        LossTerms terms = trainingLosses(model, x0, t, cond, noise, cfg);
        if (sampler.learnsFromLosses()) sampler.update(draw.t(), terms.loss().detach().toDoubleArray());
        // unit weights (a uniform draw) multiply nothing: the loss is exactly trainingLossAt's
        return draw.unitWeights() ? terms.loss().mean() : terms.loss().mul(draw.weights(x0.dtype(), x0.device())).mean();
    }

    /**
     * One training step's scalar loss at timesteps t drawn before (with unit importance weights, as a uniform sampler
     * draws them): noise from {@code gen}, the losses' mean. With t from the same draw, the same as
     * {@link #trainingLoss(Denoiser, Tensor, Conditioning, TimestepSampler, Generator, LossConfig)}; t need not be
     * known on the host (a graph's input buffer: its coefficients are gathered on the device).
     */
    public Tensor trainingLossAt(Denoiser model, Tensor x0, Tensor t, Conditioning cond, Generator gen, LossConfig cfg) {
        return trainingLosses(model, x0, t, cond, trainingNoise(x0, gen, cfg.offsetNoise()), cfg).loss().mean();
    }

    private Tensor weights(Tensor t, LossWeighting w, Tensor like) {
        double[] table;
        synchronized (weightTables) {
            table = weightTables.computeIfAbsent(w, k -> {
                double[] v = new double[steps()];
                for (int i = 0; i < v.length; i++) v[i] = k.weight(schedule.snr[i], parameterization);
                return v;
            });
        }
        return coef(table, t, like);
    }

    private static Tensor distance(Tensor out, Tensor target, LossConfig cfg) {
        Tensor d = out.sub(target);
        return switch (cfg.distance()) {
            case L2 -> d.square();
            case L1 -> d.abs();
            case HUBER -> {
                // q = min(|d|, delta); q (|d| - q/2) is d^2/2 inside and delta (|d| - delta/2) outside, without a branch
                Tensor a = d.abs();
                Tensor q = a.clamp(0, cfg.huberDelta());
                yield q.mul(a.sub(q.mul(0.5)));
            }
        };
    }
}
