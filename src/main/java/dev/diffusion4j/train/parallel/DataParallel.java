package dev.diffusion4j.train.parallel;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.diffusion.Denoiser;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.LossConfig;
import dev.diffusion4j.diffusion.TimestepSampler;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.dist.Communicator;
import dev.diffusion4j.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One rank's part in a data-parallel training step. Every rank holds the whole model, reads the same global batch,
 * draws the timesteps and noise of the whole global batch from the same stream (so its generator stays where a
 * one-rank run's would be) and trains on its shard of samples; the gradients are then averaged over the ranks, so
 * each rank takes the step one rank would take on the global batch. Rank 0 alone writes (logs, grids, checkpoints).
 */
public final class DataParallel {
    private final Communicator comm;
    private final BatchShard shard;
    private final long bucketBytes;
    private GradientBuckets buckets;

    public DataParallel(Communicator comm, long bucketBytes) {
        this.comm = comm;
        this.shard = new BatchShard(comm.rank(), comm.worldSize());
        this.bucketBytes = bucketBytes;
    }

    public int rank() { return comm.rank(); }
    public int worldSize() { return comm.worldSize(); }
    /** Whether this rank writes the run's files and talks to the user. */
    public boolean lead() { return comm.rank() == 0; }

    /** Makes every rank start from rank 0's parameters (a new run's seeded init, or the checkpoint rank 0 resumed). */
    public void start(List<Parameter> params) {
        buckets = new GradientBuckets(params, bucketBytes);
        try (var off = GradMode.off()) {
            for (Parameter p : params) {
                Tensor v = comm.broadcast(p.data().detach(), 0);
                if (!lead()) p.copyFrom(v);
            }
        }
    }

    /**
     * This rank's mean loss over its shard of the global batch {@code x0} (all samples, on the training device): t and
     * noise are drawn for all samples, so each sample gets what it would get in a one-rank step, then cut to the shard.
     */
    public Tensor shardLoss(GaussianDiffusion diffusion, Denoiser model, Tensor x0, Conditioning cond, TimestepSampler sampler,
                            Generator gen, LossConfig loss) {
        int n = x0.shape(0), lo = shard.start(n), hi = shard.end(n);
        TimestepSampler.Draw draw = sampler.sample(n, gen);
        // the shard's timesteps made from the host draw, so their values are known without a read from the device
        Tensor t = GaussianDiffusion.timesteps(java.util.Arrays.copyOfRange(draw.t(), lo, hi), x0.device());
        Tensor noise = GaussianDiffusion.trainingNoise(x0, gen, loss.offsetNoise());
        Tensor w = draw.weights(x0.dtype(), x0.device());
        var terms = diffusion.trainingLosses(model, cut(x0, lo, hi), t, cut(cond, lo, hi), cut(noise, lo, hi), loss);
        return terms.loss().mul(cut(w, lo, hi)).mean();
    }

    /** Averages the gradients over the ranks (after the backward pass) and returns the mean of the ranks' losses. */
    public double syncGradients(double loss) {
        if (buckets == null) throw new IllegalStateException("DataParallel.start was not called");
        buckets.averageGradients(comm);
        return comm.allReduceSum(Tensor.of(new double[] {loss}, 1)).item() / comm.worldSize();
    }

    private static Tensor cut(Tensor t, int lo, int hi) {
        return lo == 0 && hi == t.shape(0) ? t : t.slice(0, lo, hi).contiguous();
    }

    private static Conditioning cut(Conditioning c, int lo, int hi) {
        if (c == null) return null;
        Map<String, Tensor> parts = new LinkedHashMap<>();
        for (var e : c.asMap().entrySet()) parts.put(e.getKey(), cut(e.getValue(), lo, hi));
        return Conditioning.of(parts);
    }
}
