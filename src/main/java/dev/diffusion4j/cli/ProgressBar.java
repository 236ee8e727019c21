package dev.diffusion4j.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line terminal progress bar with rate and ETA, redrawn in place with '\r' at most a few times a second.
 * When the output is not a terminal (CI logs, pipes) it prints a plain line every ~10% instead of redrawing.
 */
public final class ProgressBar implements AutoCloseable {
    private final PrintStream out;
    private final String label;
    private final long total;
    private final String unit;
    private final boolean interactive;
    private final long start = System.nanoTime();
    private long done;
    private long lastDraw;
    private int lastDecile = -1;
    private String suffix = "";

    public ProgressBar(PrintStream out, String label, long total, String unit) {
        this(out, label, total, unit, System.console() != null && !"dumb".equals(System.getenv("TERM")));
    }

    ProgressBar(PrintStream out, String label, long total, String unit, boolean interactive) {
        this.out = out; this.label = label; this.total = Math.max(1, total); this.unit = unit; this.interactive = interactive;
    }

    /** Advances by n units; extra is shown after the bar (e.g. "loss 0.0312"). */
    public void step(long n, String extra) {
        done = Math.min(total, done + n);
        if (extra != null) suffix = extra;
        long now = System.nanoTime();
        if (interactive) {
            if (now - lastDraw > 200_000_000L || done == total) { draw(false); lastDraw = now; }
        } else {
            int decile = (int) (done * 10 / total);
            if (decile != lastDecile) { lastDecile = decile; draw(true); }
        }
    }

    public void step(long n) { step(n, null); }

    /** Seconds since the bar started. */
    public double elapsed() { return (System.nanoTime() - start) / 1e9; }

    String render() {
        double secs = elapsed();
        double rate = done / Math.max(secs, 1e-9);
        double eta = rate > 0 ? (total - done) / rate : Double.NaN;
        int width = 24, filled = (int) (width * done / total);
        return String.format(Locale.ROOT, "%s [%s%s] %d/%d %s | %s | elapsed %s | eta %s%s",
                label, "#".repeat(filled), ".".repeat(width - filled), done, total, unit,
                rate >= 10 ? String.format(Locale.ROOT, "%.0f %s/s", rate, unit) : String.format(Locale.ROOT, "%.2f %s/s", rate, unit),
                clock(secs), done == total ? "0:00" : clock(eta), suffix.isEmpty() ? "" : " | " + suffix);
    }

    private void draw(boolean newline) {
        String s = render();
        if (newline) out.println(s);
        else out.print("\r" + s + "\u001b[K");
        out.flush();
    }

    static String clock(double secs) {
        if (Double.isNaN(secs) || Double.isInfinite(secs)) return "?";
        long s = Math.round(secs);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    @Override public void close() {
        if (interactive) { draw(false); out.println(); }
        else if (lastDecile < 10) draw(true);
    }
}
