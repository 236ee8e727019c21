package dev.diffusion4j.data;

import java.util.Locale;

/** The two splits the file formats know; anything else is a user error worth naming. */
final class Split {
    private Split() {}

    static String check(String split) {
        String s = split == null ? "train" : split.toLowerCase(Locale.ROOT);
        if (s.equals("train") || s.equals("test")) return s;
        throw new DatasetException("unknown split '" + split + "'", "use 'train' or 'test'");
    }
}
