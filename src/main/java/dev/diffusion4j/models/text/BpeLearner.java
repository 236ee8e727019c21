package dev.diffusion4j.models.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.diffusion4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Learns a CLIP-format BPE vocabulary from a caption corpus: words are cut exactly as {@link ClipTokenizer} cuts
 * them, then the most frequent adjacent symbol pair (ties: the alphabetically first) is merged, again and again, until
 * the vocabulary is full or no pair occurs {@code minFrequency} times. The vocabulary is CLIP's layout: the 256 byte
 * symbols, the same with "&lt;/w&gt;", one token per merge (a merge that rebuilds an existing token adds none), then
 * "&lt;|startoftext|&gt;" and "&lt;|endoftext|&gt;".
 */
public final class BpeLearner {
    private BpeLearner() {}

    /** The smallest vocabulary: 512 byte symbols and the two special tokens. */
    public static final int MIN_VOCAB = 514;

    public record Vocabulary(LinkedHashMap<String, Integer> vocab, List<String[]> merges) {
        public BpeMerges bpeMerges() { return new BpeMerges(merges); }
        public ClipTokenizer tokenizer() { return ClipTokenizer.of(vocab, bpeMerges()); }

        /** Writes dir/vocab.json and dir/merges.txt (each atomically), the files CLIPTokenizer reads. */
        public void write(Path dir) throws IOException {
            Files.createDirectories(dir);
            String json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(vocab);
            AtomicFiles.writeString(dir.resolve("vocab.json"), json + "\n");
            StringBuilder sb = new StringBuilder("#version: 0.2\n");
            for (String[] m : merges) sb.append(m[0]).append(' ').append(m[1]).append('\n');
            AtomicFiles.writeString(dir.resolve("merges.txt"), sb.toString());
        }
    }

    /**
     * Learns from texts (one caption each) a vocabulary of at most {@code vocabSize} tokens; {@code progress} hears
     * the number of merges made so far (may be null).
     */
    public static Vocabulary learn(List<String> texts, int vocabSize, int minFrequency, IntConsumer progress) {
        if (vocabSize < MIN_VOCAB) throw new IllegalArgumentException("vocabulary size must be at least " + MIN_VOCAB + " (512 byte symbols and 2 special tokens), got " + vocabSize);
        if (minFrequency < 1) throw new IllegalArgumentException("minimum pair frequency must be at least 1, got " + minFrequency);
        LinkedHashMap<String, Integer> vocab = new LinkedHashMap<>();
        for (int i = 0; i < 256; i++) vocab.put(String.valueOf(ByteSymbols.inVocabOrder(i)), vocab.size());
        for (int i = 0; i < 256; i++) vocab.put(ByteSymbols.inVocabOrder(i) + Bpe.END_OF_WORD, vocab.size());

        List<List<String>> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (var e : wordCounts(texts).entrySet()) {
            List<String> symbols = new ArrayList<>();
            String w = e.getKey();
            for (int i = 0; i < w.length(); i++) symbols.add(i == w.length() - 1 ? w.charAt(i) + Bpe.END_OF_WORD : String.valueOf(w.charAt(i)));
            words.add(symbols);
            counts.add(e.getValue());
        }

        List<String[]> merges = new ArrayList<>();
        while (vocab.size() < vocabSize - 2) {
            String[] best = bestPair(words, counts, minFrequency);
            if (best == null) break;
            for (int i = 0; i < words.size(); i++) words.set(i, apply(words.get(i), best[0], best[1]));
            merges.add(best);
            vocab.putIfAbsent(best[0] + best[1], vocab.size());
            if (progress != null) progress.accept(merges.size());
        }
        vocab.put(ClipPreTokenizer.START, vocab.size());
        vocab.put(ClipPreTokenizer.END, vocab.size());
        return new Vocabulary(vocab, merges);
    }

    /** Each distinct word of the corpus (as byte symbols) and how often it occurs, in first-seen order. */
    static LinkedHashMap<String, Integer> wordCounts(List<String> texts) {
        LinkedHashMap<String, Integer> counts = new LinkedHashMap<>();
        for (String text : texts)
            for (String w : ClipPreTokenizer.words(ClipPreTokenizer.normalize(text)))
                if (!w.equals(ClipPreTokenizer.START) && !w.equals(ClipPreTokenizer.END)) counts.merge(ByteSymbols.encode(w), 1, Integer::sum);
        return counts;
    }

    private static String[] bestPair(List<List<String>> words, List<Integer> counts, int minFrequency) {
        HashMap<String, int[]> pairCounts = new HashMap<>();
        for (int i = 0; i < words.size(); i++) {
            List<String> s = words.get(i);
            for (int j = 0; j + 1 < s.size(); j++) pairCounts.computeIfAbsent(s.get(j) + ' ' + s.get(j + 1), k -> new int[1])[0] += counts.get(i);
        }
        String best = null;
        int bestCount = 0;
        for (Map.Entry<String, int[]> e : pairCounts.entrySet()) {
            int c = e.getValue()[0];
            if (c > bestCount || (c == bestCount && best != null && e.getKey().compareTo(best) < 0)) { best = e.getKey(); bestCount = c; }
        }
        return best == null || bestCount < minFrequency ? null : best.split(" ");
    }

    /** Merges left+right at each non-overlapping occurrence, left to right (as the tokenizer applies a merge). */
    private static List<String> apply(List<String> symbols, String left, String right) {
        List<String> out = new ArrayList<>(symbols.size());
        for (int i = 0; i < symbols.size(); ) {
            if (i + 1 < symbols.size() && symbols.get(i).equals(left) && symbols.get(i + 1).equals(right)) {
                out.add(left + right);
                i += 2;
            } else {
                out.add(symbols.get(i++));
            }
        }
        return out;
    }
}
