package dev.diffusion4j.models.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeLearnerTest {
    /**
     * Worked by hand: hug x3, pug, pun, bun. Pairs: (u, g&lt;/w&gt;) 4, (h, u) 3, (p, u) 2, (u, n&lt;/w&gt;) 2, (b, u) 1
     * -> merge u g&lt;/w&gt;; then (h, ug&lt;/w&gt;) 3 -> merge; then (u, n&lt;/w&gt;) 2 -> merge; every pair left occurs
     * once, under the minimum of 2.
     */
    @Test
    void mergesTheMostFrequentPairUntilNoneIsFrequentEnough() {
        BpeLearner.Vocabulary v = BpeLearner.learn(List.of("hug hug hug", "Pug pun, bun"), 4096, 2, null);
        assertEquals(List.of("u g</w>", "h ug</w>", "u n</w>"), v.merges().stream().map(m -> m[0] + " " + m[1]).toList());
        assertEquals(517, v.vocab().size());
        assertEquals(0, v.vocab().get("!"));
        assertEquals(256, v.vocab().get("!</w>"));
        assertEquals(512, v.vocab().get("ug</w>"));
        assertEquals(513, v.vocab().get("hug</w>"));
        assertEquals(514, v.vocab().get("un</w>"));
        assertEquals(515, v.vocab().get(ClipPreTokenizer.START));
        assertEquals(516, v.vocab().get(ClipPreTokenizer.END));
        assertEquals(List.of("hug</w>", "p", "un</w>"), v.tokenizer().tokenize("hug pun"));
    }

    @Test
    void stopsAtTheVocabularySize() {
        BpeLearner.Vocabulary v = BpeLearner.learn(List.of("hug hug hug", "pug pun bun"), 516, 1, null);
        assertEquals(516, v.vocab().size());
        assertEquals(2, v.merges().size());
        assertThrows(IllegalArgumentException.class, () -> BpeLearner.learn(List.of("a"), 513, 1, null));
    }

    /** The committed emoji vocabulary reads back and covers its own corpus with no unknown tokens. */
    @Test
    void writtenFilesReadBackAsTheSameTokenizer(@TempDir Path dir) throws IOException {
        List<String> captions = Files.readAllLines(Path.of("data/captions/emoji-google-16.0.0.txt")).subList(0, 300);
        BpeLearner.Vocabulary v = BpeLearner.learn(captions, 700, 2, null);
        v.write(dir);
        assertTrue(Files.readString(dir.resolve("merges.txt")).startsWith("#version: 0.2\n"));
        ClipTokenizer read = ClipTokenizer.load(dir);
        assertEquals(v.vocab().size(), read.vocabSize());
        for (String c : captions) {
            assertEquals(v.tokenizer().tokenize(c), read.tokenize(c));
            for (String t : read.tokenize(c)) assertFalse(read.id(t) < 0, t + " of '" + c + "' is not in the vocabulary");
        }
    }
}
