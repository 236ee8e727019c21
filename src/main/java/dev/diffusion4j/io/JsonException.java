package dev.diffusion4j.io;

/**
 * Malformed JSON text, a value that cannot be written as JSON, or a config value of the wrong type.
 * Unchecked because JSON usually arrives from a string already in memory; the message alone says
 * what is wrong and where.
 */
public class JsonException extends IllegalArgumentException {
    private final long offset;
    private final int line;
    private final int column;

    /** An error at a position in JSON text; line and column are 1-based, offset is 0-based in chars. */
    public JsonException(String message, long offset, int line, int column) {
        super(message);
        this.offset = offset;
        this.line = line;
        this.column = column;
    }

    /** An error that has no position in a text (writing, typed getters). */
    public JsonException(String message) {
        this(message, -1, -1, -1);
    }

    /** 0-based char offset of the error in the parsed text, or -1 where there is no text. */
    public long offset() { return offset; }

    /** 1-based line of the error, or -1. */
    public int line() { return line; }

    /** 1-based column (in chars) of the error, or -1. */
    public int column() { return column; }
}
