package dev.diffusion4j.cli;

import dev.diffusion4j.train.Checkpoints;
import dev.diffusion4j.train.RunDir;
import java.nio.file.Path;

/** Picks a checkpoint of a run: the latest, or a given step. */
final class RunCheckpoint {
    private RunCheckpoint() {}

    static Checkpoints.Entry pick(RunDir run, Long step) {
        var all = run.checkpoints().list();
        if (all.isEmpty())
            throw new IllegalArgumentException(run.root() + " has no checkpoint yet; train it first (" + dev.diffusion4j.train.Invocation.command() + " train --out " + dev.diffusion4j.train.Invocation.quote(run.root()) + ")");
        if (step == null) return all.get(all.size() - 1);
        for (var e : all) if (e.step() == step) return e;
        throw new IllegalArgumentException("no checkpoint for step " + step + " in " + run.root() + "; available: "
                + all.stream().map(e -> Long.toString(e.step())).toList());
    }

    static Path dir(RunDir run, Long step) { return pick(run, step).dir(); }
}
