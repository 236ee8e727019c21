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

    /** Longest line drawn: one short of 80 columns, as a full-width line wraps (and then scrolls on each redraw) in some terminals. */
    static final int WIDTH = 79;
    private static final int MAX_BAR = 24, MIN_BAR = 8;

    /**
     * The line, at most {@link #WIDTH} characters, e.g. {@code train [######......] 750/1500 step | 7.89 step/s | 1:35, eta 1:35 | loss 0.0312}:
     * the bar narrows first, then the elapsed time goes, then the bar, then the extra text; the counts, rate and ETA stay.
     */
    String render() { return render(elapsed()); }

    /** The line after {@code secs} seconds. */
    String render(double secs) {
        double rate = done / Math.max(secs, 1e-9);
        double eta = rate > 0 ? (total - done) / rate : Double.NaN;
        String counts = done + "/" + total + " " + unit;
        String rateText = rate >= 10 ? String.format(Locale.ROOT, "%.0f %s/s", rate, unit) : String.format(Locale.ROOT, "%.2f %s/s", rate, unit);
        String etaClock = done == total ? "0:00" : clock(eta);
        String extra = suffix.isEmpty() ? "" : " | " + suffix;
        for (int variant = 0; variant < 4; variant++) {
            boolean withElapsed = variant == 0, withBar = variant <= 1, withExtra = variant <= 2;
            // time: "1:35, eta 2:10" (elapsed first), or the ETA alone where the line is short of room
            String time = " | " + (withElapsed ? clock(secs) + ", eta " : "eta ") + etaClock;
            String tail = " " + counts + " | " + rateText + time + (withExtra ? extra : "");
            if (!withBar) {
                if (label.length() + tail.length() <= WIDTH) return label + tail;
                continue;
            }
            int room = Math.min(MAX_BAR, WIDTH - label.length() - 3 - tail.length());
            if (room >= MIN_BAR) {
                int filled = (int) (room * (double) done / total);
                return label + " [" + "#".repeat(filled) + ".".repeat(room - filled) + "]" + tail;
            }
        }
        String line = label + " " + counts + " | " + rateText + " | eta " + etaClock;
        return line.length() <= WIDTH ? line : line.substring(0, WIDTH);
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
        if (s >= 100 * 3600) return s / 86400 + "d";    // beyond 99 hours the minutes say nothing
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    @Override public void close() {
        if (interactive) { draw(false); out.println(); }
        else if (lastDecile < 10) draw(true);
    }
}
