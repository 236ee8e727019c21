package dev.diffusion4j.cli;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Precision;
import dev.diffusion4j.nn.optim.LrSchedule;
import dev.diffusion4j.train.LrPlan;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.RunHistory;
import dev.diffusion4j.train.SampleConfig;
import dev.diffusion4j.train.TrainConfig;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * What {@code train --resume} may change in a saved run: the step budget, where it runs, and how often it logs,
 * samples and checkpoints. Any other option on the command line is refused by name (a resumed run is the saved run),
 * as is a budget at or below the checkpoint's step. Nothing is written until {@link #commit}.
 */
final class ResumeChanges {
    /** The options a resume applies (--lr-schedule only as 'restart'); every other option given with --resume is refused. */
    static final String CHANGEABLE_NAMES = "--steps, --device, --precision, --log-every, --sample-every, --checkpoint-every, --keep-checkpoints, "
            + "--sampler, --sample-steps, --grid-size, --guidance, --grid-scale, --lr-schedule";
    static final List<String> CHANGEABLE = List.of(CHANGEABLE_NAMES.split(", "));
    /** Options of this invocation alone (nothing of them is saved in config.json), so a resume takes them as given. */
    private static final Set<String> ALWAYS = Set.of("--out", "--resume", "--max-image-pixels", "--eval-every", "--eval-count",
            "--eval-features", "--eval-metrics", "--tensorboard", "--dashboard", "--dashboard-host",
            "--gpus", "--devices", "--simulate-ranks", "--bucket-mb");   // data parallelism: any world size that divides the batch resumes alike

    private final TrainConfig config;
    private final long at;
    private final Map<String, List<Object>> changed;
    private final boolean lrRestart;
    private final String lrNote;

    private ResumeChanges(TrainConfig config, long at, Map<String, List<Object>> changed, boolean lrRestart, String lrNote) {
        this.config = config;
        this.at = at;
        this.changed = changed;
        this.lrRestart = lrRestart;
        this.lrNote = lrNote;
    }

    /** The saved config with the changes the command line asks for, or a refusal naming what cannot change. */
    static ResumeChanges of(TrainCommand c, ParseResult parsed, TrainConfig saved, long at, List<RunHistory.BudgetChange> history) {
        refuseFixedOptions(parsed);
        var d = new Diff(parsed);
        long steps = d.pick("--steps", "steps", c.steps, saved.steps());
        if (steps <= at) {
            if (!parsed.hasMatchedOption("--steps"))
                throw new IllegalArgumentException(c.outDir + " is complete: its checkpoint is at step " + at + " of its " + saved.steps()
                        + " steps; to train longer, pass --steps N with N above " + at);
            throw new IllegalArgumentException("--steps " + steps + " is not beyond the checkpoint at step " + at + " of " + c.outDir
                    + ": a resumed run only trains further; pass --steps above " + at + " (nothing was changed)");
        }
        boolean restart = parsed.hasMatchedOption("--lr-schedule");
        if (restart && !c.lrSchedule.equalsIgnoreCase("restart"))
            throw new IllegalArgumentException("--lr-schedule cannot change on --resume (the run uses " + saved.optim().lrSchedule()
                    + "); only --lr-schedule restart is taken, for the steps --steps N adds");
        boolean cosine = saved.optim().lrSchedule().equalsIgnoreCase("cosine");
        if (restart && (!cosine || steps == saved.steps()))
            throw new IllegalArgumentException("--lr-schedule restart needs a run with the cosine schedule and a new --steps budget");
        String lrNote = steps == saved.steps() ? null : lrNote(saved, at, steps, history, restart);

        SampleConfig s = saved.sample();
        SampleConfig sample = new SampleConfig(d.pick("--sampler", "sample.sampler", c.sampler, s.sampler()),
                d.pick("--sample-steps", "sample.steps", c.sampleSteps, s.steps()), s.eta(), d.pick("--grid-size", "sample.count", c.gridSize, s.count()),
                s.seed(), s.clipX0(), d.pick("--guidance", "sample.guidance", c.guidance, s.guidance()),
                d.pick("--grid-scale", "sample.grid_scale", c.gridScale, s.gridScale()));
        TrainConfig cfg = new TrainConfig(saved.data(), saved.flip(), saved.classConditional(), saved.labelDropout(), saved.model(),
                saved.diffusion(), saved.optim(), steps, saved.seed(), d.pick("--device", "device", Device.parse(c.device).toString(), saved.device()),
                d.pick("--precision", "precision", Precision.parse(c.precision), saved.precision()),
                d.pick("--log-every", "log_every", c.logEvery, saved.logEvery()), d.pick("--sample-every", "sample_every", c.sampleEvery, saved.sampleEvery()),
                d.pick("--checkpoint-every", "checkpoint_every", c.checkpointEvery, saved.checkpointEvery()),
                d.pick("--keep-checkpoints", "keep_checkpoints", c.keepCheckpoints, saved.keepCheckpoints()), sample, saved.latent(), saved.background());
        return new ResumeChanges(cfg, at, d.changed, restart, lrNote);
    }

    TrainConfig config() { return config; }

    /** Writes the changed config and a history line with the old values, and says what changed. */
    void commit(RunDir run, PrintWriter out) {
        if (changed.isEmpty()) return;
        Map<String, List<Object>> json = new LinkedHashMap<>();
        List<String> said = new ArrayList<>();
        for (var e : changed.entrySet()) {
            List<Object> v = e.getValue().stream().map(o -> o instanceof Precision p ? (Object) p.id() : o).toList();
            json.put(e.getKey(), v);
            said.add(e.getKey() + " " + v.get(0) + " -> " + v.get(1));
        }
        run.history().append(at, json, lrRestart);
        run.writeConfig(config);
        out.println("changed on resume: " + String.join(", ", said) + " (old values kept in " + run.historyFile().getFileName() + ")");
        if (lrNote != null) out.println("learning rate: " + lrNote);
    }

    private static void refuseFixedOptions(ParseResult parsed) {
        List<String> fixed = new ArrayList<>();
        for (OptionSpec o : parsed.matchedOptions()) {
            String name = o.longestName();
            if (!CHANGEABLE.contains(name) && !ALWAYS.contains(name) && !o.usageHelp() && !o.versionHelp()) fixed.add(name);
        }
        if (!fixed.isEmpty())
            throw new IllegalArgumentException("--resume continues the saved run, so " + String.join(", ", fixed) + " cannot change; a resume may change only " + CHANGEABLE_NAMES + ". For other settings train a new run into another --out");
    }

    /** What the learning rate does over the added (or removed) steps; refuses a budget that would train at rate 0. */
    private static String lrNote(TrainConfig saved, long at, long steps, List<RunHistory.BudgetChange> history, boolean restart) {
        if (!saved.optim().lrSchedule().equalsIgnoreCase("cosine"))
            return String.format(Locale.ROOT, "the %s schedule (peak %g) is unchanged", saved.optim().lrSchedule(), saved.optim().lr());
        double now = LrPlan.of(saved.optim(), saved.steps(), history).lr(at);
        List<RunHistory.BudgetChange> next = new ArrayList<>(history);
        next.add(new RunHistory.BudgetChange(at, saved.steps(), steps, restart));
        LrSchedule plan = LrPlan.of(saved.optim(), steps, next);
        if (restart) return String.format(Locale.ROOT, "a new cosine cycle from %g at step %d down to 0 at step %d", plan.lr(at), at, steps);
        if (now == 0)         // only a cosine that has run its course is at 0 after step 0
            throw new IllegalArgumentException("the run's cosine learning rate already decayed to 0 by step " + at + ", so more steps would not "
                    + "change the weights; add --lr-schedule restart for a new cosine cycle from " + saved.optim().lr() + " down to 0 at step " + steps);
        return String.format(Locale.ROOT, "the cosine schedule continues from %g at step %d down to 0 at step %d (no jump, no restart)",
                now, at, steps);
    }

    /** Takes a command-line value where the option was given, and records it when it differs from the saved one. */
    private static final class Diff {
        final ParseResult parsed;
        final Map<String, List<Object>> changed = new LinkedHashMap<>();

        Diff(ParseResult parsed) { this.parsed = parsed; }

        <T> T pick(String flag, String key, T given, T saved) {
            if (!parsed.hasMatchedOption(flag) || Objects.equals(given, saved)) return saved;
            changed.put(key, List.of(saved, given));
            return given;
        }
    }
}
