package dev.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.cli.Main;
import dev.diffusion4j.io.RawTensor;
import dev.diffusion4j.io.SafeTensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint whose weights, EMA or optimizer state hold NaN is refused by every command that loads it (train --resume,
 * sample, eval) with one line naming the file and the tensor, and the checkpoint is left as it was.
 */
class NonFiniteCheckpointTest {
    @TempDir Path tmp;

    record Outcome(int rc, String output) {}

    static Outcome diffuse(String... args) {
        StringWriter sw = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(sw));
        cl.setErr(new PrintWriter(sw));
        return new Outcome(cl.execute(args), sw.toString());
    }

    /** Overwrites the first {@code count} values of the first F32 tensor of the file with NaN; returns its name. */
    static String poison(Path file, int count) throws IOException {
        Map<String, String> meta;
        try (var f = SafeTensors.open(file)) { meta = f.metadata(); }
        LinkedHashMap<String, RawTensor> all = new LinkedHashMap<>(SafeTensors.read(file));
        for (var e : all.entrySet()) {
            RawTensor t = e.getValue();
            if (t.type() != dev.diffusion4j.io.StoreType.F32 || t.numel() < count) continue;
            byte[] d = t.data().clone();
            ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; i++) b.putFloat(4 * i, Float.NaN);
            all.put(e.getKey(), new RawTensor(t.type(), t.shape(), d));
            SafeTensors.write(file, all, meta);
            return e.getKey();
        }
        throw new AssertionError("no F32 tensor in " + file);
    }

    @Test
    void everyLoadPathRefusesNonFiniteState() throws IOException {
        Path run = tmp.resolve("run");
        // one step is all a checkpoint needs; a constant rate lets --resume --steps 2 go on (a finished cosine is refused)
        String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(TrainerTest.trainArgs(run, 1)),
                java.util.stream.Stream.of("--lr-schedule", "constant")).toArray(String[]::new);
        Outcome trained = diffuse(args);
        assertEquals(0, trained.rc(), trained.output());
        Path ck = run.resolve("checkpoints/step-0000001");

        for (String file : new String[] {"model.safetensors", "ema.safetensors", "optimizer.safetensors"}) {
            Path f = ck.resolve(file);
            byte[] good = Files.readAllBytes(f);
            String tensor = poison(f, 3);
            byte[] poisoned = Files.readAllBytes(f);
            String cause = f + ": tensor '" + tensor + "': holds 3 NaN values";

            assertRefused(cause, "train", "--out", run.toString(), "--resume", "--steps", "2");
            if (file.equals("ema.safetensors")) {   // sampling and evaluation load the EMA weights alone
                assertRefused(cause, "sample", "--run", run.toString(), "--count", "2", "--steps", "2", "--grid", tmp.resolve("g.png").toString());
                assertFalse(Files.exists(tmp.resolve("g.png")), "no grid is written from NaN weights");
                assertRefused(cause, "eval", "--run", run.toString(), "--count", "4", "--batch-size", "4");
            }
            assertArrayEquals(poisoned, Files.readAllBytes(f), "a refused command leaves the checkpoint as it was");
            assertFalse(Files.exists(run.resolve("checkpoints/step-0000002")), "no training happened on NaN state");
            Files.write(f, good);
        }
    }

    private static void assertRefused(String cause, String... args) {
        Outcome o = diffuse(args);
        assertEquals(1, o.rc(), () -> String.join(" ", args) + ":\n" + o.output());
        assertTrue(o.output().contains(cause), () -> String.join(" ", args) + " should name " + cause + ":\n" + o.output());
        assertFalse(o.output().contains("\tat "), () -> "stack trace reached the user:\n" + o.output());
    }
}
