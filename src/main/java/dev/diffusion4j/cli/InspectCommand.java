package dev.diffusion4j.cli;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.models.ModelPresets;
import dev.diffusion4j.models.DenoisingNetwork;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.autoencoder.AutoencoderPresets;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code diffuse inspect}: look inside models and checkpoints without running them. */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show a model's layer tree and parameter count, or list the presets.")
public final class InspectCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "WHAT",
            description = "What to inspect: 'model' (a preset's or a run's layers) or 'presets' (the list). Default: model with --run.")
    String what;

    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "tiny",
            description = "Model preset for 'model': a U-Net (ddpm-cifar10, fmnist-small, tiny), a DiT (dit-tiny, dit-fmnist, dit-s/2 ... dit-xl/8)"
                    + " or an autoencoder (sd-vae, kl-f4, kl-f4-tiny, vq-f4-tiny). Default: ${DEFAULT-VALUE}.")
    String preset;

    @Option(names = "--run", paramLabel = "DIR", description = "Inspect the model of a training run (its config.json) instead of a preset.")
    java.nio.file.Path run;

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        OptionChecks c = new OptionChecks(spec);
        if (what == null) what = run != null ? "model" : null;
        c.require(what != null, "say what to inspect: model or presets (or give --run DIR)");
        c.oneOf("WHAT", what, java.util.List.of("model", "presets"));
        if (run == null && !AutoencoderPresets.has(preset)) c.parse("--preset", preset, ModelPresets::get);
        switch (what.toLowerCase(java.util.Locale.ROOT)) {
            case "presets" -> {
                for (Map.Entry<String, String> e : ModelPresets.describe().entrySet()) out.printf("%-14s %s%n", e.getKey(), e.getValue());
                for (Map.Entry<String, String> e : AutoencoderPresets.describe().entrySet()) out.printf("%-14s %s%n", e.getKey(), e.getValue());
            }
            case "model" -> {
                if (run == null && AutoencoderPresets.has(preset)) {
                    var ae = AutoencoderPresets.get(preset).build(new Generator(0));
                    out.println(ae);
                    out.println("params=" + ae.numParameters());
                    break;
                }
                ModelConfig cfg = run != null ? dev.diffusion4j.train.RunDir.open(run).config().model() : ModelPresets.get(preset);
                DenoisingNetwork m = cfg.build(new Generator(0));
                out.println(m);
                out.println("params=" + m.numParameters());
            }
            default -> throw new AssertionError(what);
        }
        out.flush();
        return 0;
    }
}
