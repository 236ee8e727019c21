package dev.diffusion4j.models.text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ranked merges of a merges.txt (GPT-2 / CLIP format: a first line that is skipped, "#version: 0.2", then one
 * "left right" pair a line, best first). Like CLIPTokenizer, reads at most the first {@link #MAX_MERGES} lines of pairs.
 */
public final class BpeMerges {
    /** 49152 - 256 - 2: CLIPTokenizer's cap on merges read (CLIP's own vocabulary has 48894). */
    public static final int MAX_MERGES = 48894;

    private final List<String[]> pairs;
    private final Map<String, Integer> rank = new HashMap<>();

    public BpeMerges(List<String[]> pairs) {
        this.pairs = List.copyOf(pairs);
        // a pair listed twice takes its later rank, as a Python dict built from the list does
        for (int i = 0; i < this.pairs.size(); i++) rank.put(key(this.pairs.get(i)[0], this.pairs.get(i)[1]), i);
    }

    public static BpeMerges read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        String[] lines = text.strip().split("\n");
        List<String[]> pairs = new ArrayList<>();
        // like CLIPTokenizer: lines 2 .. MAX_MERGES + 1 are read; a blank one merges nothing
        for (int i = 1; i < lines.length && i <= MAX_MERGES; i++) {
            if (lines[i].isBlank()) continue;
            String[] p = lines[i].strip().split("\\s+");
            if (p.length != 2)
                throw new IOException(file + " line " + (i + 1) + ": expected two symbols separated by a space, got '" + lines[i].strip() + "'");
            pairs.add(p);
        }
        return new BpeMerges(pairs);
    }

    /** The rank of merging left and right (lower merges first), or -1 when they never merge. */
    public int rank(String left, String right) {
        Integer r = rank.get(key(left, right));
        return r == null ? -1 : r;
    }

    public int size() { return pairs.size(); }

    public String[] get(int i) { return pairs.get(i).clone(); }

    /** Symbols hold no spaces (ByteSymbols), so one space keeps any two pairs apart. */
    private static String key(String left, String right) { return left + ' ' + right; }
}
