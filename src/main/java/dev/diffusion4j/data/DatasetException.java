package dev.diffusion4j.data;

/**
 * A problem with a dataset that the user caused and can fix (bad path, empty folder, corrupt
 * file...). The message always says what is wrong and then what to do about it, so the CLI can
 * print it alone, without a stack trace.
 */
public class DatasetException extends RuntimeException {
    private final String problem;
    private final String fix;

    /** {@code problem} says what is wrong, {@code fix} what the user should do. */
    public DatasetException(String problem, String fix) {
        this(problem, fix, null);
    }

    public DatasetException(String problem, String fix, Throwable cause) {
        super(problem + "; " + fix, cause);
        this.problem = problem;
        this.fix = fix;
    }

    public String problem() { return problem; }

    public String fix() { return fix; }
}
