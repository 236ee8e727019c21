package dev.diffusion4j.models;

import dev.diffusion4j.engine.Generator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Hyper-parameters of the Diffusion Transformer (Peebles and Xie 2023). The standard sizes S, B, L and XL are
 * (depth, hidden, heads) = (12, 384, 6), (12, 768, 12), (24, 1024, 16), (28, 1152, 16).
 *
 * @param inChannels image (or latent) channels
 * @param resolution square input size; the token grid is resolution / patchSize on each side
 * @param patchSize  side of the square patches that become tokens
 * @param hiddenSize token width D (a multiple of 4 for the 2-D sin-cos position table, and of numHeads)
 * @param depth      number of adaLN-Zero transformer blocks
 * @param numHeads   attention heads
 * @param mlpRatio   MLP hidden width over D
 * @param numClasses class-conditional when > 0 (a label table with one extra "no class" row)
 * @param learnSigma doubled outputs for learned-range variance
 * @param contextDim text-conditioned when > 0: every block cross-attends to a context [N, L, contextDim] (a text
 *                   encoder's hidden states) and the context's mean token is added to the conditioning vector; 0 (not
 *                   written to JSON) for none
 */
public record DiTConfig(int inChannels, int resolution, int patchSize, int hiddenSize, int depth, int numHeads,
                        @JsonProperty(defaultValue = "4.0") double mlpRatio, @JsonProperty(defaultValue = "0") int numClasses,
                        @JsonProperty(defaultValue = "false") boolean learnSigma,
                        @JsonProperty(defaultValue = "0") @JsonInclude(JsonInclude.Include.NON_DEFAULT) int contextDim) implements ModelConfig {
    public static final String ARCH = "dit";
    /** Sinusoidal frequencies fed to the timestep MLP (fixed at 256 in the reference). */
    public static final int FREQUENCY_EMBEDDING_SIZE = 256;

    public DiTConfig {
        if (inChannels < 1 || resolution < 1 || patchSize < 1 || depth < 1 || numHeads < 1 || numClasses < 0)
            throw new IllegalArgumentException("DiT sizes must be positive: channels " + inChannels + ", resolution " + resolution
                    + ", patch " + patchSize + ", depth " + depth + ", heads " + numHeads + ", classes " + numClasses);
        if (resolution % patchSize != 0)
            throw new IllegalArgumentException("DiT input size " + resolution + " is not a multiple of the patch size " + patchSize
                    + "; pass an --image-size that is");
        if (hiddenSize < 4 || hiddenSize % 4 != 0)
            throw new IllegalArgumentException("DiT hidden size must be a positive multiple of 4 (2-D sin-cos positions), got " + hiddenSize);
        if (hiddenSize % numHeads != 0)
            throw new IllegalArgumentException("DiT hidden size " + hiddenSize + " cannot be split into " + numHeads + " heads");
        if (!(mlpRatio > 0) || (int) (hiddenSize * mlpRatio) < 1)
            throw new IllegalArgumentException("DiT MLP ratio must be positive, got " + mlpRatio);
        if (contextDim < 0) throw new IllegalArgumentException("DiT context_dim must be >= 0 (0: no cross-attention), got " + contextDim);
    }

    /** A DiT without text conditioning (class-conditional when numClasses > 0, else unconditional). */
    public DiTConfig(int inChannels, int resolution, int patchSize, int hiddenSize, int depth, int numHeads, double mlpRatio, int numClasses,
                     boolean learnSigma) {
        this(inChannels, resolution, patchSize, hiddenSize, depth, numHeads, mlpRatio, numClasses, learnSigma, 0);
    }

    /** Tokens per side of the patch grid. */
    public int gridSize() { return resolution / patchSize; }

    public int numTokens() { return gridSize() * gridSize(); }

    public int mlpHidden() { return (int) (hiddenSize * mlpRatio); }

    @Override public String arch() { return ARCH; }

    @Override public DiT build(Generator gen) { return new DiT(this, gen); }

    @Override public DiTConfig withLearnSigma(boolean v) {
        return new DiTConfig(inChannels, resolution, patchSize, hiddenSize, depth, numHeads, mlpRatio, numClasses, v, contextDim);
    }

    @Override public DiTConfig withClasses(int n) {
        return new DiTConfig(inChannels, resolution, patchSize, hiddenSize, depth, numHeads, mlpRatio, n, learnSigma, contextDim);
    }

    @Override public DiTConfig withInput(int channels, int res) {
        return new DiTConfig(channels, res, patchSize, hiddenSize, depth, numHeads, mlpRatio, numClasses, learnSigma, contextDim);
    }

    /** This DiT with cross-attention to a context of width {@code d} in every block (0: none). */
    @Override public DiTConfig withContextDim(int d) {
        return new DiTConfig(inChannels, resolution, patchSize, hiddenSize, depth, numHeads, mlpRatio, numClasses, learnSigma, d);
    }

    /**
     * Scalars the built model holds, counting the fixed position table as the reference does (it is a
     * parameter there, frozen): lets a preset's size be stated without allocating an XL model.
     */
    public long parameterCount() {
        long d = hiddenSize, p = patchSize, h = mlpHidden();
        long patch = d * inChannels * p * p + d;
        long time = FREQUENCY_EMBEDDING_SIZE * d + d + d * d + d;
        long label = numClasses > 0 ? (numClasses + 1L) * d : 0;
        long pos = (long) numTokens() * d;
        long block = (3 * d * d + 3 * d) + (d * d + d) + (h * d + h) + (d * h + d) + (6 * d * d + 6 * d);
        long last = d * p * p * outChannels() + p * p * outChannels() + 2 * d * d + 2 * d;
        long ctx = contextDim;   // text: per block to_q, to_k, to_v (bias-free), to_out.0; once the pooled projection
        long text = contextDim > 0 ? depth * (d * d + 2 * ctx * d + d * d + d) + ctx * d + d : 0;
        return patch + time + label + pos + depth * block + last + text;
    }
}
