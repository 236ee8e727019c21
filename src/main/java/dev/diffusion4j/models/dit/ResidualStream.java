package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.LayerNorm;

/**
 * The tokens between adaLN-Zero sublayers: x, and the last gated branch, not yet added. The next modulated norm adds it
 * and normalises the sum in one op ({@link F#gatedResidualLayerNormModulate}; one pass on CUDA), so the sum is written
 * once and not read back; anything else that reads the stream adds the branch first.
 */
public final class ResidualStream {
    private Tensor x, gate, branch;

    public ResidualStream(Tensor x) { this.x = x; }

    /** Queues x + gate[:, None, :] * branch (gate [B, D], branch [B, L, D]), adding any branch queued before. */
    void addGated(Tensor gate, Tensor branch) {
        x();
        this.gate = gate;
        this.branch = branch;
    }

    /** modulate(norm(x), shift, scale) of the stream, with a queued branch added in the same op where it can be. */
    Tensor modulatedNorm(LayerNorm norm, Tensor shift, Tensor scale) {
        if (gate == null || !Modulation.fusedNorm(norm, x)) return Modulation.modulatedNorm(norm, x(), shift, scale);
        Tensor[] r = F.gatedResidualLayerNormModulate(x, gate, branch, shift, scale, norm.eps());
        x = r[0];
        gate = branch = null;
        return r[1];
    }

    /** Replaces the tokens (with any queued branch added first by the caller, through {@link #x()}). */
    void set(Tensor x) {
        if (gate != null) throw new IllegalStateException("a gated branch is still queued");
        this.x = x;
    }

    /** The tokens, with any queued branch added. */
    public Tensor x() {
        if (gate != null) {
            x = F.gatedResidual(x, gate, branch);
            gate = branch = null;
        }
        return x;
    }
}
