package dev.diffusion4j.cli;

import picocli.CommandLine;

/**
 * Gives every subcommand the top command's version provider: picocli does not pass it down, so the -V/--version that
 * each subcommand's help lists printed nothing.
 */
final class SubcommandVersions {
    private SubcommandVersions() {}

    static void install(CommandLine top) { install(top, top.getCommandSpec().versionProvider()); }

    private static void install(CommandLine cl, CommandLine.IVersionProvider provider) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommandSpec().version().length == 0) sub.getCommandSpec().versionProvider(provider);
            install(sub, provider);
        }
    }
}
