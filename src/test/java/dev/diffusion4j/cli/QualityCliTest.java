package dev.diffusion4j.cli;

import dev.diffusion4j.train.dashboard.StaticReport;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.data.Pngs;
import dev.diffusion4j.data.ShapesDataset;
import dev.diffusion4j.train.MetricsLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** diffuse fid, train-features, eval --metrics and train --eval-every end to end on tiny generated data. */
class QualityCliTest {
    @TempDir static Path tmp;

    @BeforeAll static void cacheInTmp() { System.setProperty("diffusion4j.cache", tmp.resolve("cache").toString()); }

    @AfterAll static void restore() { System.clearProperty("diffusion4j.cache"); }

    record Run(int rc, String out) {}

    static Run diffuse(String... args) {
        CliRun r = CliRun.of(args);
        return new Run(r.status(), r.out() + r.err());
    }

    static String ok(String... args) {
        Run r = diffuse(args);
        assertEquals(0, r.rc(), "diffuse " + String.join(" ", args) + " failed:\n" + r.out());
        return r.out();
    }

    static double number(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        assertTrue(m.find(), "no match for " + regex + " in:\n" + out);
        return Double.parseDouble(m.group(1));
    }

    /** Shapes images as PNGs, brightened by {@code shift} (clamped), in a fresh folder. */
    static Path pngs(String name, int count, long seed, float shift) {
        Path dir = tmp.resolve(name);
        ShapesDataset ds = new ShapesDataset(count, 8, 3, seed);
        float[] img = new float[ds.imageLength()];
        for (int i = 0; i < count; i++) {
            ds.load(i, img, 0);
            for (int p = 0; p < img.length; p++) img[p] = Math.min(1f, img[p] + shift);
            Pngs.writeImage(dir.resolve(String.format("%04d.png", i)), img, 0, 3, 8, 8);
        }
        return dir;
    }

    @Test void fidOfTheSameDistributionIsSmallAndOfAShiftedOneLarge() {
        Path same = pngs("same", 300, 2, 0f), shifted = pngs("shifted", 300, 2, 0.6f);
        String near = ok("fid", "shapes:300:1", same.toString(), "--image-size", "8", "--metrics", "fd,kid,pr", "--features", "pixels", "--device", "cpu");
        String far = ok("fid", "shapes:300:1", shifted.toString(), "--image-size", "8", "--features", "pixels", "--device", "cpu");
        double fdNear = number(near, "FD ([0-9.]+) \\(pixels-8x8"), fdFar = number(far, "FD ([0-9.]+) \\(pixels-8x8");
        assertTrue(fdNear * 5 < fdFar, "FD same " + fdNear + " vs shifted " + fdFar);
        assertTrue(near.contains("KD ") && near.contains("precision "), near);
        assertTrue(near.contains("300 images vs 300 reference images"), near);
    }

    @Test void trainedFeatureNetworkServesFidAndTrainingEvaluation() throws Exception {
        Path feats = tmp.resolve("features");
        String t = ok("train-features", "--data", "shapes:400", "--image-size", "8", "--out", feats.toString(), "--steps", "60",
                "--batch-size", "32", "--width", "8", "--feature-dim", "16", "--device", "cpu");
        double acc = number(t, "held-out accuracy ([0-9.]+) on 40 images");
        assertTrue(acc > 0.35, "5 classes, chance is 0.2: " + t);   // 60 steps are enough to beat chance clearly
        List<Map<String, Object>> log = MetricsLog.read(feats.resolve("metrics.jsonl"));
        assertTrue(((Number) log.get(log.size() - 2).get("loss_avg")).doubleValue() < ((Number) log.get(0).get("loss_avg")).doubleValue(), log.toString());

        String fid = ok("fid", "shapes:100:1", "shapes:100:2", "--features", feats.toString(), "--device", "cpu");
        assertTrue(fid.contains("(classifier:" + feats), fid);

        Path run = tmp.resolve("run");
        ok("train", "--out", run.toString(), "--data", "shapes:256", "--preset", "tiny", "--image-size", "8", "--batch-size", "8",
                "--steps", "4", "--checkpoint-every", "10", "--log-every", "1", "--sample-every", "1000", "--grid-size", "4",
                "--sample-steps", "2", "--warmup", "1", "--device", "cpu",
                "--eval-every", "2", "--eval-count", "20", "--eval-features", feats.toString(), "--eval-metrics", "fd,kid,pr");
        List<Map<String, Object>> rows = MetricsLog.read(run.resolve("metrics.jsonl")).stream().filter(r -> r.containsKey("fd")).toList();
        assertEquals(List.of(2L, 4L), rows.stream().map(r -> ((Number) r.get("step")).longValue()).toList());
        assertTrue(rows.get(0).get("eval_features").toString().startsWith("classifier:"), rows.toString());
        assertTrue(rows.get(1).containsKey("precision") && rows.get(1).containsKey("kid"), rows.toString());
        List<?> shown = dev.diffusion4j.io.Json.getList(dev.diffusion4j.io.Json.getObject(
                StaticReport.embeddedData(Files.readString(run.resolve("report.html"))), "run"), "rows");
        assertEquals(2, shown.stream().filter(r -> ((Map<?, ?>) r).containsKey("fd")).count(), "report.html carries the FD points");

        String eval = ok("eval", "--run", run.toString(), "--metrics", "fid,kid", "--count", "20", "--features", "pixels:4", "--device", "cpu");
        assertTrue(eval.contains("FD ") && eval.contains("(pixels-4x4; 20 images vs 20 reference images)"), eval);
        assertFalse(eval.contains("NLL bound"), eval);
        assertTrue(eval.contains("note: the data shapes:256 has no test split; scoring its training images"), eval);
        CliRun.of("eval", "--run", run.toString(), "--split", "test", "--metrics", "fid", "--features", "pixels:4", "--device", "cpu")
              .refused(2, "--split test: the data shapes:256 has no test split");
        String encoder = ok("fid", "shapes:64:1", "shapes:64:2", "--image-size", "8", "--features", run.toString(), "--device", "cpu");
        assertTrue(encoder.contains("FD ") && encoder.contains("(unet-encoder:" + run + "@step4@"), encoder);
        String again = ok("eval", "--run", run.toString(), "--metrics", "fid", "--count", "20", "--features", "pixels:4", "--device", "cpu");
        assertTrue(again.contains("read from the cache"), again);
    }

    @Test void pixelFeaturesOnImageFoldersAskForImageSizeByItsOptionName() {
        String a = pngs("sizeless-a", 3, 1, 0f).toString(), b = pngs("sizeless-b", 3, 2, 0f).toString();
        Run r = diffuse("fid", a, b, "--features", "pixels", "--device", "cpu");
        assertEquals(1, r.rc(), r.out());
        assertTrue(r.out().contains(a + " is a folder of image files") && r.out().contains("give --image-size N (e.g. --image-size 32)"), r.out());
        String fd = ok("fid", a, b, "--features", "pixels", "--device", "cpu", "--image-size", "32");   // the hint, as printed
        assertTrue(fd.contains("A: image folder") && fd.contains("3x32x32") && fd.contains("FD "), fd);
    }

    @Test void badOptionsFailWithOneLineBeforeWork() throws Exception {
        Run r = diffuse("fid", "shapes:10", "shapes:10", "--metrics", "fd,sharpness");
        assertEquals(1, r.rc());
        assertTrue(r.out().contains("unknown metric 'sharpness'"), r.out());
        r = diffuse("fid", "shapes:10", "shapes:10");   // no weights in the test's cache folder: says where to get them
        assertEquals(1, r.rc());
        assertTrue(r.out().contains("Inception weights not found") && r.out().contains("pt_inception-2015-12-05-6726825d.pth")
                && r.out().contains("convert_fid_inception.py") && r.out().contains("train-features"), r.out());
        r = diffuse("fid", "shapes:10", "shapes:10", "--features", tmp.resolve("nothing").toString());
        assertEquals(1, r.rc());
        assertTrue(r.out().contains("not a run folder"), r.out());
        r = diffuse("fid", "shapes:10", "shapes:10", "--features", "inception:" + tmp.resolve("absent.safetensors"));
        assertEquals(1, r.rc());
        assertTrue(r.out().contains("Inception weights not found at " + tmp.resolve("absent.safetensors")), r.out());
        Path wrong = tmp.resolve("wrong.safetensors");
        dev.diffusion4j.nn.StateDicts.save(wrong, Map.of("fc.weight", dev.diffusion4j.engine.Tensor.zeros(2, 2)), null);
        r = diffuse("fid", "shapes:10", "shapes:10", "--features", "inception:" + wrong);
        assertEquals(1, r.rc());
        assertTrue(r.out().contains("not pytorch-fid's FID Inception weights") && r.out().contains("Conv2d_1a_3x3.conv.weight is missing"), r.out());
        Path out = tmp.resolve("never");
        r = diffuse("train", "--out", out.toString(), "--eval-every", "5", "--eval-metrics", "nll");
        assertEquals(1, r.rc());
        assertFalse(Files.exists(out), "nothing is written before the options are checked");
        r = diffuse("train-features", "--data", "shapes:100", "--out", out.toString(), "--width", "12");
        assertEquals(1, r.rc());
        assertTrue(r.out().contains("multiple of 8"), r.out());
        assertFalse(Files.exists(out));
    }
}
