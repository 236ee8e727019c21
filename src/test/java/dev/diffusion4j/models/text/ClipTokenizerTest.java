package dev.diffusion4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClipTokenizerTest {
    static final Path VOCAB = Path.of("data/captions/emoji-bpe-2048");
    static final Path RES = Path.of("src/test/resources/dev/diffusion4j/models/text");

    /**
     * 301 varied strings (captions, case, whitespace, control and format characters, accents, CJK, scripts with marks,
     * digits, contractions, special tokens, emoji, text past 77 tokens) against ids written by
     * bench/clip_tokenizer_reference.py, an independent Python statement of CLIPTokenizer's algorithm (transformers is
     * not installed here; the real CLIPTokenizer is compared on the GPU machine by scripts/gpu-clip.sh).
     */
    @Test
    void idsMatchTheReferenceForEveryParityString() throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode texts = json.readTree(Files.readAllBytes(RES.resolve("parity-strings.json")));
        JsonNode ref = json.readTree(Files.readAllBytes(RES.resolve("expected-ids.json")));
        ClipTokenizer tok = ClipTokenizer.load(VOCAB);
        assertEquals(301, texts.size());
        for (int i = 0; i < texts.size(); i++) {
            JsonNode want = ref.get("ids").get(i);
            int[] w = new int[want.size()];
            for (int j = 0; j < w.length; j++) w[j] = want.get(j).asInt();
            assertArrayEquals(w, tok.encodePadded(texts.get(i).asText()), "string " + i + ": " + json.writeValueAsString(texts.get(i).asText()));
        }
    }

    @Test
    void byteSymbolsAreCliPsReversibleTable() {
        HashSet<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            seen.add(ByteSymbols.of(b));
            assertEquals(b, ByteSymbols.byteOf(ByteSymbols.of(b)));
        }
        assertEquals(256, seen.size());
        assertEquals('a', ByteSymbols.of('a'));
        assertEquals('\u0120', ByteSymbols.of(' '), "space is the 33rd remapped byte: U+0100 + 32");
        assertEquals('\u0100', ByteSymbols.of(0));
        assertEquals('!', ByteSymbols.inVocabOrder(0));
        assertEquals("\u00c3\u00a9", ByteSymbols.encode("\u00e9"), "é is C3 A9 in UTF-8, both printable Latin-1 bytes");
    }

    @Test
    void preTokenizerCleansLowerCasesAndSplitsAsClipDoes() {
        assertEquals(" hello world ! ", ClipPreTokenizer.normalize("  Hello\tWORLD\u00a0!\n"), "whitespace runs become one space");
        assertEquals("北京ok", ClipPreTokenizer.normalize("北京OK"), "CJK ideographs are letters like any other");
        assertEquals("bell\u0007and\u200b", ClipPreTokenizer.normalize("BELL\u0007and\u200b"), "control and format characters stay");
        assertEquals("caf\u00e9", ClipPreTokenizer.normalize("CAFE\u0301"), "NFC, then lower case");
        assertEquals("i\u0307\u03c3", ClipPreTokenizer.normalize("\u0130\u03a3"), "full case mapping, no final-sigma context");
        assertEquals(List.of("it", "'s", "2", "0", "2", "4", "!!", "cafe", "<|", "endoftext", "|>", "'", "\u017f"),
                ClipPreTokenizer.words("it's 2024!! cafe <|endoftext|> '\u017f"));
    }

    /** Derived by hand from four merges: the best-ranked pair merges first, at every occurrence, until none applies. */
    @Test
    void bpeMergesByRank() {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int i = 0; i < 256; i++) vocab.put(String.valueOf(ByteSymbols.inVocabOrder(i)), vocab.size());
        for (int i = 0; i < 256; i++) vocab.put(ByteSymbols.inVocabOrder(i) + "</w>", vocab.size());
        for (String t : List.of("ll", "he", "hell", ClipPreTokenizer.START, ClipPreTokenizer.END)) vocab.put(t, vocab.size());
        BpeMerges merges = new BpeMerges(List.of(new String[] {"l", "l"}, new String[] {"h", "e"}, new String[] {"he", "ll"},
                new String[] {"o", "</w>"}));  // the last pair never occurs: "o</w>" is one symbol from the start
        ClipTokenizer tok = ClipTokenizer.of(vocab, merges);
        assertEquals(List.of("hell", "o</w>"), tok.tokenize("hello"));
        assertEquals(List.of("ll", "ll", "l</w>"), tok.tokenize("lllll"), "left to right, non-overlapping");
        assertEquals(List.of("he", "y</w>"), tok.tokenize("hey"));
        assertArrayEquals(new int[] {515, 514, vocab.get("o</w>"), 516}, tok.encode("Hello"));
    }

    @Test
    void sequencesAreCutAndPaddedKeepingStartAndEnd() throws IOException {
        ClipTokenizer tok = ClipTokenizer.load(VOCAB);
        assertEquals(2046, tok.bosId());
        assertEquals(2047, tok.eosId());
        assertEquals(2047, tok.padId(), "CLIPTokenizer pads with <|endoftext|> by default");
        int[] faces = tok.encodePadded("grinning face");
        assertArrayEquals(new int[] {2046, 1434, 598, 2047, 2047}, java.util.Arrays.copyOf(faces, 5));
        assertEquals(77, faces.length);
        int[] longIds = tok.encodePadded("face ".repeat(100));
        assertEquals(2046, longIds[0]);
        assertEquals(598, longIds[75]);
        assertEquals(2047, longIds[76]);
        int[] bang = tok.withPadToken("!").withMaxLength(6).encodePadded("face");
        assertArrayEquals(new int[] {2046, 598, 2047, 0, 0, 0}, bang, "Stable Diffusion 2 pads with '!' (id 0)");
        assertArrayEquals(new int[] {2, 6}, tok.withMaxLength(6).encodeBatch(List.of("a", "b")).shape());
    }

    @Test
    void literalSpecialTokensBecomeTheirIdsAndDecodeRoundTrips() throws IOException {
        ClipTokenizer tok = ClipTokenizer.load(VOCAB);
        assertArrayEquals(new int[] {2046, 2047, 1434, 2046, 2047}, tok.encode("<|endoftext|>grinning<|startoftext|>"));
        int[] upper = tok.encode("<|ENDOFTEXT|>");
        assertEquals(List.of("<", "|</w>", "en", "do", "f", "te", "x", "t</w>", "|", "></w>"), tok.tokenize("<|ENDOFTEXT|>"),
                "only the exact spelling is special: lowered, it is the words '<|', 'endoftext', '|>' (transformers 5's CLIPTokenizer)");
        assertEquals(12, upper.length);
        assertEquals("grinning face , smileys and emotion", tok.decode(tok.ids("Grinning face, smileys and emotion")));
        assertEquals("caf\u00e9 \u5317", tok.decode(tok.ids("CAF\u00c9 \u5317")));
    }

    /** CLIPTokenizer reads merges.txt lines 2 to 48895 only: a pair listed after them never merges. */
    @Test
    void mergesPastClipsCapAreIgnored(@TempDir Path dir) throws IOException {
        StringBuilder sb = new StringBuilder("#version: 0.2\nq r\n\n");
        sb.append("a b\n".repeat(BpeMerges.MAX_MERGES - 3)).append("x y</w>\n").append("q z</w>\n");
        Files.writeString(dir.resolve("merges.txt"), sb.toString());
        BpeMerges m = BpeMerges.read(dir.resolve("merges.txt"));
        assertEquals(BpeMerges.MAX_MERGES - 1, m.size(), "the blank line counts toward the cap but adds no pair");
        assertTrue(m.rank("x", "y</w>") > m.rank("q", "r"));
        assertEquals(-1, m.rank("q", "z</w>"));
    }

    @Test
    void brokenVocabularyFilesAreNamed(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0, \"b\": 0}");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\n");
        IOException e = assertThrows(IOException.class, () -> ClipTokenizer.load(dir));
        assertTrue(e.getMessage().contains("share id 0"), e.getMessage());
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b c\n");
        e = assertThrows(IOException.class, () -> BpeMerges.read(dir.resolve("merges.txt")));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0}");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n");
        IllegalArgumentException noEnd = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(dir));
        assertTrue(noEnd.getMessage().contains("<|startoftext|>"), noEnd.getMessage());
    }
}
