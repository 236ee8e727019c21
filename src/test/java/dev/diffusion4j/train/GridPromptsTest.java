package dev.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diffusion4j.data.ImageDataset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which captions label a text-to-image run's training grid. */
class GridPromptsTest {
    /** n 1x1 images captioned "c0", "c1", ...; labels i % classes when classes > 0. */
    record Captions(int n, int classes) implements ImageDataset {
        @Override public int size() { return n; }
        @Override public int channels() { return 1; }
        @Override public int height() { return 1; }
        @Override public int width() { return 1; }
        @Override public int numClasses() { return classes; }
        @Override public void load(int index, float[] dst, int dstOff) { dst[dstOff] = 0; }
        @Override public int label(int index) { return classes > 0 ? index % classes : -1; }
        @Override public String caption(int index) { return "c" + index; }
        @Override public String describe() { return "captions"; }
    }

    @Test void unlabelledDataGivesCaptionsSpreadEvenlyOverTheData() {
        assertEquals(List.of("c0", "c25", "c50", "c75"), TextConditioning.gridPrompts(new Captions(100, 0), 4));
        assertEquals(List.of("c0", "c1"), TextConditioning.gridPrompts(new Captions(2, 0), 4), "no more rows than images");
    }

    @Test void labelledDataGivesTheFirstCaptionOfEachClass() {
        assertEquals(List.of("c0", "c1", "c2"), TextConditioning.gridPrompts(new Captions(30, 3), 2));
    }
}
