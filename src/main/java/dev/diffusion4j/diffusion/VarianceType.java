package dev.diffusion4j.diffusion;

import java.util.Locale;

/**
 * The reverse-process variance Sigma_t. FIXED_SMALL is the posterior variance beta~_t, FIXED_LARGE is beta_t (with
 * beta~_2 at t = 1, as improved-diffusion does, for a better decoder likelihood). The learned kinds double the model's
 * output channels: LEARNED_RANGE outputs v in [-1, 1] and log Sigma = frac log beta_t + (1 - frac) log beta~_t with
 * frac = (v + 1)/2 (improved DDPM); LEARNED outputs log Sigma directly.
 */
public enum VarianceType {
    FIXED_SMALL, FIXED_LARGE, LEARNED_RANGE, LEARNED;

    public boolean learned() { return this == LEARNED_RANGE || this == LEARNED; }

    public String id() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    public static VarianceType parse(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (VarianceType t : values()) if (t.id().equals(v)) return t;
        throw new IllegalArgumentException("unknown variance type '" + s + "': use fixed-small, fixed-large, learned-range or learned");
    }
}
