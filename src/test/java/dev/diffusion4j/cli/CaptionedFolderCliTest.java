package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.autoencoder.ConvTestAutoencoder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text-to-image on captioned image folders as scripts/emoji_folder.py writes them (PNGs + metadata.jsonl) and with
 * .txt captions: train, sample with a prompt, the latent path, and the refusal of an uncaptioned folder.
 */
class CaptionedFolderCliTest {
    static final String[] COLOURS = {"red", "green", "blue", "yellow"};
    static final int[] RGB = {0xD02020, 0x20B020, 0x2040D0, 0xE0D020};
    static final String[] SHAPES = {"square", "stripe"};

    @TempDir static Path dir;
    static Path jsonl, sidecars, plain;

    @BeforeAll static void writeFolders() throws IOException {
        ConvTestAutoencoder.register();
        jsonl = dir.resolve("jsonl");
        sidecars = dir.resolve("sidecars");
        plain = dir.resolve("plain");
        StringBuilder meta = new StringBuilder();
        for (int c = 0; c < COLOURS.length; c++) {
            for (int s = 0; s < SHAPES.length; s++) {
                String name = String.format("%02d.png", c * SHAPES.length + s), caption = "a " + COLOURS[c] + " " + SHAPES[s];
                for (Path folder : List.of(jsonl, sidecars, plain)) image(folder.resolve(name), RGB[c], s == 1);
                meta.append("{\"file_name\": \"").append(name).append("\", \"text\": \"").append(caption).append("\"}\n");
                Files.writeString(sidecars.resolve(name.replace(".png", ".txt")), caption + "\n", StandardCharsets.UTF_8);
            }
        }
        Files.writeString(jsonl.resolve("metadata.jsonl"), meta, StandardCharsets.UTF_8);
    }

    /** A 10x10 image on a light background: a coloured square, or a coloured horizontal stripe. */
    static void image(Path file, int rgb, boolean stripe) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(10, 10, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 10; y++) for (int x = 0; x < 10; x++) {
            boolean in = stripe ? y >= 4 && y < 6 : x >= 2 && x < 8 && y >= 2 && y < 8;
            img.setRGB(x, y, in ? rgb : 0xF0F0F0);
        }
        ImageIO.write(img, "png", file.toFile());
    }

    /** CliRun.train's tiny run on {@code data} instead of the shapes. */
    static String[] train(Path out, Path data, String... extra) {
        List<String> a = new ArrayList<>(List.of(CliRun.train(out, "--steps", "2", "--lr-schedule", "constant")));
        a.set(a.indexOf("--data") + 1, data.toString());
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    @Test void trainsOnMetadataJsonlAndSamplesAPrompt() throws Exception {
        Path run = dir.resolve("run-jsonl");
        CliRun r = CliRun.of(train(run, jsonl, "--text-encoder", "text-tiny")).succeeded();
        assertTrue(r.out().contains("captioned by metadata.jsonl"), r.describe());
        assertEquals(64, ((UNetConfig) RunDir.open(run).config().model()).contextDim());
        List<String> prompts = Files.readAllLines(run.resolve("samples/step-0000002.txt"));
        assertTrue(prompts.size() >= 2 && prompts.stream().skip(1).allMatch(p -> p.matches(".*a (red|green|blue|yellow) (square|stripe).*")),
                "the grid's prompts are the folder's captions: " + prompts);
        Path grid = dir.resolve("prompted.png");
        CliRun.of("sample", "--run", run.toString(), "--prompt", "a blue stripe", "--prompt", "a red square", "--count", "4", "--steps", "2",
                "--grid", grid.toString(), "--device", "cpu").succeeded();
        assertTrue(Files.size(grid) > 0);
    }

    @Test void trainsOnTxtCaptionsAndAResumeRefusesDataThatLostThem() throws IOException {
        Path data = dir.resolve("sidecars-copy"), run = dir.resolve("run-txt");
        Files.createDirectories(data);
        try (var files = Files.list(sidecars)) {
            for (Path f : files.toList()) Files.copy(f, data.resolve(f.getFileName()));
        }
        CliRun r = CliRun.of(train(run, data, "--text-encoder", "text-tiny")).succeeded();
        assertTrue(r.out().contains("captioned by .txt files"), r.describe());
        try (var files = Files.list(data)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".txt")).toList()) Files.delete(f);
        }
        CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "3").refused(1, "this text-to-image run trains on captions, but the data has none");
    }

    @Test void anUncaptionedFolderIsRefusedBeforeAnyWork() {
        Path out = dir.resolve("run-plain");
        CliRun.of(train(out, plain, "--text-encoder", "text-tiny")).refused(1, "--text-encoder trains on captions, but the data has none", "metadata.jsonl", ".txt");
        assertFalse(Files.exists(out), "nothing written");
        CliRun.of(train(dir.resolve("run-plain-ok"), plain)).succeeded();   // without --text-encoder it trains unconditionally as before
    }

    @Test void latentRunsCarryTheCaptions() throws Exception {
        Path ae = dir.resolve("ae");
        CliRun.of(TrainAutoencoderCliTest.train(ae, "--steps", "2")).succeeded();
        CliRun refused = CliRun.of(train(dir.resolve("latent-plain"), plain, "--autoencoder", ae.toString(), "--timesteps", "50", "--text-encoder", "text-tiny"));
        refused.refused(1, "has none");
        assertFalse(refused.out().contains("encoding "), "refused before encoding: " + refused.describe());

        Path run = dir.resolve("latent");
        CliRun r = CliRun.of(train(run, jsonl, "--autoencoder", ae.toString(), "--timesteps", "50", "--text-encoder", "text-tiny")).succeeded();
        assertTrue(r.out().contains("encoding "), r.describe());
        List<String> prompts = Files.readAllLines(run.resolve("samples/step-0000002.txt"));
        assertTrue(prompts.stream().skip(1).allMatch(p -> p.matches(".*a (red|green|blue|yellow) (square|stripe).*")), prompts.toString());
        Path images = dir.resolve("latent-images");
        CliRun.of("sample", "--run", run.toString(), "--prompt", "a green square", "--count", "2", "--steps", "2", "--images", images.toString(),
                "--device", "cpu").succeeded();
        assertEquals(8, ImageIO.read(images.resolve("00000.png").toFile()).getWidth(), "decoded to pixels");
    }
}
