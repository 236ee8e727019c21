package dev.diffusion4j.cli;

import dev.diffusion4j.train.Invocation;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Turns every exception into one line on stderr. Errors a user can cause (bad paths, bad data, bad options, a run
 * folder in use) exit with 1; anything else is a bug: one line naming it, a hint how to get the stack trace, exit 70.
 * DIFFUSE_DEBUG=1 prints the stack trace as well.
 */
final class UserErrors implements CommandLine.IExecutionExceptionHandler {
    static final int USER_ERROR = 1;
    static final int INTERNAL_ERROR = 70;
    static final String DEBUG_HINT = "rerun with DIFFUSE_DEBUG=1 for the stack trace";

    @Override
    public int handleExecutionException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        return report(e, cl.getCommandSpec().qualifiedName(), cl.getErr());
    }

    /** Prints {@code e} for the command named {@code command} and returns the exit status. */
    static int report(Throwable e, String command, PrintWriter err) {
        boolean user = isUserError(e);
        if (user) err.println(command + ": " + message(e));
        else err.println(command + ": internal error: " + describe(e) + (debug() ? "" : "; " + DEBUG_HINT));
        if (debug()) e.printStackTrace(err);
        err.flush();
        return user ? USER_ERROR : INTERNAL_ERROR;
    }

    static boolean debug() { return "1".equals(System.getenv("DIFFUSE_DEBUG")); }

    static boolean isUserError(Throwable e) {
        return e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof UnsupportedOperationException
                || e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException
                || e.getClass().getSimpleName().endsWith("Exception") && e.getClass().getPackageName().startsWith("dev.diffusion4j");
    }

    static String message(Throwable e) {
        if (e instanceof java.io.UncheckedIOException && e.getCause() instanceof java.nio.file.NoSuchFileException nf) return message(nf);
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) return "file not found: " + m;
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied: " + m;
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null && fs.getReason().contains("space"))
            return "no space left on the device writing " + fs.getFile();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : oneLine(m);
    }

    /** An unexpected failure in one line: the exception's kind, its message and where it was thrown. */
    static String describe(Throwable e) {
        if (e instanceof OutOfMemoryError) return "out of memory (" + e.getMessage() + "); give Java more with -Xmx, or use a smaller --batch-size";
        StringBuilder sb = new StringBuilder(e.getClass().getSimpleName());
        if (e.getMessage() != null && !e.getMessage().isBlank()) sb.append(": ").append(oneLine(e.getMessage()));
        StackTraceElement[] st = e.getStackTrace();
        if (st.length > 0) sb.append(" (at ").append(st[0].getClassName().replaceAll(".*\\.", "")).append('.').append(st[0].getMethodName())
                .append(':').append(st[0].getLineNumber()).append(')');
        return sb.toString();
    }

    private static String oneLine(String m) { return m.strip().replaceAll("\\s*\\R\\s*", " "); }

    /** Usage errors (unknown option, value of the wrong type or out of range): the one line and where to look, no usage dump. */
    static final class BadUsage implements CommandLine.IParameterExceptionHandler {
        static final int USAGE_ERROR = 2;

        @Override public int handleParseException(CommandLine.ParameterException e, String[] args) {
            CommandLine cl = e.getCommandLine();
            PrintWriter err = cl.getErr();
            String name = cl.getCommandSpec().qualifiedName();
            err.println(name + ": " + oneLine(e.getMessage()));
            CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
            int sub = name.indexOf(' ');   // the hint starts with the command as the user ran it (e.g. bin/diffuse)
            String asRun = Invocation.command() + (sub < 0 ? "" : name.substring(sub));
            err.println("See '" + asRun + " --help' for the options and their allowed values.");
            if (debug()) e.printStackTrace(err);
            err.flush();
            return USAGE_ERROR;
        }
    }
}
