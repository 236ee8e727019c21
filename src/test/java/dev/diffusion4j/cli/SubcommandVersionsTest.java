package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command whose help lists -V/--version prints the version with it. */
class SubcommandVersionsTest {
    @Test
    void everyCommandListingVersionPrintsIt() {
        List<List<String>> withVersion = new ArrayList<>();
        collect(Main.commandLine(), new ArrayList<>(), withVersion);
        assertTrue(withVersion.size() > 15, "the subcommands with -V: " + withVersion);
        for (List<String> path : withVersion) {
            List<String> args = new ArrayList<>(path);
            args.add("-V");
            CliRun r = CliRun.of(args.toArray(new String[0]));
            assertEquals(0, r.status(), r.describe());
            assertTrue(r.out().startsWith("diffuse (diffusion4j) "), String.join(" ", args) + " printed: " + r.describe());
        }
    }

    private static void collect(CommandLine cl, List<String> path, List<List<String>> out) {
        if (cl.getCommandSpec().options().stream().anyMatch(CommandLine.Model.OptionSpec::versionHelp)) out.add(List.copyOf(path));
        cl.getSubcommands().forEach((name, sub) -> {
            if (!sub.getCommandSpec().name().equals(name)) return;   // an alias
            List<String> p = new ArrayList<>(path);
            p.add(name);
            collect(sub, p, out);
        });
    }
}
