package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectorModuleCheckTest {
    @TempDir Path tmp;

    @Test
    void withoutTheModuleACommandIsRefusedWithTheJavaLineThatWorks() {
        String m = VectorModuleCheck.problem(List.of("train", "--out", "my runs/x"), false);
        assertTrue(m.contains("--add-modules jdk.incubator.vector"), m);
        assertTrue(m.endsWith(" dev.diffusion4j.cli.Main train --out 'my runs/x'"), m);
        assertNull(VectorModuleCheck.problem(List.of("train", "--out", "x"), true), "nothing to say when it is loaded");
        assertNull(VectorModuleCheck.problem(List.of("train", "--help"), false), "help needs no engine");
        assertNull(VectorModuleCheck.problem(List.of("--version"), false));
        assertNull(VectorModuleCheck.problem(List.of(), false));
        assertEquals("'it'\\''s'", VectorModuleCheck.quote("it's"));
        assertEquals("''", VectorModuleCheck.quote(""));
        assertTrue(VectorModuleCheck.loaded(), "the tests run with the module");
    }

    /** A plain java -cp without --add-modules, as a user would type it: one line, exit 1, no run folder. */
    @Test
    void plainJavaWithoutTheModuleEndsInOneLineBeforeAnyFileIsWritten() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path out = tmp.resolve("run");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "train", "--out", out.toString(), "--steps", "1", "--device", "cpu").redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "finished");
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(1, p.exitValue(), text);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("diffuse: Java's Vector API module is not loaded") && text.contains("--add-modules jdk.incubator.vector"), text);
        assertFalse(Files.exists(out), "nothing written");
    }
}
