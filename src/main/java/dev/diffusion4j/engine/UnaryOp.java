package dev.diffusion4j.engine;

/**
 * Elementwise maps with their derivatives. {@link #apply} and {@link #derivative} are the reference math
 * (the CPU backend runs them; the CUDA backend has the same formulas in its kernel source).
 * Parameters p and q are used by AFFINE (p*x+q), POW (x^p), CLAMP (lo=p, hi=q), LEAKY... and ignored otherwise.
 */
public enum UnaryOp {
    AFFINE, NEG, EXP, LOG, SQRT, RSQRT, ABS, SQUARE, RECIPROCAL, POW, CLAMP, SIN, COS,
    TANH, SIGMOID, SILU, RELU, GELU_ERF, GELU_TANH, SOFTPLUS, ERF, SIGN;

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double INV_SQRT_2 = 1 / Math.sqrt(2);
    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

    /** True when the derivative needs the output y rather than (or besides) x; both are always passed. */
    public double apply(double x, double p, double q) {
        switch (this) {
            case AFFINE: return p * x + q;
            case NEG: return -x;
            case EXP: return Math.exp(x);
            case LOG: return Math.log(x);
            case SQRT: return Math.sqrt(x);
            case RSQRT: return 1 / Math.sqrt(x);
            case ABS: return Math.abs(x);
            case SQUARE: return x * x;
            case RECIPROCAL: return 1 / x;
            case POW: return Math.pow(x, p);
            case CLAMP: return x < p ? p : (x > q ? q : x);
            case SIN: return Math.sin(x);
            case COS: return Math.cos(x);
            case TANH: return Math.tanh(x);
            case SIGMOID: return sigmoid(x);
            case SILU: return x * sigmoid(x);
            case RELU: return x > 0 ? x : 0;
            case GELU_ERF: return 0.5 * x * (1 + erf(x * INV_SQRT_2));
            case GELU_TANH: return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
            case SOFTPLUS: return x > 20 ? x : Math.log1p(Math.exp(x));
            case ERF: return erf(x);
            case SIGN: return Math.signum(x);
            default: throw new AssertionError(this);
        }
    }

    /** Whether the op reads the parameters p and q (AFFINE, POW, CLAMP); an activation given by its name alone does not. */
    public boolean takesParameters() {
        return this == AFFINE || this == POW || this == CLAMP;
    }

    /** Throws when op takes parameters, which {@code where} (an op applied as a parameterless activation) cannot pass. */
    static void requireParameterless(UnaryOp op, String where) {
        if (op != null && op.takesParameters())
            throw new IllegalArgumentException(where + " applies an activation without parameters; " + op + " needs p and q");
    }

    /** Whether {@link #derivative} reads x (the backward keeps only the operands the derivative reads). */
    public boolean derivativeReadsInput() {
        return switch (this) {
            case AFFINE, NEG, SIGN, EXP, SQRT, RECIPROCAL, TANH, SIGMOID -> false;
            default -> true;
        };
    }

    /** Whether {@link #derivative} reads y = apply(x). */
    public boolean derivativeReadsOutput() {
        return switch (this) {
            case EXP, SQRT, RSQRT, RECIPROCAL, TANH, SIGMOID -> true;
            default -> false;
        };
    }

    /** dy/dx at x (y = apply(x) is passed to save recomputation). */
    public double derivative(double x, double y, double p, double q) {
        switch (this) {
            case AFFINE: return p;
            case NEG: return -1;
            case EXP: return y;
            case LOG: return 1 / x;
            case SQRT: return 0.5 / y;
            case RSQRT: return -0.5 * y / x;
            case ABS: return Math.signum(x);
            case SQUARE: return 2 * x;
            case RECIPROCAL: return -y * y;
            case POW: return p == 0 ? 0 : p * Math.pow(x, p - 1);
            case CLAMP: return x < p || x > q ? 0 : 1;
            case SIN: return Math.cos(x);
            case COS: return -Math.sin(x);
            case TANH: return 1 - y * y;
            case SIGMOID: return y * (1 - y);
            case SILU: { double s = sigmoid(x); return s * (1 + x * (1 - s)); }
            case RELU: return x > 0 ? 1 : 0;
            case GELU_ERF: return 0.5 * (1 + erf(x * INV_SQRT_2)) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
            case GELU_TANH: {
                double u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
                double t = Math.tanh(u);
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
            }
            case SOFTPLUS: return sigmoid(x);
            case ERF: return TWO_OVER_SQRT_PI * Math.exp(-x * x);
            case SIGN: return 0;
            default: throw new AssertionError(this);
        }
    }

    public static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** erf to ~1e-15 relative: series for small |x|, continued fraction (erfc) for large |x|. */
    public static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 2.5) {
            // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 200; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
            }
            return Math.copySign(TWO_OVER_SQRT_PI * sum, x);
        }
        if (ax > 6) return Math.copySign(1.0, x);
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) evaluated bottom-up
        double f = ax;
        for (int k = 60; k >= 1; k--) f = ax + (k / 2.0) / f;
        double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        return Math.copySign(1 - erfc, x);
    }
}
