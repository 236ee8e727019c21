package dev.diffusion4j.train.dashboard;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Small hand-made run folders for the dashboard tests: what diffuse train leaves, without training. */
final class RunFixtures {
    private RunFixtures() {}

    /** A run folder asking for {@code steps} steps, class-conditional with 3 classes, and metrics lines every 10 steps up to {@code upTo}. */
    static Path run(Path root, long steps, long upTo) throws IOException {
        Files.createDirectories(root.resolve("samples"));
        Files.createDirectories(root.resolve("checkpoints"));
        Files.writeString(root.resolve("config.json"), """
                {"format": "diffusion4j-run/1", "data": "shapes", "class_conditional": true, "steps": %d, "device": "cpu",
                 "model": {"arch": "unet", "num_classes": 3}, "optim": {"batch_size": 8, "grad_accum": 2, "lr": 0.001}}
                """.formatted(steps));
        for (long s = 10; s <= upTo; s += 10) appendStep(root, s);
        return root;
    }

    /** One training metrics line at {@code step}, a loss falling like 1/sqrt(step). */
    static void appendStep(Path root, long step) throws IOException {
        double loss = 1 / Math.sqrt(step);
        Files.writeString(root.resolve("metrics.jsonl"), String.format(Locale.ROOT,
                "{\"step\":%d,\"loss\":%.6f,\"loss_avg\":%.6f,\"lr\":0.001,\"grad_norm\":%.4f,\"img_per_s\":160.0,\"images_seen\":%d}%n",
                step, loss * 1.1, loss, 2 * loss, step * 16), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    static void appendLine(Path root, String line) throws IOException {
        Files.writeString(root.resolve("metrics.jsonl"), line + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    /** A 3-row sample grid PNG for {@code step}. */
    static Path grid(Path root, long step) throws IOException {
        BufferedImage img = new BufferedImage(12, 12, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 12; y++) for (int x = 0; x < 12; x++) img.setRGB(x, y, (y / 4) * 0x600000 + x * 0x000f00);
        Path f = root.resolve("samples").resolve(String.format("step-%07d.png", step));
        ImageIO.write(img, "png", f.toFile());
        return f;
    }

    /** A complete checkpoint folder at {@code step} (state.json is what marks it complete). */
    static void checkpoint(Path root, long step) throws IOException {
        Path d = root.resolve("checkpoints").resolve(String.format("step-%07d", step));
        Files.createDirectories(d);
        Files.writeString(d.resolve("state.json"), "{}");
    }
}
