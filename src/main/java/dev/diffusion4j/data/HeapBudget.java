package dev.diffusion4j.data;

/**
 * Checks, before allocating, that the heap can hold what a dataset file asks for, so a file that
 * declares more data than fits ends in a message naming it instead of an OutOfMemoryError.
 */
final class HeapBudget {
    /** The largest byte[] the JVM reliably allocates. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 16;

    private HeapBudget() {}

    /**
     * Throws unless {@code bytes} fit in one array and in the free heap (after a collection if
     * needed); {@code what} names the file and what it declares, e.g. "IDX images file F (1x28x28)".
     */
    static void require(long bytes, String what) {
        if (bytes > MAX_ARRAY) {
            throw new DatasetException(what + " needs " + mib(bytes)
                    + " in one block, more than one Java array holds (2 GiB)", "split it into smaller files");
        }
        if (!fits(bytes)) {
            throw new DatasetException(what + " needs " + mib(bytes) + " of memory but " + shortOf(),
                    "give Java more memory (e.g. DIFFUSE_JAVA_OPTS=-Xmx8g) or use a smaller dataset");
        }
    }

    /** True if {@code bytes} fit in the free heap, looking again after a collection before saying no. */
    static boolean fits(long bytes) {
        if (bytes <= free()) return true;
        System.gc(); // free() counts garbage as used
        return bytes <= free();
    }

    /** "only 200.0 MiB of the Java heap (256.0 MiB) is free" */
    static String shortOf() {
        return "only " + mib(free()) + " of the Java heap (" + mib(Runtime.getRuntime().maxMemory()) + ") is free";
    }

    private static long free() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    static String mib(long bytes) {
        return bytes < 1 << 20 ? bytes + " bytes" : String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
