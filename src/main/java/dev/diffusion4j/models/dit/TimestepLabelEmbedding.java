package dev.diffusion4j.models.dit;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.models.DiTConfig;

/**
 * diffusers' DiT conditioning vector (its CombinedTimestepLabelEmbeddings, one copy in every block): the timestep's
 * 256 sinusoidal features with diffusers' frequency shift 1 ({@link TimestepEmbedder#frequencies}) through
 * timestep_embedder.linear_1, SiLU, linear_2, plus class_embedder's row for the label ({@link LabelEmbedder}, whose
 * last row is "no class").
 */
final class TimestepLabelEmbedding extends Module {
    /** diffusers' downscale_freq_shift for DiT: frequencies exp(-ln(10000) i / 127), where the DiT reference divides by 128. */
    static final int FREQ_SHIFT = 1;
    private final TimestepMlp timestep;
    private final LabelEmbedder label;

    TimestepLabelEmbedding(int numClasses, int hiddenSize, Generator gen) {
        timestep = registerModule("timestep_embedder", new TimestepMlp(hiddenSize, gen));
        label = registerModule("class_embedder", new LabelEmbedder(numClasses, hiddenSize, gen));
    }

    /** t [N], labels [N] (null: "no class") -> c [N, D]; the features computed in f32 and cast to dtype, as diffusers does. */
    Tensor forward(Tensor t, Tensor labels, DType dtype) {
        Tensor features = TimestepEmbedder.frequencies(t, FREQ_SHIFT, DType.F32, dtype);
        return timestep.forward(features).add(label.forward(labels, t.shape(0), t.device()));
    }

    TimestepMlp timestep() { return timestep; }
    LabelEmbedder label() { return label; }

    /** linear_1, SiLU, linear_2: the names diffusers' TimestepEmbedding gives the MLP the DiT reference calls mlp.0 and mlp.2. */
    static final class TimestepMlp extends Module {
        private final Linear linear1, linear2;

        TimestepMlp(int hiddenSize, Generator gen) {
            linear1 = registerModule("linear_1", InitLinear.normal(DiTConfig.FREQUENCY_EMBEDDING_SIZE, hiddenSize, 0.02, gen));
            linear2 = registerModule("linear_2", InitLinear.normal(hiddenSize, hiddenSize, 0.02, gen));
        }

        @Override public Tensor forward(Tensor features) { return linear2.forward(F.silu(linear1.forward(features))); }

        Linear linear1() { return linear1; }
        Linear linear2() { return linear2; }
    }
}
