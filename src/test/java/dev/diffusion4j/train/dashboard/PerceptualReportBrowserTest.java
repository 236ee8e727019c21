package dev.diffusion4j.train.dashboard;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** report.html of an autoencoder run with the perceptual loss draws its p_loss (LPIPS) curve; runs without it show none. */
class PerceptualReportBrowserTest {
    @TempDir Path dir;

    @Test void theLpipsCurveAppearsOnlyWhenTheRunLogsIt() throws Exception {
        Optional<HeadlessChromium> browser = HeadlessChromium.find();
        Assumptions.assumeTrue(browser.isPresent(), "no chromium on PATH (apt-get install chromium, or set CHROMIUM)");
        Path run = RunFixtures.run(dir.resolve("ae"), 100, 0);
        for (int s = 10; s <= 30; s += 10)
            RunFixtures.appendLine(run, "{\"step\":" + s + ",\"loss_avg\":1.5,\"rec_loss\":1.5,\"p_loss\":" + (0.5 - s / 100.0) + ",\"lr\":0.001,\"img_per_s\":4.0}");
        RunFixtures.appendLine(run, "{\"step\":30,\"psnr\":18.5,\"ssim\":0.61}");
        String with = draw(run, "with");
        assertTrue(tag(with, "lpips-box").matches("(?s)<div[^>]*>") && !tag(with, "lpips-box").contains("hidden"), tag(with, "lpips-box"));
        assertTrue(tag(with, "chart-lpips").contains("data-points=\"3\""), tag(with, "chart-lpips"));

        Path plain = RunFixtures.run(dir.resolve("plain"), 100, 30);
        RunFixtures.appendLine(plain, "{\"step\":30,\"psnr\":18.5,\"ssim\":0.61}");
        assertTrue(tag(draw(plain, "without"), "lpips-box").contains("hidden"), "no p_loss, no LPIPS chart");
    }

    private String draw(Path run, String name) throws Exception {
        Path report = run.resolve("report.html");
        Files.writeString(report, StaticReport.html(run));
        return HeadlessChromium.find().orElseThrow().dumpDom(report.toUri().toString(), 3000, Files.createDirectories(dir.resolve("profile-" + name)));
    }

    private static String tag(String dom, String id) {
        Matcher m = Pattern.compile("<[a-z]+[^>]*id=\"" + Pattern.quote(id) + "\"[^>]*>").matcher(dom);
        assertTrue(m.find(), "no element " + id);
        return m.group();
    }
}
