package dev.diffusion4j.train.dashboard;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Debian's chromium (or Chrome) run headless: the DOM after the page's scripts ran, or a screenshot. */
final class HeadlessChromium {
    private final Path binary;

    private HeadlessChromium(Path binary) { this.binary = binary; }

    /** The browser on PATH (or in $CHROMIUM), if any. */
    static Optional<HeadlessChromium> find() {
        List<String> names = new ArrayList<>();
        String env = System.getenv("CHROMIUM");
        if (env != null && !env.isBlank()) names.add(env);
        names.addAll(List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"));
        for (String n : names) {
            if (n.contains("/")) { if (Files.isExecutable(Path.of(n))) return Optional.of(new HeadlessChromium(Path.of(n))); continue; }
            for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
                Path p = Path.of(dir, n);
                if (Files.isExecutable(p)) return Optional.of(new HeadlessChromium(p));
            }
        }
        return Optional.empty();
    }

    /** The serialised DOM of {@code url} after {@code virtualMs} of the page's (virtual) time. */
    String dumpDom(String url, int virtualMs, Path profile) throws IOException, InterruptedException {
        return run(profile, "--virtual-time-budget=" + virtualMs, "--dump-dom", url);
    }

    private String run(Path profile, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--user-data-dir=" + profile, "--window-size=1280,2000"));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile(profile.getParent(), "chromium", ".err");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("chromium did not finish in 180 s");
        }
        if (p.exitValue() != 0)
            throw new IOException("chromium exited with " + p.exitValue() + ": " + Files.readString(err, StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8);
    }
}
