package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * A corpus of bad options and combinations for every command: each ends with one line naming the flag (and its
 * allowed range), the usage status 2 or the user-error status 1, no stack trace, and no run folder left behind.
 */
class BadOptionsTest {
    @TempDir Path tmp;

    /** train options out of range or unknown: 'OPTIONS | what the message must say'. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            --image-size 0               | --image-size must be between 4 and 1024, got 0
            --image-size -16             | --image-size must be between 4 and 1024
            --image-size 10              | --image-size must be a multiple of 4
            --image-size 4096            | --image-size must be between 4 and 1024
            --batch-size -3              | --batch-size must be between 1 and
            --batch-size 0               | --batch-size must be between 1 and
            --grad-accum 0               | --grad-accum
            --label-dropout 2            | --label-dropout must be in [0, 1), got 2.0
            --label-dropout -0.1         | --label-dropout must be in [0, 1)
            --dropout 1.5                | --dropout must be in [0, 1), got 1.5
            --warmup -10                 | --warmup must be at least 0, got -10
            --steps 0                    | --steps must be at least 1, got 0
            --lr 0                       | --lr must be a finite number above 0
            --lr NaN                     | --lr must be a finite number above 0
            --lr -1e-3                   | --lr must be a finite number above 0
            --weight-decay -1            | --weight-decay
            --grad-clip Infinity         | --grad-clip
            --ema-decay 1                | --ema-decay must be in [0, 1)
            --timesteps 0                | --timesteps must be between 1 and
            --snr-gamma 0                | --snr-gamma must be a finite number above 0
            --offset-noise -0.5          | --offset-noise
            --log-every 0                | --log-every must be at least 1
            --sample-every -1            | --sample-every must be at least 1
            --checkpoint-every 0         | --checkpoint-every must be at least 1
            --keep-checkpoints 0         | --keep-checkpoints must be at least 1
            --sample-steps 0             | --sample-steps must be between 1 and
            --grid-size 0                | --grid-size must be between 1 and
            --guidance -2                | --guidance
            --grid-scale 99              | --grid-scale must be between 0 and 32, got 99
            --channels 2                 | --channels must be 1 (gray) or 3 (RGB), got 2
            --schedule wiggly            | --schedule: unknown schedule 'wiggly'
            --parameterization score     | --parameterization: unknown parameterisation 'score'
            --variance huge              | --variance: unknown variance type 'huge'
            --loss l7                    | --loss must be one of simple, hybrid, vlb
            --distance l3                | --distance
            --weighting snr              | --weighting must be one of none, min-snr, p2
            --timestep-sampler random    | --timestep-sampler must be one of
            --lr-schedule linear         | --lr-schedule must be one of cosine, constant, restart
            --sampler plms               | --sampler must be one of ddpm, ddim
            --device tpu                 | --device: unknown device 'tpu'
            --precision fp8              | --precision: unknown precision 'fp8'
            --preset huge                | --preset: unknown model preset 'huge'
            --variance learned-range     | --variance learned-range learns the variance, which needs --loss hybrid or --loss vlb
            --zero-terminal-snr          | --zero-terminal-snr needs --parameterization v or x0
            --zero-terminal-snr --parameterization v --timesteps 1 | --zero-terminal-snr needs --timesteps 2 or more
            --lr-schedule restart        | --lr-schedule restart only applies to the steps that --resume --steps N adds
            --batch-size abc             | --batch-size
            --bogus-option 3             | --bogus-option
            --warmup 99999999999         | --warmup
            --aug-max-level 0.3          | --aug-max-level needs --task super-resolution
            --caption-dropout 0.2        | --caption-dropout needs --text-encoder
            --no-class-conditional --label-dropout 0.2 | --label-dropout applies to class-conditional runs only, and this one is unconditional (--no-class-conditional): drop --label-dropout
            --text-encoder text-tiny --label-dropout 0.1 | unconditional (--text-encoder conditions on captions; their dropout is --caption-dropout)
            --task super-resolution --low-res 8 --label-dropout 0.1 | unconditional (--task super-resolution trains an unconditional stage)
            --latent-scale 2             | --latent-scale needs --autoencoder
            --eval-count 10              | --eval-count needs --eval-every N
            --eval-features pixels       | --eval-features needs --eval-every N
            --eval-metrics fd            | --eval-metrics needs --eval-every N
            --dashboard-host 0.0.0.0     | --dashboard-host needs --dashboard
            """)
    void trainRefusesBadOptionsBeforeTheRunFolderExists(String options, String message) {
        Path out = tmp.resolve("run");
        // a missing --data as well: should an option pass by mistake, the command still ends at once (status 1, not 2)
        List<String> args = new ArrayList<>(List.of("train", "--out", out.toString(), "--data", tmp.resolve("no-data").toString()));
        args.addAll(List.of(options.strip().split("\\s+")));
        CliRun.of(args.toArray(new String[0])).refused(2, message, "diffuse train: ");
        assertFalse(Files.exists(out), "a refused command left " + out);
    }

    /**
     * Without --class-conditional either way the data decides: a folder without class subfolders makes the run
     * unconditional, so --label-dropout is refused once the data is open, before the run folder exists.
     */
    @Test
    void labelDropoutOnDataWithoutClassesIsRefusedBeforeTheRunFolderExists() throws Exception {
        Path data = tmp.resolve("flat"), out = tmp.resolve("run");
        for (int i = 0; i < 8; i++) CaptionedFolderCliTest.image(data.resolve(i + ".png"), 0x3060C0 + 0x100000 * i, i % 2 == 0);
        CliRun.of(CaptionedFolderCliTest.train(out, data, "--label-dropout", "0.2"))
              .refused(2, "--label-dropout applies to class-conditional runs only, and this one is unconditional: ", "has no class labels");
        assertFalse(Files.exists(out), "a refused command left " + out);
        CliRun ok = CliRun.of(CaptionedFolderCliTest.train(out, data)).succeeded();   // the same run without it trains
        assertFalse(ok.out().contains("class-conditional"), ok.describe());
    }

    @Test
    void trainRefusesMissingOrUnreadableDataBeforeTheRunFolderExists() {
        Path out = tmp.resolve("run");
        CliRun.of("train", "--out", out.toString(), "--data", tmp.resolve("no-such-folder").toString(), "--device", "cpu")
              .refused(1, "does not exist");
        CliRun.of("train", "--out", out.toString(), "--data", "shapes:many", "--device", "cpu").refused(1, "shapes:many");
        CliRun.of("train", "--out", out.toString(), "--data", "shapes:3", "--batch-size", "8", "--device", "cpu")
              .refused(2, "--batch-size 8 is larger than the data (3 images in shapes:3)");
        assertFalse(Files.exists(out), "a refused command left " + out);
    }

    @Test
    void trainRefusesAnOutThatIsAFile() throws Exception {
        Path file = Files.writeString(tmp.resolve("taken"), "x");
        CliRun.of("train", "--out", file.toString()).refused(2, "--out: " + file + " is an existing file, not a folder");
        CliRun.of("train", "--out", file.resolve("run").toString()).refused(2, "--out: cannot write under " + file);
        CliRun.of("train", "--out", file.toString(), "--resume").refused(1, file + " is a file, not a run folder");
        assertEquals("x", Files.readString(file));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            --batch-size 0    | --batch-size must be between 1 and
            --batch-size -3   | --batch-size must be between 1 and
            --count 0         | --count must be between 1 and
            --steps 0         | --steps must be between 1 and
            --eta 2           | --eta must be in [0, 1], got 2.0
            --guidance -1     | --guidance
            --grid-scale -1   | --grid-scale must be between 0 and 32
            --sampler nope    | --sampler must be one of
            --checkpoint -4   | --checkpoint must be at least 0
            --device quantum  | --device: unknown device 'quantum'
            """)
    void sampleRefusesBadOptionsBeforeReadingTheRun(String options, String message) {
        List<String> args = new ArrayList<>(List.of("sample", "--run", tmp.resolve("missing-run").toString()));
        args.addAll(List.of(options.strip().split("\\s+")));
        CliRun.of(args.toArray(new String[0])).refused(2, message, "diffuse sample: ");
    }

    @Test
    void sampleOutputPathsThatCannotBeWrittenAreNamed() throws Exception {
        Path file = Files.writeString(tmp.resolve("taken.png"), "x");
        Path run = tmp.resolve("missing-run");
        CliRun.of("sample", "--run", run.toString(), "--images", file.toString())
              .refused(2, "--images: " + file + " is an existing file, not a folder");
        CliRun.of("sample", "--run", run.toString(), "--grid", tmp.toString()).refused(2, "--grid: " + tmp + " is a folder");
        CliRun.of("sample", "--run", run.toString(), "--strip", file.resolve("strip.png").toString())
              .refused(2, "--strip: cannot write under " + file + ", which is a file");
        CliRun.of("sample", "--run", run.toString()).refused(1, "run folder " + run + " does not exist");
        assertEquals("x", Files.readString(file));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            eval --batch-size 0        | --batch-size must be between 1 and
            eval --count -1            | --count must be at least 0
            eval --split validation    | --split must be one of train, test
            eval --checkpoint -1       | --checkpoint must be at least 0
            """)
    void evalRefusesBadOptions(String options, String message) {
        List<String> args = new ArrayList<>(List.of(options.strip().split("\\s+")));
        args.addAll(List.of("--run", tmp.resolve("missing-run").toString()));
        CliRun.of(args.toArray(new String[0])).refused(2, message, "diffuse eval: ");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            inspect                          | say what to inspect
            inspect layers                   | WHAT must be one of model, presets
            inspect model --preset huge      | --preset: unknown model preset 'huge'
            bench train --batch 0            | --batch must be between 1 and
            bench train --steps 0            | --steps must be at least 1
            bench train --precision fp8      | --precision: unknown precision 'fp8'
            bench train --warmup-seconds -1  | --warmup-seconds must be between 0 and 3600
            bench gemm -5                    | N must be between 1 and
            bench gemm big                   | sizes are whole numbers, got 'big'
            bench fft                        | KIND must be one of train, gemm, conv
            bench conv 4                     | bench conv takes BATCH CHANNELS SIZE [KERNEL], e.g. 32 128 32; got 1 number(s)
            bench conv 2 8                   | got 2 number(s)
            bench train 64                   | bench train takes no sizes (N)
            schedule --steps 0               | --steps must be at least 1
            """)
    void otherCommandsRefuseBadArguments(String command, String message) {
        String[] args = command.strip().split("\\s+");
        CliRun.of(args).refused(2, message, "diffuse " + args[0] + ": ");
    }

    @Test
    void inspectRunWorksAsDocumented() throws Exception {
        Path run = tmp.resolve("run");
        dev.diffusion4j.train.RunDir.create(run, TrainConfigs.tiny());
        CliRun r = CliRun.of("inspect", "--run", run.toString()).succeeded();
        assertTrue(r.out().contains("params="), r.describe());
    }

    /** A command that fails with a bug, to see what the user gets. */
    @CommandLine.Command(name = "crash")
    static final class Crash implements Callable<Integer> {
        @Override public Integer call() {
            Object nothing = null;
            return nothing.hashCode();
        }
    }

    @Test
    void anInternalErrorIsOneLineWithTheHintAndStatus70() {
        var cl = new CommandLine(new Crash());
        cl.setExecutionExceptionHandler(new UserErrors());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute();
        assertEquals(70, rc);
        String e = err.toString();
        assertTrue(e.startsWith("crash: internal error: NullPointerException"), e);
        assertTrue(e.contains("rerun with DIFFUSE_DEBUG=1 for the stack trace"), e);
        assertEquals(1, e.strip().lines().count(), e);
        assertFalse(e.contains("\tat "), e);
    }

    /** A command that runs out of stack: an Error, which picocli's handlers let through. */
    @CommandLine.Command(name = "deep")
    static final class Deep implements Callable<Integer> {
        @Override public Integer call() { throw new StackOverflowError(); }
    }

    @Test
    void errorsPastPicocliAreOneLineToo() {
        var cl = new CommandLine(new Deep());
        cl.setExecutionExceptionHandler(new UserErrors());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(70, Main.run(cl));
        assertTrue(err.toString().startsWith("deep: internal error: StackOverflowError"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }

    @Test
    void anOutOfMemoryErrorSaysWhatToDo() {
        StringWriter err = new StringWriter();
        int rc = UserErrors.report(new OutOfMemoryError("Java heap space"), "diffuse train", new PrintWriter(err));
        assertEquals(70, rc);
        assertTrue(err.toString().contains("out of memory (Java heap space); give Java more with -Xmx"), err.toString());
    }
}
