package dev.diffusion4j.train.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.train.RunLock;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunStateTest {
    @TempDir Path dir;

    @Test void aRunWhoseLockThisProcessHoldsIsTraining() throws Exception {
        Path run = RunFixtures.run(dir.resolve("r"), 100, 30);
        try (RunLock lock = RunLock.acquire(run)) {
            RunState s = RunView.state(run, 100);
            assertEquals(RunState.Kind.TRAINING, s.kind(), s.detail());
            assertTrue(s.detail().contains("pid " + ProcessHandle.current().pid()), s.detail());
        }
    }

    @Test void aReleasedLockWithACheckpointAtTheLastStepIsFinished() throws Exception {
        Path run = RunFixtures.run(dir.resolve("r"), 100, 100);
        try (RunLock lock = RunLock.acquire(run)) {
            RunFixtures.checkpoint(run, 100);
            assertEquals(RunState.Kind.TRAINING, RunView.state(run, 100).kind(), "held until the trainer lets go, even at the last step");
        }
        assertEquals(RunState.Kind.FINISHED, RunView.state(run, 100).kind());
        assertEquals(RunState.Kind.STOPPED, RunView.state(run, 200).kind(), "a resume to 200 steps that ended early is unfinished again");
    }

    @Test void aReleasedLockShortOfTheLastStepIsStopped() throws Exception {
        Path run = RunFixtures.run(dir.resolve("r"), 100, 50);
        RunFixtures.checkpoint(run, 50);
        try (RunLock lock = RunLock.acquire(run)) { /* trained, then ended early with the lock released */ }
        RunState s = RunView.state(run, 100);
        assertEquals(RunState.Kind.STOPPED, s.kind(), s.detail());
        assertTrue(s.detail().contains("step 50 of 100") && s.detail().contains("--resume"), s.detail());
    }

    @Test void aLockNamingAProcessThatIsGoneIsInterrupted() throws Exception {
        Path run = RunFixtures.run(dir.resolve("r"), 100, 50);
        RunFixtures.checkpoint(run, 40);
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-version").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor();
        String host = InetAddress.getLocalHost().getHostName();
        Files.writeString(run.resolve(RunLock.FILE), "pid " + p.pid() + " on " + host + ", started 2026-01-01T00:00:00Z");
        RunState s = RunView.state(run, 100);
        assertEquals(RunState.Kind.INTERRUPTED, s.kind(), s.detail());
        assertTrue(s.detail().contains("pid " + p.pid()) && s.detail().contains("step 40 of 100"), s.detail());
    }

    @Test void aLockFromAnotherHostCannotBeCheckedAndCountsAsHeld() throws Exception {
        Path run = RunFixtures.run(dir.resolve("r"), 100, 50);
        Files.writeString(run.resolve(RunLock.FILE), "pid 12345 on some-other-machine.example, started 2026-01-01T00:00:00Z");
        RunState s = RunView.state(run, 100);
        assertEquals(RunState.Kind.TRAINING, s.kind());
        assertTrue(s.detail().contains("some-other-machine.example") && s.detail().contains("cannot be checked"), s.detail());
    }

    @Test void aFolderWithNoLockFileAndNoCheckpointIsStopped() throws Exception {
        Path run = RunFixtures.run(dir.resolve("r"), 100, 0);
        RunState s = RunView.state(run, 100);
        assertEquals(RunState.Kind.STOPPED, s.kind());
        assertTrue(s.detail().contains("no checkpoint yet"), s.detail());
    }
}
