package dev.diffusion4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code diffuse} command: train, sample and evaluate diffusion models. */
@Command(name = "diffuse", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train, sample and evaluate denoising diffusion models.",
        subcommands = {TrainCommand.class, TrainAutoencoderCommand.class, TrainClassifierCommand.class, TrainFeaturesCommand.class, SampleCommand.class, UpscaleCommand.class, EditCommand.class, EvalCommand.class, ReconstructCommand.class, FidCommand.class, ConvertCommand.class, ExportCommand.class, TokenizerCommand.class, DashboardCommand.class, ScheduleCommand.class, InspectCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @Override public void run() { new CommandLine(this).usage(System.out); }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new UserErrors());
        cl.setParameterExceptionHandler(new UserErrors.BadUsage());
        cl.setUsageHelpAutoWidth(true);
        CommandSummaries.install(cl);
        SubcommandVersions.install(cl);
        return cl;
    }

    public static void main(String[] args) {
        System.exit(run(commandLine(), args));
    }

    /** Runs {@code cl} and returns the exit status; Errors (out of memory, a missing module) pass picocli's handlers but still end in one line. */
    static int run(CommandLine cl, String... args) {
        String noVectors = VectorModuleCheck.problem(java.util.List.of(args), VectorModuleCheck.loaded());
        if (noVectors != null) return UserErrors.report(new IllegalStateException(noVectors), cl.getCommandSpec().qualifiedName(), cl.getErr());
        try {
            return cl.execute(args);
        } catch (Throwable e) {
            return UserErrors.report(e, cl.getCommandSpec().qualifiedName(), cl.getErr());
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"diffuse (diffusion4j) " + (v == null ? "dev" : v) + ", Java " + Runtime.version()};
        }
    }
}
