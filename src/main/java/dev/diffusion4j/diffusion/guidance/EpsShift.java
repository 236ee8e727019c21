package dev.diffusion4j.diffusion.guidance;

import dev.diffusion4j.diffusion.NoiseSchedule;
import dev.diffusion4j.diffusion.Parameterization;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;

/**
 * Score-space edits of a model output: a guidance gradient g = grad_x log p(. | x_t) moves the score by g, i.e. eps by
 * -sqrt(1 - alpha_bar) g. The output is shifted in its own parameterisation by the eps shift times d(output)/d(eps) at
 * fixed x_t: 1 for eps, -b/a for x_0, 1/a for v (a = sqrt(alpha_bar), b = sqrt(1 - alpha_bar)).
 */
final class EpsShift {
    private EpsShift() {}

    /** alpha_bar for each sample at training timesteps t: the table for i64 t, the continuous schedule for floating t. */
    static double[] alphaBars(NoiseSchedule schedule, Tensor t) {
        double[] ts = t.toDoubleArray();
        double[] ab = new double[ts.length];
        boolean discrete = t.dtype() == DType.I64;
        for (int i = 0; i < ts.length; i++) ab[i] = discrete ? schedule.alphaBar((int) ts[i]) : schedule.alphaBarAt(ts[i]);
        return ab;
    }

    /** Per-sample values as an [N, 1, ..., 1] tensor of {@code like}'s rank, dtype and device. */
    static Tensor column(double[] v, Tensor like) {
        int[] shape = new int[like.rank()];
        Arrays.fill(shape, 1);
        shape[0] = v.length;
        return Tensor.of(v, shape).to(like.dtype()).to(like.device());
    }

    /** The output after eps moves by -b * grad (prediction channels only; learned-variance channels kept). */
    static Tensor apply(Tensor out, Tensor xt, Parameterization p, double[] alphaBar, Tensor grad) {
        double[] k = new double[alphaBar.length];
        for (int i = 0; i < k.length; i++) {
            double a = Math.sqrt(alphaBar[i]), b = Math.sqrt(1 - alphaBar[i]);
            double dOutDEps = switch (p) {
                case EPS -> 1;
                case X0 -> -b / a;
                case V -> 1 / a;
            };
            // at SNR 0 (a = 0) x_t holds no information about y and x_0/v cannot move: no shift
            k[i] = a == 0 ? 0 : -b * dOutDEps;
        }
        Tensor delta = grad.mul(column(k, grad));
        int c = xt.shape(1);
        if (out.shape(1) == c) return out.add(delta);
        return Tensor.cat(1, out.slice(1, 0, c).add(delta), out.slice(1, c, out.shape(1)));
    }
}
