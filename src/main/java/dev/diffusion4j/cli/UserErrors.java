package dev.diffusion4j.cli;

import picocli.CommandLine;

/**
 * Turns exceptions a user can cause (bad paths, bad shapes, bad options) into one clear line on stderr and exit
 * code 1; anything else is a bug and keeps its stack trace. DIFFUSE_DEBUG=1 always prints the trace.
 */
final class UserErrors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        boolean debug = "1".equals(System.getenv("DIFFUSE_DEBUG"));
        if (isUserError(e) && !debug) {
            cl.getErr().println("diffuse " + cl.getCommandName() + ": " + message(e));
            return 1;
        }
        e.printStackTrace(cl.getErr());
        return 70;
    }

    static boolean isUserError(Throwable e) {
        return e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof UnsupportedOperationException
                || e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException || e.getClass().getSimpleName().endsWith("Exception")
                && e.getClass().getPackageName().startsWith("dev.diffusion4j");
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) return "file not found: " + m;
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
