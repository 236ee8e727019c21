package dev.diffusion4j.engine.cpu;

import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Per-chunk partial sums of a parallel loop, added up in chunk order afterwards: results never depend on which
 * thread finished first, so a training run is bit-for-bit repeatable (and a resumed run equals an uninterrupted one).
 */
final class OrderedPartials {
    private final ConcurrentSkipListMap<Integer, double[][]> parts = new ConcurrentSkipListMap<>();

    /** Records the partial arrays of the chunk starting at {@code chunkStart}. */
    void put(int chunkStart, double[]... arrays) { parts.put(chunkStart, arrays); }

    /** totals[k] += the k-th partial of every chunk, chunks in ascending order. */
    void addInto(double[]... totals) {
        for (double[][] p : parts.values())
            for (int k = 0; k < totals.length; k++)
                for (int i = 0; i < totals[k].length; i++) totals[k][i] += p[k][i];
    }
}
