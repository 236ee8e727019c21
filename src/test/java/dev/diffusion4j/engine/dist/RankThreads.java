package dev.diffusion4j.engine.dist;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/** Runs one body per communicator, each on its own thread (collectives block until every rank arrives), in rank order. */
public final class RankThreads {
    private RankThreads() {}

    public static <T> List<T> onEachRank(List<Communicator> comms, Function<Communicator, T> body) throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(comms.size());
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (Communicator c : comms) fs.add(ex.submit(() -> body.apply(c)));
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) out.add(f.get());
            return out;
        } finally {
            ex.shutdownNow();
        }
    }
}
