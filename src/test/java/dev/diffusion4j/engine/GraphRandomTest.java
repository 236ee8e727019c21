package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bookkeeping that keeps a recorded graph's random draws on their generators' streams (no device needed): slots
 * per generator, offsets relative to where the recording found each one, generators put back at the end and moved by
 * each replay exactly as eager draws would move them, and host draws refused.
 */
class GraphRandomTest {
    private static final long SLOTS = 0x1000;

    @AfterEach
    void noRecordingLeftOpen() {
        GraphRandom r = GraphRandom.current();
        if (r != null) r.end();
    }

    @Test
    void devicesDrawsAreClaimedPerGeneratorAndReplaysAdvanceAsEagerDrawsWould() {
        Generator noise = new Generator(7, 100), dropout = new Generator(9, 40);
        GraphRandom r = GraphRandom.begin(SLOTS);
        assertEquals(new GraphRandom.Claim(SLOTS, 0), r.claim(7, noise.advance(32)));
        assertEquals(new GraphRandom.Claim(SLOTS + 8, 0), r.claim(9, dropout.advance(5)));
        assertEquals(new GraphRandom.Claim(SLOTS + 8, 5), r.claim(9, dropout.advance(3)));
        assertEquals(new GraphRandom.Claim(SLOTS, 32), r.claim(7, noise.advance(1)));
        List<GraphRandom.Stream> streams = r.end();
        assertNull(GraphRandom.current());
        assertEquals(List.of(new GraphRandom.Stream(noise, 100, 33), new GraphRandom.Stream(dropout, 40, 8)), streams);
        assertEquals(100, noise.offset(), "a recording leaves its generators where it found them");
        assertEquals(40, dropout.offset());

        // an eager draw between replays moves the next replay's slot along with it
        assertArrayEquals(new long[] {100, 40}, GraphRandom.advanceForReplay(streams));
        noise.advance(10);
        assertArrayEquals(new long[] {143, 48}, GraphRandom.advanceForReplay(streams));
        assertEquals(176, noise.offset());
        assertEquals(56, dropout.offset());
    }

    @Test
    void aDrawOnTheHostRefusesTheRecordingAndPutsItsGeneratorBack() {
        Generator g = new Generator(3, 10);
        GraphRandom r = GraphRandom.begin(SLOTS);
        g.nextDouble();
        GraphCaptureException e = assertThrows(GraphCaptureException.class, r::end);
        assertTrue(e.getMessage().contains("drawn on the host"), e.getMessage());
        assertEquals(10, g.offset());

        Generator h = new Generator(4, 0);
        GraphRandom r2 = GraphRandom.begin(SLOTS);
        g.nextDouble();                          // unclaimed, then a device draw
        r2.claim(4, h.advance(2));
        assertThrows(GraphCaptureException.class, r2::end);
        assertEquals(10, g.offset());
        assertEquals(0, h.offset());
    }

    @Test
    void aClaimMustMatchTheLastAdvance() {
        Generator g = new Generator(5, 0);
        GraphRandom r = GraphRandom.begin(SLOTS);
        long at = g.advance(4);
        assertThrows(GraphCaptureException.class, () -> r.claim(5, at + 1));
        assertThrows(GraphCaptureException.class, () -> r.claim(6, at));
        r.claim(5, at);
        assertThrows(GraphCaptureException.class, () -> r.claim(5, at), "one advance, one claim");
        r.end();
        assertThrows(IllegalStateException.class, () -> {
            GraphRandom.begin(SLOTS);
            GraphRandom.begin(SLOTS);
        });
    }

    @Test
    void aRecordingFollowsAsManyGeneratorsAsItHasSlots() {
        GraphRandom r = GraphRandom.begin(SLOTS);
        for (int i = 0; i < GraphRandom.MAX_STREAMS; i++) {
            Generator g = new Generator(i, 7);
            assertEquals(new GraphRandom.Claim(SLOTS + 8L * i, 0), r.claim(i, g.advance(1)));
        }
        Generator extra = new Generator(-1);
        assertThrows(GraphCaptureException.class, () -> r.claim(-1, extra.advance(1)));
        assertTrue(GraphRandom.MAX_STREAMS >= 64, "a U-Net's dropout layers each have a generator");
    }

    @Test
    void drawsOutsideARecordingAreNotFollowed() {
        Generator g = new Generator(1);
        g.advance(3);
        g.nextDouble();
        assertNull(GraphRandom.current());
        assertEquals(4, g.offset());
    }
}
