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
}
