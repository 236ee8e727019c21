package dev.diffusion4j.io;

/** Words for the command lines the program prints as hints, so that they run as printed in a POSIX shell. */
public final class ShellWords {
    private ShellWords() {}

    /** {@code word} (a path, a prompt) as one shell word: as it is when that is safe, else in single quotes. */
    public static String quote(Object word) {
        String s = String.valueOf(word);
        return !s.isEmpty() && s.matches("[A-Za-z0-9_./:=,+@%-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }
}
