package dev.diffusion4j.train.parallel;

import dev.diffusion4j.engine.dist.CollectiveAbortedException;
import dev.diffusion4j.engine.dist.Communicator;
import dev.diffusion4j.nn.Dropout;
import dev.diffusion4j.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Runs a training run on several ranks in one process, one thread per rank (one per GPU, or simulated CPU ranks):
 * rank 0 is the trainer the caller built (with its listener, evaluation and grid decoding), the others are built by
 * {@code makeRank}. A rank that throws aborts the group, so every other rank stops at its next collective, and the
 * run ends with one message naming the failed rank; checkpoints are written by rank 0 between collectives, so the last
 * one is complete.
 */
public final class DataParallelRun {
    private DataParallelRun() {}

    /**
     * Trains {@code lead} as rank 0 of {@code comms.size()} ranks from {@code from}; rank r > 0 is
     * {@code makeRank.apply(r)}, restored from the same checkpoint when {@code from} has one.
     */
    public static Trainer.Result train(Trainer lead, IntFunction<Trainer> makeRank, List<Communicator> comms, long bucketBytes,
                                       Trainer.Position from, Trainer.Listener listener, Runnable abort) {
        int world = comms.size();
        BatchShard.checkDivides(lead.config().optim().batchSize(), world);
        refuseDropout(lead);
        List<Trainer> ranks = new ArrayList<>(List.of(lead));
        for (int r = 1; r < world; r++) {
            Trainer t = makeRank.apply(r);
            if (from.checkpoint() != null) t.restoreLatest();    // the optimizer state and random streams; weights come by broadcast too
            ranks.add(t);
        }
        for (int r = 0; r < world; r++) ranks.get(r).joinDataParallel(new DataParallel(comms.get(r), bucketBytes));

        Path[] lastCheckpoint = {from.checkpoint()};
        Trainer.Listener leadListener = new Trainer.Listener() {
            @Override public void onStart(long s, long total) { listener.onStart(s, total); }
            @Override public void onStep(long step, double loss) { listener.onStep(step, loss); }
            @Override public void onLog(Map<String, Object> row) { listener.onLog(row); }
            @Override public void onGrid(long step, Path png) { listener.onGrid(step, png); }
            @Override public void onCheckpoint(long step, Path dir) { lastCheckpoint[0] = dir; listener.onCheckpoint(step, dir); }
            @Override public void onNote(String message) { listener.onNote(message); }
        };
        Trainer.Result[] results = new Trainer.Result[world];
        Throwable[] failures = new Throwable[world];
        Object firstLock = new Object();
        int[] first = {-1};
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            int rank = r;
            Thread th = Thread.ofPlatform().name("diffusion4j-rank-" + r).unstarted(() -> {
                try {
                    results[rank] = ranks.get(rank).train(from, rank == 0 ? leadListener : new Trainer.Listener() {});
                } catch (Throwable e) {
                    failures[rank] = e;
                    synchronized (firstLock) {
                        // the first rank to fail for a reason of its own is the one to name; the others were aborted
                        if (first[0] < 0 && !(e instanceof CollectiveAbortedException)) first[0] = rank;
                    }
                    abort.run();
                }
            });
            threads.add(th);
            th.start();
        }
        boolean interrupted = false;
        for (Thread th : threads) {
            while (true) {
                try {
                    th.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                    abort.run();
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        int failed = first[0];
        if (failed < 0) for (int r = 0; r < world && failed < 0; r++) if (failures[r] != null) failed = r;
        if (failed >= 0) {
            Throwable cause = failures[failed];
            String msg = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            throw new RankFailedException(failed, "rank " + failed + " of " + world + " failed: " + msg + " -- every rank stopped; "
                    + (lastCheckpoint[0] == null ? "no checkpoint was written yet" : "the last checkpoint " + lastCheckpoint[0] + " is intact (continue with --resume)"),
                    cause);
        }
        return results[0];
    }

    /** Dropout masks are drawn per rank-sized shard, so a W-rank step would not equal the one-rank step; refused for now. */
    private static void refuseDropout(Trainer t) {
        for (var m : t.model().namedModules().values())
            if (m instanceof Dropout d && d.p() > 0)
                throw new IllegalArgumentException("several ranks need --dropout 0 for now: dropout masks are not yet drawn per global sample, "
                        + "so a several-rank step would differ from the one-rank step");
    }
}
