package dev.diffusion4j.cli;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.TextTable;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The "Commands:" list of {@code diffuse --help}: each command with the whole first sentence of its description,
 * wrapped to the terminal, where picocli would show the description's first line, which often ends mid-sentence.
 */
final class CommandSummaries implements CommandLine.IHelpSectionRenderer {
    /** A sentence ends at a full stop followed by a space, except after the abbreviations the descriptions use. */
    private static final Pattern END = Pattern.compile("(?<!\\be\\.g|\\bi\\.e|\\betc|\\bvs|\\bcf)\\.(\\s|$)");

    /** Uses this list in the help of {@code cl} and of every command below it that has commands of its own. */
    static void install(CommandLine cl) {
        cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, new CommandSummaries());
        for (CommandLine sub : cl.getSubcommands().values()) install(sub);
    }

    @Override public String render(Help help) {
        Map<String, Help> subs = help.subcommands();
        if (subs.isEmpty()) return "";
        int name = subs.keySet().stream().mapToInt(String::length).max().orElse(0) + 4;
        int width = Math.max(name + 30, help.commandSpec().usageMessage().width());
        TextTable t = TextTable.forColumns(help.colorScheme(),
                new Column(name, 2, Column.Overflow.SPAN), new Column(width - name, 1, Column.Overflow.WRAP));
        for (Map.Entry<String, Help> e : subs.entrySet()) t.addRowValues(e.getKey(), summary(e.getValue().commandSpec()));
        return t.toString();
    }

    /** The header if the command has one, else the first sentence of its description (all of it if it has no full stop). */
    static String summary(CommandSpec spec) {
        String[] header = spec.usageMessage().header();
        String text = String.join(" ", header.length > 0 ? header : spec.usageMessage().description()).replace("%n", " ").replaceAll("\\s+", " ").strip();
        Matcher m = END.matcher(text);
        return m.find() ? text.substring(0, m.start() + 1) : text;
    }
}
