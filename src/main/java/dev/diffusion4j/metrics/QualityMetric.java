package dev.diffusion4j.metrics;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The sample-quality metrics a user can ask for by name. */
public enum QualityMetric {
    /** Fréchet distance (FID with Inception features). */
    FD,
    /** Kernel distance (KID with Inception features). */
    KID,
    /** Improved precision and recall. */
    PR;

    /**
     * Parses a comma-separated list; {@code fid} is accepted for FD, and names in {@code also} (e.g. "nll", handled by the
     * caller) are skipped. Unknown names fail with the list of valid ones.
     */
    public static EnumSet<QualityMetric> parse(String list, Set<String> also) {
        EnumSet<QualityMetric> out = EnumSet.noneOf(QualityMetric.class);
        for (String raw : list.split(",")) {
            String s = raw.strip().toLowerCase(Locale.ROOT);
            if (s.isEmpty() || also.contains(s)) continue;
            switch (s) {
                case "fid", "fd" -> out.add(FD);
                case "kid", "kd" -> out.add(KID);
                case "pr", "precision", "recall" -> out.add(PR);
                default -> throw new IllegalArgumentException("unknown metric '" + raw.strip() + "' in --metrics; choose from fid, kid, pr"
                        + (also.isEmpty() ? "" : ", " + String.join(", ", also)));
            }
        }
        return out;
    }
}
