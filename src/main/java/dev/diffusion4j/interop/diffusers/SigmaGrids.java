package dev.diffusion4j.interop.diffusers;

/** diffusers' noise-level arithmetic for set_timesteps: interpolation in the sigma table, sigma to timestep, and ramps. */
final class SigmaGrids {
    private SigmaGrids() {}

    /** np.interp over the table at (possibly fractional) t. */
    static double interp(double[] table, double t) {
        if (t <= 0) return table[0];
        if (t >= table.length - 1) return table[table.length - 1];
        int lo = (int) Math.floor(t);
        double w = t - lo;
        return table[lo] + w * (table[lo + 1] - table[lo]);
    }

    /** The timestep whose log sigma, interpolated linearly in the table, is log(sigma) (diffusers' _sigma_to_t). */
    static double sigmaToT(double[] table, double sigma) {
        double ls = Math.log(Math.max(sigma, 1e-10));
        int lo = 0;
        for (int i = 0; i < table.length; i++) if (ls - Math.log(table[i]) >= 0) lo = i;
        lo = Math.min(lo, table.length - 2);
        double low = Math.log(table[lo]), high = Math.log(table[lo + 1]);
        double w = Math.clamp((low - ls) / (low - high), 0, 1);
        return (1 - w) * lo + w * (lo + 1);
    }

    /** Karras et al.'s rho = 7 ramp from smax to smin over n levels. */
    static double[] karras(double smin, double smax, int n) {
        double lo = Math.pow(smin, 1 / 7.0), hi = Math.pow(smax, 1 / 7.0);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) s[i] = Math.pow(hi + (n == 1 ? 0 : (double) i / (n - 1)) * (lo - hi), 7);
        return s;
    }

    /** n levels from smax to smin evenly spaced in log sigma. */
    static double[] exponential(double smin, double smax, int n) {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) s[i] = Math.exp(Math.log(smax) + (n == 1 ? 0 : (double) i / (n - 1)) * (Math.log(smin) - Math.log(smax)));
        return s;
    }
}
