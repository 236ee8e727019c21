package dev.diffusion4j.engine;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Random draws inside a graph recording (a training step's noise and dropout masks), kept on the same Philox streams
 * as eager steps. A recorded kernel cannot take a new offset at each replay, so it reads its generator's offset from a
 * device slot instead and adds its own distance from where that generator stood when the recording began: before
 * each replay the host writes each generator's current offset into its slot and advances the generator by what the
 * recording drew. A replay therefore draws exactly the numbers an eager step at that point would, and a checkpoint's
 * generator offsets stay exact.
 *
 * <p>Every advance of a generator during the recording must be claimed at once by a device draw ({@link #claim});
 * one that is not was a draw made on the host (a shuffle, a host-side choice), whose value a replay would repeat, and
 * the recording is refused ({@link GraphCaptureException}). Backends call {@link #begin} and {@link #end} around a
 * recording on the recording thread.
 */
public final class GraphRandom {
    /** Generators one recording can follow (device slots): a U-Net's dropout layers each have their own (ddpm-cifar10: 22). */
    public static final int MAX_STREAMS = 1024;
    private static final ThreadLocal<GraphRandom> CURRENT = new ThreadLocal<>();

    /** A generator the recording drew from: where it stood at the first draw, and how far the recording moved it. */
    public record Stream(Generator generator, long start, long advance) {}

    private final long slots;
    private final Map<Generator, Long> firstSeen = new IdentityHashMap<>();   // every generator advanced: where it stood
    private final Map<Generator, Integer> index = new IdentityHashMap<>();    // those a device draw claimed: their slots
    private final List<Generator> generators = new ArrayList<>();
    private Generator pending;      // the last advance, until a device draw claims it
    private long pendingStart;
    private String failure;

    private GraphRandom(long slots) { this.slots = slots; }

    /** Starts following draws on this thread; {@code slotsAddress} is a device array of MAX_STREAMS 64-bit offsets. */
    public static GraphRandom begin(long slotsAddress) {
        if (CURRENT.get() != null) throw new IllegalStateException("a graph recording is already following this thread's draws");
        GraphRandom r = new GraphRandom(slotsAddress);
        CURRENT.set(r);
        return r;
    }

    /** The recording in progress on this thread, or null. */
    public static GraphRandom current() { return CURRENT.get(); }

    /** Called by {@link Generator#advance}: notes the advance, which a device draw must claim before anything else draws. */
    static void advanced(Generator g, long start) {
        GraphRandom r = CURRENT.get();
        if (r == null) return;
        if (r.pending != null) r.fail();
        r.firstSeen.putIfAbsent(g, start);
        r.pending = g;
        r.pendingStart = start;
    }

    /** A slot and a distance from it: a device draw at {@code offset} reads *slotAddress + relativeOffset. */
    public record Claim(long slotAddress, long relativeOffset) {}

    /**
     * The slot a device draw with {@code seed} at {@code offset} reads: the draw must be the one the last advance on
     * this thread reserved. Throws {@link GraphCaptureException} otherwise, or when too many generators are in play.
     */
    public Claim claim(long seed, long offset) {
        Generator g = pending;
        if (g == null || g.seed() != seed || pendingStart != offset)
            throw new GraphCaptureException("a random draw whose generator the recording cannot follow (seed " + seed + ", offset " + offset + ")");
        pending = null;
        Integer i = index.get(g);
        if (i == null) {
            if (generators.size() == MAX_STREAMS) throw new GraphCaptureException("random draws from more than " + MAX_STREAMS + " generators");
            i = generators.size();
            index.put(g, i);
            generators.add(g);
        }
        return new Claim(slots + 8L * i, offset - firstSeen.get(g));
    }

    private void fail() {
        if (failure == null) failure = "a random number drawn on the host (a replay would repeat it)";
    }

    /**
     * Ends the following on this thread and puts every generator the recording advanced back where it found it (the
     * replays move them, see the class comment; after a refusal, the eager run that follows draws the same numbers).
     * Returns the streams, slot i for stream i; throws {@link GraphCaptureException} where a draw was made on the host.
     */
    public List<Stream> end() {
        CURRENT.remove();
        if (pending != null) fail();
        List<Stream> out = new ArrayList<>(generators.size());
        for (Generator g : generators) out.add(new Stream(g, firstSeen.get(g), g.offset() - firstSeen.get(g)));
        firstSeen.forEach(Generator::setOffset);
        if (failure != null) throw new GraphCaptureException(failure);
        return out;
    }

    /**
     * Before a replay: each stream's generator offset, in slot order, with the generators advanced past the replay's
     * draws (what an eager run would have drawn).
     */
    public static long[] advanceForReplay(List<Stream> streams) {
        long[] at = new long[streams.size()];
        for (int i = 0; i < at.length; i++) at[i] = streams.get(i).generator().advance(streams.get(i).advance());
        return at;
    }
}
