package dev.diffusion4j.models.text;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Text to words before BPE, as Hugging Face's CLIPTokenizer does in transformers 5 (backed by the tokenizers library):
 * NFC-normalise; replace every run of Unicode whitespace (the White_Space property) by one space; lower-case each
 * character on its own (full case mapping without context, as Rust's char::to_lowercase); then cut the result into
 * words with CLIP's pattern (contractions, letter runs, single digits, runs of everything else), case-sensitively.
 * Nothing is dropped: control and format characters (zero-width space, soft hyphen, BOM, ZWJ) are bytes like any
 * other, and CJK ideographs form letter runs. The special tokens are split off the raw text before this
 * ({@link ClipTokenizer#tokenize}); spelled in other letter cases they are plain text.
 */
public final class ClipPreTokenizer {
    private ClipPreTokenizer() {}

    public static final String START = "<|startoftext|>", END = "<|endoftext|>";

    private static final Pattern WORD = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+", Pattern.UNICODE_CHARACTER_CLASS);

    /** Runs of White_Space characters (with UNICODE_CHARACTER_CLASS, \s is that property). */
    private static final Pattern SPACES = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

    /** The normalised, lower-cased text whose words BPE encodes. */
    public static String normalize(String text) {
        String spaced = SPACES.matcher(Normalizer.normalize(text, Normalizer.Form.NFC)).replaceAll(" ");
        StringBuilder out = new StringBuilder(spaced.length());
        // one code point at a time: String.toLowerCase of a whole text would apply the final-sigma context rule
        spaced.codePoints().forEach(cp -> out.append(Character.toString(cp).toLowerCase(Locale.ROOT)));
        return out.toString();
    }

    /** CLIP's words of already normalised text. */
    public static List<String> words(String normalized) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(normalized);
        while (m.find()) out.add(m.group());
        return out;
    }
}
