package dev.diffusion4j.models.text;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2 / CLIP's reversible map from the 256 byte values to printable characters, so that BPE works on strings with
 * no whitespace or control characters in them: printable Latin-1 bytes map to themselves, the other 68 bytes to
 * U+0100 onwards, in byte order.
 */
public final class ByteSymbols {
    private ByteSymbols() {}

    private static final char[] SYMBOL = new char[256];
    /** The 256 symbols in vocabulary order: the printable bytes first (as they are), then the remapped ones. */
    private static final char[] ORDER = new char[256];
    private static final int[] BYTE = new int[512];

    static {
        int n = 0, extra = 0;
        for (int b = 0; b < 256; b++) if (printable(b)) { SYMBOL[b] = (char) b; ORDER[n++] = (char) b; }
        for (int b = 0; b < 256; b++) if (!printable(b)) { SYMBOL[b] = (char) (256 + extra++); ORDER[n++] = SYMBOL[b]; }
        java.util.Arrays.fill(BYTE, -1);
        for (int b = 0; b < 256; b++) BYTE[SYMBOL[b]] = b;
    }

    private static boolean printable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** The symbol of one byte (0..255). */
    public static char of(int b) { return SYMBOL[b & 0xFF]; }

    /** The byte a symbol stands for, or -1 for a character that is no byte symbol. */
    public static int byteOf(char symbol) { return symbol < BYTE.length ? BYTE[symbol] : -1; }

    /** The i-th symbol of the vocabulary's first 256 entries. */
    public static char inVocabOrder(int i) { return ORDER[i]; }

    /** The UTF-8 bytes of text, one symbol each. */
    public static String encode(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(utf8.length);
        for (byte b : utf8) sb.append(of(b));
        return sb.toString();
    }
}
