package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.train.dashboard.Launches;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DashboardCliTest {
    @TempDir Path dir;

    @Test void everyLaunchIsRecordedAndTrainDashboardServesWhileTrainingThenStops() {
        Path run = dir.resolve("run");
        CliRun.of(CliRun.train(run, "--steps", "2", "--lr-schedule", "constant")).succeeded();
        CliRun resumed = CliRun.of("train", "--out", run.toString(), "--resume", "--steps", "3", "--dashboard", "0").succeeded();
        assertTrue(resumed.out().contains("dashboard: http://127.0.0.1:"), resumed.describe());
        assertTrue(resumed.out().contains("dashboard stopped; to view the run again: diffuse dashboard " + run), resumed.describe());

        List<Map<String, Object>> launches = Launches.read(run);
        assertEquals(2, launches.size(), "one line per start or resume");
        assertTrue(((String) launches.get(0).get("command")).startsWith("diffuse train --out " + run), launches.get(0).toString());
        assertTrue(((String) launches.get(1).get("command")).endsWith("--resume --steps 3 --dashboard 0"), launches.get(1).toString());
        assertEquals(List.of("circle", "square", "triangle", "cross", "ring"), launches.get(1).get("class_names"));
        assertEquals("cpu", launches.get(1).get("device"));
        assertTrue(((String) launches.get(1).get("java")).startsWith(Runtime.version().toString()));
    }

    @Test void refusesABusyPortBeforeMakingTheRunFolder() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path run = dir.resolve("never");
            CliRun.of(CliRun.train(run, "--steps", "2", "--dashboard", "" + taken.getLocalPort())).refused(1, "choose another port");
            assertFalse(Files.exists(run));
        }
        CliRun.of(CliRun.train(dir.resolve("x"), "--dashboard", "70000")).refused(2, "--dashboard must be between 0 and 65535");
    }

    @Test void dashboardRefusesAMissingFolderInOneLine() {
        CliRun.of("dashboard", dir.resolve("nothing").toString(), "--port", "0").refused(1, "no folder", "nothing");
        CliRun.of("dashboard", dir.toString(), "--port", "-1").refused(2, "--port must be between 0 and 65535");
    }
}
