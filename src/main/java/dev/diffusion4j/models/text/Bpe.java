package dev.diffusion4j.models.text;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Byte-pair encoding of one word (already mapped to byte symbols): the last symbol carries CLIP's end-of-word
 * marker "&lt;/w&gt;"; then, while any adjacent pair has a rank, the best-ranked pair is merged at every
 * non-overlapping occurrence, left to right. Results are cached per word (bounded).
 */
final class Bpe {
    static final String END_OF_WORD = "</w>";
    private static final int CACHE = 50_000;

    private final BpeMerges merges;
    private final Map<String, List<String>> cache = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<String, List<String>> e) { return size() > CACHE; }
    };

    Bpe(BpeMerges merges) { this.merges = merges; }

    synchronized List<String> encode(String word) {
        List<String> hit = cache.get(word);
        if (hit != null) return hit;
        List<String> out = List.copyOf(merge(word));
        cache.put(word, out);
        return out;
    }

    private List<String> merge(String word) {
        List<String> symbols = new ArrayList<>();
        int[] cps = word.codePoints().toArray();
        for (int i = 0; i < cps.length; i++) {
            String s = new String(cps, i, 1);
            symbols.add(i == cps.length - 1 ? s + END_OF_WORD : s);
        }
        while (symbols.size() > 1) {
            int best = -1;
            String first = null, second = null;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                int r = merges.rank(symbols.get(i), symbols.get(i + 1));
                if (r >= 0 && (best < 0 || r < best)) { best = r; first = symbols.get(i); second = symbols.get(i + 1); }
            }
            if (best < 0) break;
            List<String> next = new ArrayList<>(symbols.size());
            for (int i = 0; i < symbols.size(); ) {
                if (i + 1 < symbols.size() && symbols.get(i).equals(first) && symbols.get(i + 1).equals(second)) {
                    next.add(first + second);
                    i += 2;
                } else {
                    next.add(symbols.get(i++));
                }
            }
            symbols = next;
        }
        return symbols;
    }
}
