package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Buffer;
import dev.diffusion4j.nn.Embedding;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.Module;

/**
 * Vector quantisation (van den Oord et al. 2017) with a codebook of K vectors of width D, child embedding.weight [K, D]
 * as in diffusers' VectorQuantizer. Each latent vector is replaced by its nearest code (squared distance); gradients
 * pass straight through to the encoder (z + (zq - z).detach()). The loss is the codebook term ||sg(z) - zq||^2 plus
 * beta times the commitment term ||z - sg(zq)||^2 (means over elements). Optional, for training:
 * <ul>
 *   <li>EMA codebook updates ({@link #useEma}) replace the codebook term: cluster sizes and sums of assigned vectors are
 *   averaged with decay, the sizes Laplace-smoothed, and each code set to its averaged mean;</li>
 *   <li>dead-code restart ({@link #restartDeadCodes}): a code unused for that many training updates is set to a random
 *   latent vector of the current batch.</li>
 * </ul>
 * Usage counts and perplexity of the last quantisation are kept for metrics.
 */
public final class VectorQuantizer extends Module {
    public static final double DEFAULT_BETA = 0.25;
    private final int codes, dim;
    private final double beta;
    private final Embedding embedding;
    private double emaDecay = Double.NaN, emaEps;
    private Buffer clusterSize, embedSum;
    private int deadAfter;
    private Generator restartGen;
    private int[] unusedFor;
    private long[] lastCounts;

    public VectorQuantizer(int codes, int dim, double beta, Generator gen) {
        this.codes = codes;
        this.dim = dim;
        this.beta = beta;
        embedding = registerModule("embedding", new Embedding(codes, dim, gen));
        Init.uniform(embedding.weight(), 1.0 / codes, gen);   // diffusers' init: U(-1/K, 1/K)
    }

    /** The quantised latents (straight-through), the code index of every latent vector [N, h, w] and the loss. */
    public record Quantized(Tensor latents, Tensor indices, Tensor loss) {}

    /**
     * Updates the codebook by exponential moving averages in training instead of by the codebook loss term (which is
     * then left out of the loss). Adds the persistent buffers ema_cluster_size [K] and ema_embed_sum [K, D], started
     * from one count per code at its current vector.
     */
    public VectorQuantizer useEma(double decay, double eps) {
        if (!(decay > 0 && decay < 1) || !(eps > 0)) throw new IllegalArgumentException("EMA needs decay in (0, 1) and eps > 0, got " + decay + ", " + eps);
        emaDecay = decay;
        emaEps = eps;
        Tensor w = embedding.weight().data().detach();
        clusterSize = registerBuffer("ema_cluster_size", w.backend().full(new int[] {codes}, w.dtype(), 1), true);
        embedSum = registerBuffer("ema_embed_sum", w.contiguous().mul(1.0), true);
        return this;
    }

    /** Re-initialises codes unused for {@code updates} consecutive training quantisations from latents of the batch. */
    public VectorQuantizer restartDeadCodes(int updates, Generator gen) {
        if (updates < 1) throw new IllegalArgumentException("dead-code restart needs at least 1 update, got " + updates);
        deadAfter = updates;
        restartGen = gen;
        unusedFor = new int[codes];
        return this;
    }

    public boolean emaEnabled() { return !Double.isNaN(emaDecay); }

    /** Quantises z [N, D, h, w]; in training mode also runs the EMA update and dead-code restart when enabled. */
    public Quantized quantize(Tensor z) {
        if (z.rank() != 4 || z.shape(1) != dim)
            throw new IllegalArgumentException("VectorQuantizer expects [N, " + dim + ", h, w], got " + Shape.str(z.shape()));
        int n = z.shape(0), h = z.shape(2), w = z.shape(3);
        Tensor flat = z.permute(0, 2, 3, 1).reshape(-1, dim);   // [M, D]
        Tensor codeIds = nearestAsFloat(flat.detach(), embedding.weight().data().detach());
        Tensor idx = codeIds.to(DType.I64);
        Tensor oneHot = oneHot(codeIds);
        try (var g = GradMode.off()) {
            lastCounts = oneHot.sum(0, false).toLongArray();
        }
        Tensor q = F.embedding(embedding.weight().data(), idx).reshape(n, h, w, dim).permute(0, 3, 1, 2);
        Tensor commitment = F.mseLoss(z, q.detach());
        Tensor loss = emaEnabled() ? commitment.mul(beta) : F.mseLoss(q, z.detach()).add(commitment.mul(beta));
        if (isTraining()) {
            if (emaEnabled()) emaUpdate(oneHot, flat.detach());
            if (deadAfter > 0) restart(flat.detach());
        }
        Tensor straight = z.add(q.sub(z).detach());
        return new Quantized(straight, idx.reshape(n, h, w), loss);
    }

    /** Index of the nearest code for each row of x [M, D] (i64 [M]): the first of equally near codes, as argmin. */
    static Tensor nearest(Tensor x, Tensor codebook) { return nearestAsFloat(x, codebook).to(DType.I64); }

    /** {@link #nearest} in x's floating type (exact below 2^24 codes): the minimum of the ids where the distance is minimal. */
    private static Tensor nearestAsFloat(Tensor x, Tensor codebook) {
        try (var g = GradMode.off()) {
            Tensor d = x.square().sum(1, true).sub(x.matmul(codebook.mT()).mul(2)).add(codebook.square().sum(1, false));   // [M, K]
            Tensor isMin = d.eq(d.min(1, true));
            int k = codebook.shape(0);
            Tensor ids = Tensor.arange(k).to(d.dtype()).to(d.device());
            return Tensor.where(isMin, ids.expand(d.shape()), ids.fullLike(k)).min(1, false);
        }
    }

    /** [M, K] with a one in each row at its code, from the code ids as floats [M]. */
    private Tensor oneHot(Tensor codeIds) {
        try (var g = GradMode.off()) {
            Tensor ids = Tensor.arange(codes).to(codeIds.dtype()).to(codeIds.device());
            return codeIds.reshape(-1, 1).eq(ids.reshape(1, codes));
        }
    }

    private void emaUpdate(Tensor oneHot, Tensor flat) {
        try (var g = GradMode.off()) {
            Tensor size = clusterSize.get(), sum = embedSum.get();
            size.backend().lerpInto(size, oneHot.sum(0, false).to(size.dtype()), 1 - emaDecay);
            sum.backend().lerpInto(sum, oneHot.mT().matmul(flat).to(sum.dtype()), 1 - emaDecay);
            Tensor total = size.sum();
            Tensor smoothed = size.add(emaEps).div(total.add(codes * emaEps)).mul(total);   // Laplace smoothing, same total
            embedding.weight().copyFrom(sum.div(smoothed.reshape(codes, 1)));
        }
    }

    private void restart(Tensor flat) {
        int m = flat.shape(0);
        try (var g = GradMode.off()) {
            for (int k = 0; k < codes; k++) {
                unusedFor[k] = lastCounts[k] > 0 ? 0 : unusedFor[k] + 1;
                if (unusedFor[k] < deadAfter) continue;
                Tensor row = flat.select(0, restartGen.nextInt(m));
                embedding.weight().data().backend().copyInto(embedding.weight().data().select(0, k), row);
                if (emaEnabled()) {
                    embedSum.get().backend().copyInto(embedSum.get().select(0, k), row);
                    clusterSize.get().backend().copyInto(clusterSize.get().select(0, k), row.scalarLike(1));
                }
                unusedFor[k] = 0;
            }
        }
    }

    /** How often each code was chosen in the last quantisation (null before the first). */
    public long[] lastUsage() { return lastCounts == null ? null : lastCounts.clone(); }

    /** Codes chosen at least once in the last quantisation. */
    public int codesInUse() {
        int used = 0;
        if (lastCounts != null) for (long c : lastCounts) if (c > 0) used++;
        return used;
    }

    /** exp of the entropy of the last quantisation's code frequencies: K for uniform use, 1 for a single code. */
    public double perplexity() {
        if (lastCounts == null) return Double.NaN;
        long total = 0;
        for (long c : lastCounts) total += c;
        double h = 0;
        for (long c : lastCounts) if (c > 0) { double p = (double) c / total; h -= p * Math.log(p); }
        return Math.exp(h);
    }

    public Embedding embedding() { return embedding; }
    public int codes() { return codes; }
    public int dim() { return dim; }
    public double beta() { return beta; }

    @Override protected String extraRepr() { return "codes=" + codes + ", dim=" + dim + ", beta=" + beta + (emaEnabled() ? ", ema=" + emaDecay : ""); }
}
