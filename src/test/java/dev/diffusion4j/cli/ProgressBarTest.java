package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void plainOutputPrintsAboutTenLinesWithCountsAndRate() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (ProgressBar bar = new ProgressBar(new PrintStream(buf), "train", 100, "step", false)) {
            for (int i = 0; i < 100; i++) bar.step(1, "loss 0.5");
        }
        String[] lines = buf.toString().strip().split("\n");
        assertTrue(lines.length >= 10 && lines.length <= 11, lines.length + " lines");
        assertTrue(lines[lines.length - 1].contains("100/100 step"), lines[lines.length - 1]);
        assertTrue(lines[lines.length - 1].contains("step/s") && lines[lines.length - 1].contains("loss 0.5"));
    }

    @Test
    void clockFormats() {
        assertEquals("1:05", ProgressBar.clock(65));
        assertEquals("1:01:01", ProgressBar.clock(3661));
        assertEquals("?", ProgressBar.clock(Double.NaN));
    }

    static ProgressBar bar(String label, long total, String unit, long done, String extra) {
        ProgressBar b = new ProgressBar(new PrintStream(new ByteArrayOutputStream()), label, total, unit, false);
        b.step(done, extra);
        return b;
    }

    @Test
    void typicalLinesFitEightyColumnsWithTheWholeBar() {
        String train = bar("train", 1500, "step", 750, "loss 0.0312").render(95);
        assertTrue(train.length() <= 79, train.length() + ": " + train);
        assertEquals("train [######......] 750/1500 step | 7.89 step/s | 1:35, eta 1:35 | loss 0.0312", train);
        assertTrue(train.endsWith("| loss 0.0312"), train);
        String eval = bar("eval", 10000, "img", 3000, "3.1234 bits/dim").render(4000);
        assertTrue(eval.length() <= 79 && eval.contains("[") && eval.contains("eta 2:35:33") && eval.contains("bits/dim"), eval.length() + ": " + eval);
        String done = bar("samples", 1000, "img", 1000, null).render(12);
        assertTrue(done.length() <= 79 && done.contains("1000/1000 img") && done.contains("eta 0:00"), done);
    }

    @Test
    void extremeValuesStillFitAndKeepCountsRateAndEta() {
        long big = 1_000_000_000_000L;
        for (ProgressBar b : new ProgressBar[] {
                bar("train", big, "step", big / 3, "loss 12345.678901"),
                bar("reference-features", Long.MAX_VALUE, "img", 1, "a very long extra text that alone is wider than the terminal itself"),
                bar("train", 100_000_000, "step", 99_999_999, "loss 0.0001"),
                bar("x", 1, "step", 0, null)}) {
            for (double secs : new double[] {0, 1e-3, 59, 3.6e5, 1e9}) {
                String line = b.render(secs);
                assertTrue(line.length() <= 79, line.length() + ": " + line);
                assertTrue(line.contains("/s") && line.contains("eta "), line);
            }
        }
        String huge = bar("train", big, "step", big / 3, "loss 1.5").render(1e6);
        assertTrue(huge.contains(big / 3 + "/" + big + " step"), huge);
        assertEquals("11d", ProgressBar.clock(1e6), "beyond 99 hours in days");
    }
}
