package dev.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.cli.Main;
import dev.diffusion4j.models.DiTConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A DiT goes through the same CLI, trainer, checkpoints, resume, sampling and evaluation as the U-Net. */
class DiTTrainingTest {
    @TempDir Path tmp;

    /** dit-tiny on 8x8 shapes: 4 tokens of 4x4 patches; T = 50 keeps the evaluation short. */
    static List<String> trainArgs(Path out, int steps) {
        return new ArrayList<>(List.of("train", "--out", out.toString(), "--data", "shapes:512", "--preset", "dit-tiny", "--image-size", "8",
                "--batch-size", "8", "--steps", Integer.toString(steps), "--checkpoint-every", "10", "--log-every", "1", "--sample-every", "1000",
                "--grid-size", "5", "--sample-steps", "2", "--warmup", "5", "--lr-schedule", "constant", "--timesteps", "50", "--device", "cpu"));
    }

    /** As {@link #trainArgs} with the paper's recipe spelled out (dit-tiny's own defaults are the U-Net's). */
    static List<String> paperArgs(Path out, int steps) {
        List<String> a = trainArgs(out, steps);
        a.addAll(List.of("--lr", "1e-4", "--variance", "learned-range", "--loss", "hybrid", "--weighting", "none"));
        return a;
    }

    static String run(List<String> args) {
        StringWriter sw = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(sw));
        cl.setErr(new PrintWriter(sw));
        int rc = cl.execute(args.toArray(new String[0]));
        assertEquals(0, rc, "diffuse " + String.join(" ", args) + " failed:\n" + sw);
        return sw.toString();
    }

    @Test
    void trainsWithThePapersRecipeResumesExactlyAndSamplesAndEvaluates() throws Exception {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        run(paperArgs(a, 20));
        TrainConfig cfg = RunDir.open(a).config();
        DiTConfig m = assertInstanceOf(DiTConfig.class, cfg.model());
        // the paper's recipe: AdamW 1e-4 without weight decay, learned sigma with L_hybrid
        assertEquals(1e-4, cfg.optim().lr());
        assertEquals(0.0, cfg.optim().weightDecay());
        assertEquals("learned-range", cfg.diffusion().variance());
        assertEquals("hybrid", cfg.diffusion().loss());
        assertTrue(m.learnSigma());
        assertEquals(5, m.numClasses(), "the shapes' classes replace the preset's");
        assertEquals(8, m.resolution());
        assertTrue(Files.readString(a.resolve("config.json")).contains("\"arch\": \"dit\""));

        // 10 steps, then resumed to 20: the same losses and weights as the uninterrupted run
        run(paperArgs(b, 10));
        run(List.of("train", "--out", b.toString(), "--resume", "--steps", "20"));
        assertEquals(TrainerTest.losses(a), TrainerTest.losses(b));
        assertArrayEquals(Files.readAllBytes(a.resolve("checkpoints/step-0000020/model.safetensors")),
                Files.readAllBytes(b.resolve("checkpoints/step-0000020/model.safetensors")));
        assertArrayEquals(Files.readAllBytes(a.resolve("checkpoints/step-0000020/ema.safetensors")),
                Files.readAllBytes(b.resolve("checkpoints/step-0000020/ema.safetensors")));
        assertTrue(Files.size(a.resolve("samples/step-0000020.png")) > 100);

        run(List.of("sample", "--run", a.toString(), "--count", "5", "--steps", "3", "--grid", tmp.resolve("g.png").toString(), "--device", "cpu"));
        assertEquals(5 * 66 + 2, dev.diffusion4j.data.Pngs.read(tmp.resolve("g.png"), 3).h(), "one row per class");
        String eval = run(List.of("eval", "--run", a.toString(), "--count", "4", "--device", "cpu"));
        assertTrue(eval.contains("bits/dim"), eval);
    }

    @Test
    void lossFallsUnderAPlainVParameterisation() {
        Path r = tmp.resolve("v");
        List<String> args = trainArgs(r, 60);
        args.addAll(List.of("--parameterization", "v", "--variance", "fixed-small", "--loss", "simple", "--weighting", "none", "--lr", "2e-3"));
        args.set(args.indexOf("--image-size") + 1, "16");   // 16 tokens: at 8x8 the 4x4 patches leave only 4
        run(args);
        assertEquals(false, RunDir.open(r).config().model().learnSigma());
        List<Double> l = TrainerTest.losses(r);
        double first = l.subList(0, 10).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = l.subList(50, 60).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last < 0.7 * first, "loss did not fall: first 10 steps " + first + ", last 10 " + last);
    }

    @Test
    void dropoutIsRejectedForADiT() {
        StringWriter sw = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(sw));
        cl.setErr(new PrintWriter(sw));
        List<String> args = trainArgs(tmp.resolve("d"), 2);
        args.addAll(List.of("--dropout", "0.1"));
        assertTrue(cl.execute(args.toArray(new String[0])) != 0);
        assertTrue(sw.toString().contains("DiT 'dit-tiny' has no dropout"), sw.toString());
        assertTrue(!Files.exists(tmp.resolve("d")), "nothing written");
    }
}
