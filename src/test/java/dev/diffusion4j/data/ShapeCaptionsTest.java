package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShapeCaptionsTest {
    private static final List<String> COLOURS = List.of("red", "orange", "yellow", "green", "blue", "purple");
    private static final double[] HUES = {0.0, 0.08, 0.15, 0.33, 0.6, 0.78};

    @Test
    void captionsDescribeWhatIsDrawn() {
        ShapesDataset d = new ShapesDataset(200, 16, 3, 7);
        for (int i = 0; i < d.size(); i++) {
            ShapeScene s = d.scene(i);
            String[] w = d.caption(i).split(" ");   // a <colour> <shape> on a <dark|light> background
            assertEquals(s.shape().name().toLowerCase(), w[2], d.caption(i));
            boolean dark = w[5].equals("dark");
            float[] fg = ShapesDataset.hsv(HUES[COLOURS.indexOf(w[1])], 0.85, dark ? 0.95 : 0.62);
            assertArrayEquals(fg, s.fg(), 1e-6f, "image " + i + ": " + d.caption(i));
            assertEquals(d.label(i), s.shape().ordinal());
        }
        assertEquals("a green triangle on a light background", ShapesDataset.caption(ShapesDataset.Shape.TRIANGLE, "green", false));
    }

    @Test
    void batchesCarryCaptionsWhenTheDataHasThem() {
        ShapesDataset d = new ShapesDataset(8, 8, 3, 1);
        try (DataLoader l = DataLoader.builder(d, 4).seed(3).build()) {
            Batch b = l.next();
            assertEquals(4, b.captions().size());
            for (String c : b.captions()) assertTrue(c.matches("an? \\w+ \\w+ on a (dark|light) background"), c);
        }
        assertNull(new Batch(new float[1], new int[] {0}, 1, 1, 1, 1).captions());
    }
}
