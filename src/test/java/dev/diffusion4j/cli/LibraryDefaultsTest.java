package dev.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diffusion4j.io.Json;
import dev.diffusion4j.models.ModelPresets;
import dev.diffusion4j.train.Defaults;
import dev.diffusion4j.train.DiffusionConfig;
import dev.diffusion4j.train.OptimConfig;
import dev.diffusion4j.train.SampleConfig;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.TrainDefaults;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The library's defaults are the CLI's: {@code diffuse train} without flags builds the run a library user gets from
 * the config records' defaults (and from a config.json that leaves the keys out), for both model families.
 */
class LibraryDefaultsTest {
    /** Each train flag with a fixed default, and the library record's value it must equal (--parameterization is dit-tiny's own). */
    private static Map<String, Object> libraryValues() {
        OptimConfig o = OptimConfig.defaults();
        DiffusionConfig d = DiffusionConfig.defaults();
        SampleConfig s = SampleConfig.defaults();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("--batch-size", o.batchSize()); m.put("--grad-accum", o.gradAccum()); m.put("--warmup", o.warmup());
        m.put("--lr-schedule", o.lrSchedule()); m.put("--weight-decay", o.weightDecay()); m.put("--grad-clip", o.gradClip());
        m.put("--ema-decay", o.emaDecay());
        m.put("--schedule", d.schedule()); m.put("--timesteps", d.steps());
        m.put("--distance", d.distance()); m.put("--timestep-sampler", d.timestepSampler()); m.put("--offset-noise", d.offsetNoise());
        m.put("--sampler", s.sampler()); m.put("--sample-steps", s.steps()); m.put("--grid-size", s.count());
        m.put("--guidance", s.guidance());
        return m;
    }

    @Test void everyFixedTrainFlagDefaultIsTheLibraryRecordsDefault() {
        CommandLine.Model.CommandSpec spec = new CommandLine(new TrainCommand()).getCommandSpec();
        libraryValues().forEach((flag, lib) -> {
            String cli = spec.findOption(flag).defaultValue();
            if (lib instanceof Number n) assertEquals(n.doubleValue(), Double.parseDouble(cli), flag + ": CLI default " + cli + ", library " + lib);
            else assertEquals(lib, cli, flag);
        });
    }

    @Test void sampleFlagDefaultsAreThePipelinesSampleOptions() {
        CommandLine.Model.CommandSpec spec = new CommandLine(new SampleCommand()).getCommandSpec();
        dev.diffusion4j.pipelines.SampleOptions o = dev.diffusion4j.pipelines.SampleOptions.defaults();
        assertEquals(o.eta(), Double.parseDouble(spec.findOption("--eta").defaultValue()));
        assertEquals(o.seed(), Long.parseLong(spec.findOption("--seed").defaultValue()));
        assertEquals(o.batchSize(), Integer.parseInt(spec.findOption("--batch-size").defaultValue()));
        assertEquals(true, o.clip(), "clipping on, as without --no-clip");
    }

    @Test void aFlaglessTrainBuildsTheLibrarysDefaultRunForEachModelFamily() {
        for (String preset : new String[] {"tiny", "dit-fmnist"}) {
            TrainCommand cmd = new TrainCommand();
            new CommandLine(cmd).parseArgs("--preset", preset, "--data", "shapes", "--device", "cpu", "--out", "unused");
            TrainConfig cli = cmd.buildConfig(new PrintWriter(new StringWriter()));
            TrainDefaults def = TrainDefaults.of(ModelPresets.get(preset));
            assertEquals(def.optim(), cli.optim(), preset + ": optimiser");
            assertEquals(def.diffusion(), cli.diffusion(), preset + ": diffusion");

            // a config.json that names only the model (and what has no default) reads back as the same run
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("format", TrainConfig.FORMAT);
            json.put("data", "shapes");
            json.put("model", cli.model().toJson());
            json.put("diffusion", Map.of());
            json.put("optim", Map.of());
            json.put("steps", cli.steps());
            TrainConfig read = TrainConfig.fromJson(Json.parseObject(Json.write(json)));
            assertEquals(cli.optim(), read.optim(), preset + ": config.json optimiser");
            assertEquals(cli.diffusion(), read.diffusion(), preset + ": config.json diffusion");
            assertEquals(cli.logEvery(), read.logEvery());
            assertEquals(cli.sampleEvery(), read.sampleEvery());
            assertEquals(cli.checkpointEvery(), read.checkpointEvery());
            assertEquals(cli.keepCheckpoints(), read.keepCheckpoints());
            assertEquals(cli.labelDropout(), read.labelDropout());
        }
    }

    /** dit-tiny's own recipe (see TrainDefaults) reaches a flagless train and the library alike. */
    @Test void ditTinyTakesItsPresetsDefaultsInTheCliAndTheLibrary() {
        TrainCommand cmd = new TrainCommand();
        new CommandLine(cmd).parseArgs("--preset", "dit-tiny", "--data", "shapes", "--device", "cpu", "--out", "unused");
        TrainConfig cli = cmd.buildConfig(new PrintWriter(new StringWriter()));
        TrainDefaults def = TrainDefaults.of("dit-tiny", ModelPresets.get("dit-tiny"));
        assertEquals(def.optim(), cli.optim());
        assertEquals(def.diffusion(), cli.diffusion());
        assertEquals(4e-3, cli.optim().lr());
        assertEquals("v", cli.diffusion().parameterization());
        assertEquals(TrainDefaults.DIT_TINY_GUIDANCE, cli.sample().guidance());
        assertEquals(TrainDefaults.DIT_TINY_STEPS, cli.steps(), "the preset's own step count");
    }

    @Test void anExplicitStepCountWinsOverDitTinysOwn() {
        TrainCommand cmd = new TrainCommand();
        new CommandLine(cmd).parseArgs("--preset", "dit-tiny", "--data", "shapes", "--device", "cpu", "--out", "unused", "--steps", "1500");
        assertEquals(1500, cmd.buildConfig(new PrintWriter(new StringWriter())).steps());
        TrainCommand unet = new TrainCommand();
        new CommandLine(unet).parseArgs("--data", "shapes", "--device", "cpu", "--out", "unused");
        assertEquals(1500, unet.buildConfig(new PrintWriter(new StringWriter())).steps(), "the U-Net tiny keeps 1500");
    }

    @Test void p2WeightingTakesItsOwnGammaInTheLibraryToo() {
        assertEquals(1.0, TrainDefaults.gamma("p2"));
        assertEquals(Double.parseDouble(Defaults.MIN_SNR_GAMMA), TrainDefaults.gamma("min-snr"));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format", TrainConfig.FORMAT);
        json.put("data", "shapes");
        json.put("model", ModelPresets.get("tiny").toJson());
        json.put("diffusion", Map.of("weighting", "p2"));
        json.put("optim", Map.of());
        json.put("steps", 10);
        assertEquals(1.0, TrainConfig.fromJson(Json.parseObject(Json.write(json))).diffusion().gamma());
    }
}
