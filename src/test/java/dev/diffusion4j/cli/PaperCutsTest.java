package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.train.Invocation;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Paper cuts of issue 17 that no other test pins down: whole command summaries in {@code diffuse --help}, the next
 * command printed as the user invoked the program, a progress bar from {@code eval} at its default metric, and README
 * sample examples that do not overwrite each other's files.
 */
class PaperCutsTest {
    @TempDir Path tmp;

    @AfterEach void clear() { System.clearProperty(Invocation.PROPERTY); }

    @Test void helpListsEveryCommandWithItsWholeFirstSentence() {
        CliRun help = CliRun.of("--help").succeeded();
        String flat = help.out().replaceAll("\\s+", "");   // the list wraps long summaries (also after commas)
        for (CommandLine sub : Main.commandLine().getSubcommands().values()) {
            String name = sub.getCommandName();
            String summary = CommandSummaries.summary(sub.getCommandSpec());
            assertTrue(summary.endsWith("."), name + ": the summary ends mid-sentence: " + summary);
            assertTrue(flat.contains(name + summary.replaceAll("\\s+", "")), name + " is listed with '" + summary + "':\n" + help.out());
        }
        // train's first description line runs on into its second sentence, which the list used to cut off mid-way
        assertEquals("Train a diffusion U-Net or DiT on images.", CommandSummaries.summary(Main.commandLine().getSubcommands().get("train").getCommandSpec()));
        assertFalse(help.out().contains("class-conditionally on the"), help.out());
        String edit = CliRun.of("edit", "--help").out().replaceAll("\\s+", "");
        assertTrue(edit.contains("img2img" + CommandSummaries.summary(Main.commandLine().getSubcommands().get("edit").getSubcommands().get("img2img").getCommandSpec()).replaceAll("\\s+", "")),
                "a command's own commands are listed the same way:\n" + edit);
        assertTrue(help.out().lines().allMatch(l -> l.length() <= Math.max(80, CommandLine.Model.UsageMessageSpec.DEFAULT_USAGE_WIDTH)),
                "lines fit the terminal:\n" + help.out());
    }

    @Test void summariesStopAtTheFirstFullStopButNotAtAnAbbreviation() {
        CommandLine.Model.CommandSpec spec = CommandLine.Model.CommandSpec.create();
        spec.usageMessage().description("Draw images, e.g. a grid of the", "classes. Then more.");
        assertEquals("Draw images, e.g. a grid of the classes.", CommandSummaries.summary(spec));
        spec.usageMessage().description("No full stop at all");
        assertEquals("No full stop at all", CommandSummaries.summary(spec));
    }

    @Test void trainPrintsTheNextCommandsAsTheUserInvokedTheProgram() {
        System.setProperty(Invocation.PROPERTY, "bin/diffuse");
        Path run = tmp.resolve("run");
        CliRun r = CliRun.of(CliRun.train(run, "--steps", "1")).succeeded();
        assertTrue(r.out().contains("next: bin/diffuse sample --run " + run + "   |   bin/diffuse eval --run " + run), r.describe());
    }

    @Test void evalShowsProgressAtItsDefaultMetric() throws Exception {
        Path run = tmp.resolve("run");
        CliRun.of(CliRun.train(run, "--steps", "1")).succeeded();
        PrintStream old = System.out;
        ByteArrayOutputStream bar = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bar, true, StandardCharsets.UTF_8));
        CliRun r;
        try {
            r = CliRun.of("eval", "--run", run.toString(), "--count", "8", "--batch-size", "4", "--device", "cpu");   // default --metrics: nll
        } finally {
            System.setOut(old);
        }
        r.succeeded();
        String progress = bar.toString(StandardCharsets.UTF_8);
        assertTrue(progress.contains("eval [") && progress.contains("8/8 img"), "a progress bar with counts:\n" + progress + "\n" + r.describe());
    }

    @Test void readmeSampleExamplesWriteDistinctFiles() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("README.md"));
        Set<Path> written = new HashSet<>();
        int examples = 0;
        for (String line : lines) {
            String cmd = line.replaceFirst("#.*", "").strip();
            if (!cmd.startsWith("bin/diffuse sample ")) continue;
            examples++;
            List<String> args = new ArrayList<>(Arrays.asList(cmd.split("\\s+")));
            args.subList(0, 2).clear();
            args.removeIf(a -> a.equals("&&") || a.equals("\\"));
            SampleCommand s = new SampleCommand();
            new CommandLine(s).parseArgs(args.toArray(new String[0]));
            List<Path> outs = new ArrayList<>(List.of(s.grid != null ? s.grid : SampleCommand.defaultGrid(s.run.resolve("samples"), s.seed)));
            if (s.strip != null) outs.add(s.strip);
            for (Path p : outs) assertTrue(written.add(p.normalize()), "README line overwrites " + p + " of an earlier example: " + line);
        }
        assertTrue(examples >= 3, "the README's sample examples were found: " + examples);
        assertFalse(written.isEmpty());
    }
}
