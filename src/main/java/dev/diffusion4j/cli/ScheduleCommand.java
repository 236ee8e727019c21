package dev.diffusion4j.cli;

import dev.diffusion4j.diffusion.NoiseSchedule;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diffuse schedule}: prints a noise schedule as CSV, one row per step t = 1..T (the paper's 1-based t; the
 * library's timestep index is t - 1).
 */
@Command(name = "schedule",
        description = {"Print a noise schedule as CSV: t,beta,alpha_bar,posterior_variance,posterior_log_variance_clipped,snr.",
                "t runs 1..T as in the papers (the library's timestep index is t-1); values are f64."})
public final class ScheduleCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--kind", paramLabel = "KIND", defaultValue = "linear",
            description = "Schedule shape: linear (1e-4..0.02 scaled by 1000/T), cosine (s=0.008, betas clipped at 0.999), "
                    + "sigmoid, scaled-linear (sqrt-linear, 0.00085..0.012 scaled by 1000/T). Default: ${DEFAULT-VALUE}.")
    String kind;

    @Option(names = "--steps", paramLabel = "T", defaultValue = "1000",
            description = "Number of diffusion steps T (any T >= 1). Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--zero-terminal-snr", defaultValue = "false",
            description = "Rescale so the last step has SNR 0 (Lin et al. 2023; needs T >= 2). Default: ${DEFAULT-VALUE}.")
    boolean zeroTerminalSnr;

    private PrintWriter out;

    /** Prints to {@code out} instead of the command line's output stream (for embedding and tests). */
    public ScheduleCommand withOut(PrintWriter out) { this.out = out; return this; }

    @Override public Integer call() {
        NoiseSchedule.Kind k;
        try {
            k = NoiseSchedule.Kind.parse(kind);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--kind: " + e.getMessage());
        }
        if (steps < 1) throw new ParameterException(spec.commandLine(), "--steps must be at least 1, got " + steps);
        if (zeroTerminalSnr && steps < 2) throw new ParameterException(spec.commandLine(), "--zero-terminal-snr needs --steps >= 2");
        NoiseSchedule s = NoiseSchedule.of(k, steps);
        if (zeroTerminalSnr) s = s.rescaledToZeroTerminalSnr();
        PrintWriter w = out != null ? out : spec.commandLine().getOut();
        w.println("t,beta,alpha_bar,posterior_variance,posterior_log_variance_clipped,snr");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.steps(); i++) {
            sb.setLength(0);
            sb.append(i + 1).append(',').append(s.beta(i)).append(',').append(s.alphaBar(i)).append(',')
              .append(s.posteriorVariance(i)).append(',').append(s.posteriorLogVarianceClipped(i)).append(',').append(s.snr(i));
            w.println(sb);
        }
        w.flush();
        return 0;
    }
}
