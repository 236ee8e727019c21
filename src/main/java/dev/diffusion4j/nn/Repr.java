package dev.diffusion4j.nn;

/** Formatting helpers so module reprs read like PyTorch's. */
final class Repr {
    private Repr() {}

    static String bool(boolean b) { return b ? "True" : "False"; }

    static String pair(int a, int b) { return "(" + a + ", " + b + ")"; }

    /** Python's repr of a float ("1e-05", "0.1", "1.0"), from Java's shortest round-trip digits. */
    static String num(double v) {
        if (v == 0 || Double.isNaN(v) || Double.isInfinite(v)) return v == 0 ? "0.0" : Double.isNaN(v) ? "nan" : (v > 0 ? "inf" : "-inf");
        String j = Double.toString(Math.abs(v));
        String sign = v < 0 ? "-" : "";
        int e = j.indexOf('E');
        String digits = e < 0 ? j : j.substring(0, e);
        int exp = e < 0 ? 0 : Integer.parseInt(j.substring(e + 1));
        java.math.BigDecimal d = new java.math.BigDecimal(digits).scaleByPowerOfTen(exp);
        if (Math.abs(v) >= 1e-4 && Math.abs(v) < 1e16) {
            String plain = d.stripTrailingZeros().toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        // scientific like Python: shortest mantissa, exponent with sign and at least two digits
        java.math.BigDecimal u = d.stripTrailingZeros();
        int pexp = u.precision() - u.scale() - 1;
        String mant = u.movePointLeft(pexp).toPlainString();
        return sign + mant + "e" + (pexp < 0 ? "-" : "+") + String.format(java.util.Locale.ROOT, "%02d", Math.abs(pexp));
    }
}
