package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.train.Invocation;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hints and help examples start with the command as the user ran it (bin/diffuse passes its path), so they run as printed. */
class InvocationTest {
    @TempDir Path tmp;

    @AfterEach
    void clear() { System.clearProperty(Invocation.PROPERTY); }

    private static String run(String... args) {
        CliRun r = CliRun.of(args);
        return r.out() + "\n" + r.err();
    }

    @Test
    void helpExamplesAndHintsUseTheLauncherPath() {
        System.setProperty(Invocation.PROPERTY, "bin/diffuse");
        for (String cmd : new String[] {"train", "sample", "eval", "fid", "train-features", "bench"}) {
            String help = run(cmd, "--help");
            assertTrue(help.contains("  bin/diffuse " + cmd), cmd + " --help examples:\n" + help);
            assertFalse(help.contains("  diffuse " + cmd), cmd + " --help still shows a bare 'diffuse':\n" + help);
        }
        assertTrue(run("train", "--batch-size", "0").contains("See 'bin/diffuse train --help'"));
        String missing = run("sample", "--run", tmp.resolve("none").toString());
        assertTrue(missing.contains("train one with: bin/diffuse train --out "), missing);
    }

    @Test
    void pathsInHintsAreOneShellWord() {
        assertEquals("runs/a-1_b.c", Invocation.quote(Path.of("runs/a-1_b.c")));
        assertEquals("'my runs/caf\u00e9'", Invocation.quote("my runs/caf\u00e9"));
        assertEquals("'it'\\''s'", Invocation.quote("it's"));
        assertEquals("''", Invocation.quote(""));
        System.setProperty(Invocation.PROPERTY, "bin/diffuse");
        Path run = tmp.resolve("my run");
        String missing = run("sample", "--run", run.toString());
        assertTrue(missing.contains("train one with: bin/diffuse train --out '" + run + "'"), missing);
    }

    @Test
    void withoutTheLauncherTheProgramIsCalledDiffuse() {
        assertEquals("diffuse", Invocation.command());
        assertTrue(run("train", "--help").contains("  diffuse train --out runs/shapes --resume"));
    }
}
