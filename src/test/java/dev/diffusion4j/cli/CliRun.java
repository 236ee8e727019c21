package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Runs {@code diffuse} in-process with captured output, and checks what a refused command must look like. */
record CliRun(int status, String out, String err) {
    static CliRun of(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new CliRun(rc, out.toString(), err.toString());
    }

    /** A tiny CPU training run (8x8 shapes, batch 8, the tiny U-Net), with extra options appended. */
    static String[] train(Path out, String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of("train", "--out", out.toString(), "--data", "shapes:64", "--image-size", "8",
                "--batch-size", "8", "--log-every", "1", "--checkpoint-every", "2", "--sample-every", "1000", "--grid-size", "2",
                "--sample-steps", "2", "--warmup", "1", "--device", "cpu"));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    String describe() { return "status " + status + "\nstdout:\n" + out + "\nstderr:\n" + err; }

    /** Exit status {@code rc}, a short message on stderr holding every {@code fragment}, and no stack trace anywhere. */
    CliRun refused(int rc, String... fragments) {
        assertEquals(rc, status, describe());
        for (String f : fragments) assertTrue(err.contains(f), "stderr lacks '" + f + "':\n" + describe());
        noStackTrace();
        assertTrue(err.strip().lines().count() <= 3, "more than a short message:\n" + describe());
        return this;
    }

    CliRun succeeded() {
        assertEquals(0, status, describe());
        noStackTrace();
        return this;
    }

    void noStackTrace() {
        for (String s : List.of(out, err)) {
            assertFalse(s.contains("\tat ") || s.contains("Exception in thread") || s.contains("Caused by:"), "stack trace:\n" + describe());
        }
    }

    /** SHA-256 of every file under {@code root}, by relative path: to show a refused command changed nothing. */
    static Map<String, String> snapshot(Path root) {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList())
                m.put(root.relativize(p).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return m;
    }

    static void copyTree(Path from, Path to) {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else Files.copy(p, q);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
