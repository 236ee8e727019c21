package dev.diffusion4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The CPU engine is written against Java's Vector API, an incubator module that a plain {@code java -cp} does not load.
 * Without it the first tensor op fails deep inside a command, after the run folder is made; this check refuses the
 * command up front with the java line that works (bin/diffuse adds the flag itself).
 */
final class VectorModuleCheck {
    static final String MODULE = "jdk.incubator.vector";
    private static final Set<String> NO_ENGINE = Set.of("-h", "--help", "-V", "--version", "help");

    private VectorModuleCheck() {}

    static boolean loaded() { return ModuleLayer.boot().findModule(MODULE).isPresent(); }

    /** The one-line refusal for {@code args}, or null when the module is loaded or the command only prints help. */
    static String problem(List<String> args, boolean loaded) {
        if (loaded || args.isEmpty() || args.stream().anyMatch(NO_ENGINE::contains)) return null;
        StringBuilder cmd = new StringBuilder("java --add-modules " + MODULE + " --enable-native-access=ALL-UNNAMED -cp " + quote(jar())
                + " " + Main.class.getName());
        for (String a : args) cmd.append(' ').append(quote(a));
        return "Java's Vector API module is not loaded (the CPU engine needs it); run with --add-modules " + MODULE + ": " + cmd;
    }

    /** Where this program's classes were loaded from (the jar a plain java -cp was given). */
    private static String jar() {
        try {
            return Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            return "diffusion4j-cli.jar";
        }
    }

    /** {@code s} as one shell word. */
    static String quote(String s) {
        return dev.diffusion4j.train.Invocation.quote(s);
    }
}
