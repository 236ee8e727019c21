package dev.diffusion4j.train.parallel;

import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.dist.Communicator;
import dev.diffusion4j.nn.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradients grouped into flat buckets of at most a byte budget, so a step all-reduces a few large buffers instead of
 * one small one per parameter (PyTorch DDP's default budget is 25 MB). Parameters are taken in reverse registration
 * order, the order in which a backward pass finishes them; a parameter larger than the budget gets a bucket of its own.
 */
public final class GradientBuckets {
    /** One bucket: the parameter indices it holds (into the list given to the constructor) and each one's element offset. */
    public record Bucket(int[] params, long[] offsets, long numel) {}

    public static final long DEFAULT_BYTES = 25L * 1024 * 1024;

    private final List<Parameter> params;
    private final List<Bucket> buckets;

    public GradientBuckets(List<Parameter> params, long bucketBytes) {
        if (bucketBytes < 1) throw new IllegalArgumentException("the bucket size must be at least 1 byte, got " + bucketBytes);
        this.params = List.copyOf(params);
        this.buckets = assign(this.params, bucketBytes);
    }

    public List<Bucket> buckets() { return buckets; }

    private static List<Bucket> assign(List<Parameter> params, long bucketBytes) {
        List<Bucket> out = new ArrayList<>();
        List<Integer> cur = new ArrayList<>();
        long curBytes = 0;
        for (int i = params.size() - 1; i >= 0; i--) {
            long bytes = params.get(i).numel() * 4L;    // gradients travel as f32
            if (!cur.isEmpty() && curBytes + bytes > bucketBytes) {
                out.add(bucket(params, cur));
                cur.clear();
                curBytes = 0;
            }
            cur.add(i);
            curBytes += bytes;
        }
        if (!cur.isEmpty()) out.add(bucket(params, cur));
        return List.copyOf(out);
    }

    private static Bucket bucket(List<Parameter> params, List<Integer> idx) {
        int[] p = new int[idx.size()];
        long[] off = new long[idx.size()];
        long n = 0;
        for (int k = 0; k < p.length; k++) {
            p[k] = idx.get(k);
            off[k] = n;
            n += params.get(p[k]).numel();
        }
        return new Bucket(p, off, n);
    }

    /** The bucket's gradients end to end as one f32 vector on their device; a parameter without a gradient contributes zeros. */
    public Tensor flatten(Bucket b) {
        try (var off = GradMode.off()) {
            Tensor[] parts = new Tensor[b.params().length];
            for (int k = 0; k < parts.length; k++) {
                Parameter p = params.get(b.params()[k]);
                Tensor g = p.grad();
                parts[k] = g == null ? Tensor.zeros(dev.diffusion4j.engine.DType.F32, p.device(), (int) p.numel())
                        : g.to(dev.diffusion4j.engine.DType.F32).reshape(-1);
            }
            return parts.length == 1 ? parts[0].contiguous() : Tensor.cat(0, parts);
        }
    }

    /** Sets each parameter of {@code b} to its part of {@code flat} as gradient (in the parameter's shape and dtype). */
    public void unflatten(Bucket b, Tensor flat) {
        if (flat.numel() != b.numel())
            throw new IllegalArgumentException("bucket holds " + b.numel() + " elements, got a vector of " + flat.numel());
        try (var off = GradMode.off()) {
            for (int k = 0; k < b.params().length; k++) {
                Parameter p = params.get(b.params()[k]);
                int lo = (int) b.offsets()[k];
                Tensor part = flat.slice(0, lo, lo + (int) p.numel()).contiguous().reshape(p.shape());
                p.setGrad(part.to(p.dtype()));
            }
        }
    }

    /**
     * Replaces every parameter's gradient by its mean over the ranks of {@code comm}, one all-reduce per bucket. A
     * parameter that no rank gave a gradient keeps none (as in a one-rank step, so the optimizer skips it alike).
     */
    public void averageGradients(Communicator comm) {
        float[] present = new float[params.size()];
        for (int i = 0; i < present.length; i++) present[i] = params.get(i).grad() != null ? 1 : 0;
        float[] anyRank = comm.allReduceSum(Tensor.of(present, present.length)).toFloatArray();
        int w = comm.worldSize();
        for (Bucket b : buckets) {
            Tensor sum = comm.allReduceSum(flatten(b));
            unflatten(b, w == 1 ? sum : sum.div(w));
        }
        for (int i = 0; i < anyRank.length; i++) if (anyRank[i] == 0) params.get(i).zeroGrad();
    }
}
