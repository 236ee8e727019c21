package dev.diffusion4j.diffusion;

import dev.diffusion4j.engine.Tensor;
import java.util.Locale;

/**
 * What a denoiser predicts. With x_t = a x_0 + b eps (a = sqrt(alpha_bar), b = sqrt(1 - alpha_bar)):
 * EPS predicts eps, X0 predicts x_0 and V predicts v = a eps - b x_0 (Salimans and Ho). The conversions take
 * a and b as broadcastable coefficient tensors ([N, 1, ..., 1] or 0-d) so they serve discrete and continuous timesteps alike.
 */
public enum Parameterization {
    EPS, X0, V;

    public String id() { return name().toLowerCase(Locale.ROOT); }

    public static Parameterization parse(String s) {
        for (Parameterization p : values()) if (p.id().equalsIgnoreCase(s.trim())) return p;
        throw new IllegalArgumentException("unknown parameterisation '" + s + "': use eps, x0 or v");
    }

    /** The training target for this parameterisation. */
    public Tensor target(Tensor x0, Tensor eps, Tensor a, Tensor b) {
        return switch (this) {
            case EPS -> eps;
            case X0 -> x0;
            case V -> Coefs.mul(eps, a).sub(Coefs.mul(x0, b));
        };
    }

    /** x_0 implied by a model output at x_t. */
    public Tensor toX0(Tensor out, Tensor xt, Tensor a, Tensor b) {
        return switch (this) {
            case EPS -> Coefs.div(xt.sub(Coefs.mul(out, b)), a);
            case X0 -> out;
            case V -> Coefs.mul(xt, a).sub(Coefs.mul(out, b));
        };
    }

    /** eps implied by a model output at x_t. */
    public Tensor toEps(Tensor out, Tensor xt, Tensor a, Tensor b) {
        return switch (this) {
            case EPS -> out;
            case X0 -> Coefs.div(xt.sub(Coefs.mul(out, a)), b);
            case V -> Coefs.mul(xt, b).add(Coefs.mul(out, a));
        };
    }

    /** eps implied by an x_0 estimate at x_t (used after clipping x_0). */
    public static Tensor epsFromX0(Tensor x0, Tensor xt, Tensor a, Tensor b) { return Coefs.div(xt.sub(Coefs.mul(x0, a)), b); }
}
