package dev.diffusion4j.models.text;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Text to words before BPE, as Hugging Face's CLIPTokenizer does when ftfy is not installed (its BasicTokenizer
 * path, without accent stripping or punctuation splitting): drop NUL, U+FFFD and every "C*" character except tab, CR
 * and LF; turn tab, CR, LF, space and "Zs" characters into spaces; put spaces around CJK ideographs; NFC-normalise;
 * split on whitespace as Python's str.split() does, lower-case each piece and join them with single spaces; then cut
 * the result into words with CLIP's pattern (special tokens, contractions, letter runs, single digits, runs of
 * everything else).
 */
public final class ClipPreTokenizer {
    private ClipPreTokenizer() {}

    public static final String START = "<|startoftext|>", END = "<|endoftext|>";

    private static final Pattern WORD = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);

    /** What remains of Python's str.split() separators once control and "Zs" characters are gone. */
    private static final Pattern SPLIT = Pattern.compile("[ \\u2028\\u2029]+");

    /** The cleaned, lower-cased text whose words BPE encodes. */
    public static String normalize(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        text.codePoints().forEach(cp -> {
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) return;
            if (isWhitespace(cp)) sb.append(' ');
            else if (isCjk(cp)) sb.append(' ').appendCodePoint(cp).append(' ');
            else sb.appendCodePoint(cp);
        });
        String nfc = Normalizer.normalize(sb, Normalizer.Form.NFC);
        StringBuilder out = new StringBuilder(nfc.length());
        for (String piece : SPLIT.split(nfc)) {
            if (piece.isEmpty()) continue;
            if (!out.isEmpty()) out.append(' ');
            out.append(piece.toLowerCase(Locale.ROOT));
        }
        return out.toString();
    }

    /** CLIP's words of already normalised text. */
    public static List<String> words(String normalized) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(normalized);
        while (m.find()) out.add(m.group());
        return out;
    }

    private static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    /** Unicode's "C" categories (control, format, surrogate, private use, unassigned), tab, LF and CR excepted. */
    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') return false;
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.SURROGATE || t == Character.PRIVATE_USE
                || t == Character.UNASSIGNED;
    }

    /** The CJK ideograph blocks BERT's tokenizer isolates (not Hangul, Hiragana or Katakana). */
    private static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
