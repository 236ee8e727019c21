package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.data.Pngs;
import dev.diffusion4j.data.ShapesDataset;
import dev.diffusion4j.nn.StateDicts;
import dev.diffusion4j.train.RunDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** diffuse edit img2img / inpaint / invert end to end on a tiny trained run (8x8 shapes), and every refusal before work. */
class EditCliTest {
    @TempDir static Path tmp;
    static Path run, picture, mask;

    @BeforeAll
    static void trainOnceAndDrawInputs() throws Exception {
        run = tmp.resolve("run");
        CliRun.of(CliRun.train(run, "--steps", "2")).succeeded();        // class-conditional: the shapes have 5 classes
        ShapesDataset ds = new ShapesDataset(4, 8, 3, 5);
        float[] img = new float[ds.imageLength()];
        ds.load(0, img, 0);
        picture = tmp.resolve("in/picture.png");
        Pngs.writeImage(picture, img, 0, 3, 8, 8);
        float[] m = new float[64];                                       // white (regenerate) in the right half
        for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) m[y * 8 + x] = x >= 4 ? 1f : -1f;
        mask = tmp.resolve("in/mask.png");
        Pngs.writeImage(mask, m, 0, 1, 8, 8);
    }

    static String[] edit(String sub, Path out, String... extra) {
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("edit", sub, "--run", run.toString(), "--out", out.toString(),
                "--device", "cpu", "--steps", "4"));
        a.addAll(java.util.List.of(extra));
        return a.toArray(new String[0]);
    }

    static Pngs.Image png(Path p) { return Pngs.read(p, 0); }

    @Test
    void img2imgAtStrengthZeroReturnsTheInputAndWritesTheSideBySide() {
        Path out = tmp.resolve("img2img0");
        CliRun r = CliRun.of(edit("img2img", out, "--strength", "0", picture.toString())).succeeded();
        assertTrue(r.out().contains("the last 0 of 4"), r.describe());
        assertArrayEquals(png(picture).data(), png(out.resolve("picture-img2img.png")).data());
        Pngs.Image side = png(out.resolve("img2img-side-by-side.png"));
        assertEquals(2 + 2 * (64 + 2), side.w(), "two cells of 8 pixels enlarged to 64, with padding");
        assertEquals(2 + 64 + 2, side.h());
    }

    @Test
    void img2imgWithAClassAndGuidanceChangesThePicture() {
        Path out = tmp.resolve("img2img");
        CliRun r = CliRun.of(edit("img2img", out, "--strength", "0.75", "--class", "2", "--guidance", "2", "--sampler", "ddpm", picture.toString())).succeeded();
        assertTrue(r.out().contains("the last 3 of 4 ddpm steps, class 2, guidance 2.0"), r.describe());
        assertFalse(java.util.Arrays.equals(png(picture).data(), png(out.resolve("picture-img2img.png")).data()));
    }

    @Test
    void inpaintingKeepsTheUnmaskedHalfExactlyWithBothMethods() {
        for (String method : new String[] {"replace", "repaint"}) {
            Path out = tmp.resolve("inpaint-" + method);
            CliRun r = CliRun.of(edit("inpaint", out, "--mask", mask.toString(), "--method", method, "--jump-length", "2", "--resamplings", "3",
                    picture.toString())).succeeded();
            assertTrue(r.out().contains("regenerating 50% of the pixels"), r.describe());
            if (method.equals("repaint")) assertTrue(r.out().contains("jump 2, 3 resamplings: 8 model calls"), r.describe());   // 4 + 1 * 2 * 2
            float[] in = png(picture).data(), got = png(out.resolve("picture-inpaint.png")).data();
            boolean changed = false;
            for (int ch = 0; ch < 3; ch++)
                for (int y = 0; y < 8; y++)
                    for (int x = 0; x < 8; x++) {
                        int i = (ch * 8 + y) * 8 + x;
                        if (x < 4) assertEquals(in[i], got[i], 0, method + ": kept pixel " + i);
                        else changed |= in[i] != got[i];
                    }
            assertTrue(changed, method + " regenerated the right half");
            assertEquals(2 + 3 * (64 + 2), png(out.resolve("inpaint-side-by-side.png")).w(), "input | mask | result");
        }
    }

    @Test
    void inversionWritesTheLatentAndReconstructs() throws Exception {
        Path out = tmp.resolve("invert");
        CliRun r = CliRun.of(edit("invert", out, "--inversion-iterations", "2", picture.toString())).succeeded();
        Matcher m = Pattern.compile("RMS error ([0-9.]+) of 255").matcher(r.out());
        assertTrue(m.find(), r.describe());
        Map<String, dev.diffusion4j.engine.Tensor> lat = StateDicts.load(out.resolve("picture-latent.safetensors"));
        assertArrayEquals(new int[] {3, 8, 8}, lat.get("latent").shape());
        assertTrue(Files.exists(out.resolve("picture-reconstruction.png")));
        assertTrue(Files.exists(out.resolve("invert-side-by-side.png")));
    }

    @Test
    void etaWithASamplerOtherThanDdimIsRefusedNotIgnored() {
        Path out = tmp.resolve("never-eta");
        String p = picture.toString();
        CliRun.of(edit("img2img", out, "--sampler", "euler", "--eta", "0.5", p)).refused(2, "--eta applies to the ddim sampler only", "euler");
        CliRun.of(edit("inpaint", out, "--mask", mask.toString(), "--method", "repaint", "--jump-length", "2", "--eta", "1", p)).refused(2, "--eta applies to the ddim sampler only", "ddpm");
        CliRun.of("sample", "--run", run.toString(), "--device", "cpu", "--sampler", "dpm++2m", "--eta", "0.3", "--grid", out.resolve("g.png").toString())
                .refused(2, "--eta applies to the ddim sampler only", "dpm++2m");
        assertFalse(java.nio.file.Files.exists(out), "nothing written");
        CliRun.of("sample", "--run", run.toString(), "--device", "cpu", "--eta", "0.5", "--steps", "2", "--count", "1",
                "--grid", tmp.resolve("eta-ddim/g.png").toString()).succeeded();   // the run's sampler is ddim
    }

    @Test
    void badOptionsAreUsageErrors() {
        Path out = tmp.resolve("never");
        String p = picture.toString();
        CliRun.of(edit("img2img", out, "--strength", "1.5", p)).refused(2, "--strength must be in [0, 1], got 1.5");
        CliRun.of(edit("img2img", out, "--strength", "-0.1", p)).refused(2, "--strength must be in [0, 1], got -0.1");
        CliRun.of(edit("img2img", out, "--guidance", "3", p)).refused(2, "--guidance needs --class K");
        CliRun.of(edit("img2img", out, "--sampler", "magic", p)).refused(2, "--sampler must be one of");
        CliRun.of(edit("img2img", out)).refused(2, "IMAGE");
        CliRun.of(edit("img2img", out, p, tmp.resolve("other/picture.png").toString())).refused(2, "two input images share the name 'picture'");
        CliRun.of(edit("inpaint", out, p)).refused(2, "--mask");
        CliRun.of(edit("inpaint", out, "--mask", mask.toString(), "--method", "magic", p)).refused(2, "--method must be one of replace, repaint");
        CliRun.of(edit("inpaint", out, "--mask", mask.toString(), "--method", "repaint", "--sampler", "ddim", p)).refused(2, "repaint samples with ddpm");
        CliRun.of(edit("inpaint", out, "--mask", mask.toString(), "--method", "repaint", "--jump-length", "4", p))
                .refused(2, "--jump-length 4 leaves no room to jump back within 4 steps");
        CliRun.of(edit("inpaint", out, "--mask", mask.toString(), "--mask-threshold", "1", p)).refused(2, "--mask-threshold must be in (0, 1)");
        CliRun.of(edit("invert", out, "--inversion-iterations", "-1", p)).refused(2, "--inversion-iterations must be between 0 and 100");
        CliRun.of(edit("invert", out, "--seed", "7", p)).refused(2, "--seed has no effect on invert");
        CliRun.of("edit", "invert", "--run", run.toString(), "--out", out.toString(), "--steps", "600", p)
                .refused(2, "--steps: no integer stride gives exactly 600 DDIM steps");
        CliRun.of("edit", "img2img", "--run", run.toString(), "--out", out.toString(), "--sampler", "ddim", "--steps", "600", p)
                .refused(2, "--steps: no integer stride gives exactly 600 DDIM steps");
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void badFilesAreRefusedBeforeAnyWork() throws Exception {
        Path out = tmp.resolve("never-files");
        String p = picture.toString(), m = mask.toString();
        CliRun.of(edit("img2img", out, tmp.resolve("missing.png").toString())).refused(1, "image", "missing.png does not exist");
        Path big = tmp.resolve("in/big.png");
        Pngs.writeImage(big, new float[3 * 16 * 12], 0, 3, 16, 12);
        CliRun.of(edit("img2img", out, big.toString())).refused(1, "is 12x16 pixels but the model takes 8x8", "--resize");
        Path gray = tmp.resolve("in/gray.png");
        Pngs.writeImage(gray, new float[64], 0, 1, 8, 8);
        CliRun.of(edit("img2img", out, gray.toString())).refused(1, "gray.png is grayscale but the model takes 3-channel (RGB) images");
        Path junk = tmp.resolve("in/junk.png");
        Files.writeString(junk, "not a picture");
        CliRun.of(edit("img2img", out, junk.toString())).refused(1, "junk.png could not be decoded");
        CliRun.of(edit("inpaint", out, "--mask", tmp.resolve("nomask.png").toString(), p)).refused(1, "mask", "nomask.png does not exist");
        Path bigMask = tmp.resolve("in/bigmask.png");
        Pngs.writeImage(bigMask, new float[16 * 16], 0, 1, 16, 16);
        CliRun.of(edit("inpaint", out, "--mask", bigMask.toString(), p)).refused(1, "mask " + bigMask + " is 16x16 pixels but image " + p + " is 8x8");
        Path greyMask = tmp.resolve("in/grey.png");
        float[] g = new float[64];
        for (int i = 0; i < 64; i++) g[i] = i / 32f - 1f;              // a ramp: mostly grey
        Pngs.writeImage(greyMask, g, 0, 1, 8, 8);
        CliRun.of(edit("inpaint", out, "--mask", greyMask.toString(), p)).refused(1, "is not black and white", "% of its pixels are grey",
                "cut at 50% brightness (brighter = regenerate)", "--mask-threshold 0.5");
        Path black = tmp.resolve("in/black.png");
        float[] k = new float[64];
        java.util.Arrays.fill(k, -1f);
        Pngs.writeImage(black, k, 0, 1, 8, 8);
        CliRun.of(edit("inpaint", out, "--mask", black.toString(), p)).refused(1, "marks nothing to regenerate", "--invert-mask");
        CliRun.of(edit("img2img", out, "--class", "9", p)).refused(1, "--class must be in [0, 5)");
        CliRun.of(edit("img2img", out, "--class", "cat", p)).refused(1, "--class takes a class number or 'none'");
        Path uncond = tmp.resolve("uncond");
        RunDir.create(uncond, TrainConfigs.tiny());
        CliRun.of("edit", "img2img", "--run", uncond.toString(), "--class", "1", "--device", "cpu", p).refused(1, "--class needs a class-conditional run");
        CliRun.of("edit", "img2img", "--run", uncond.toString(), "--device", "cpu", p).refused(1, "has no checkpoint yet");
        assertFalse(Files.exists(out), "nothing written");
        // the explicit ways round: --resize, --mask-threshold, --invert-mask
        CliRun.of(edit("img2img", tmp.resolve("resized"), "--resize", "--strength", "0.25", big.toString())).succeeded();
        assertEquals(8, png(tmp.resolve("resized/big-img2img.png")).w());
        CliRun.of(edit("inpaint", tmp.resolve("cut"), "--mask", greyMask.toString(), "--mask-threshold", "0.5", p)).succeeded();
        CliRun.of(edit("inpaint", tmp.resolve("inverted"), "--mask", black.toString(), "--invert-mask", p)).succeeded();
    }
}
