package dev.diffusion4j.io;

/**
 * A config or state file that cannot be used: too large, not JSON, an unknown, duplicate or missing key, a
 * value of the wrong type or out of range. The message starts with the file (or what was read) and the key.
 */
public class ConfigException extends JsonException {
    private final String source;

    public ConfigException(String source, String message) {
        super(source + (message.startsWith(" ") ? "" : ": ") + message);
        this.source = source;
    }

    /** The file (or other origin) the config came from. */
    public String source() {
        return source;
    }
}
