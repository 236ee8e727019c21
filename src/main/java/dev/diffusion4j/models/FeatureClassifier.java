package dev.diffusion4j.models;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Conv2d;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.Linear;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleList;

/**
 * A small convolutional image classifier (five conv + GroupNorm + SiLU stages with two stride-2 downsamplings, global
 * average pooling, a hidden linear layer, a linear head). Trained on a user's labelled data, its hidden layer after the
 * SiLU is the feature vector of {@link dev.diffusion4j.metrics.ClassifierFeatures}.
 */
public final class FeatureClassifier extends Module {
    private final FeatureClassifierConfig cfg;
    private final ModuleList<ConvStage> stages = new ModuleList<>();
    private final Linear hidden;
    private final Linear head;

    public FeatureClassifier(FeatureClassifierConfig cfg, Generator gen) {
        this.cfg = cfg;
        int w = cfg.width();
        int[][] plan = {{cfg.inChannels(), w, 1}, {w, w, 1}, {w, 2 * w, 2}, {2 * w, 2 * w, 1}, {2 * w, 4 * w, 2}};
        for (int[] p : plan) stages.add(new ConvStage(p[0], p[1], p[2], gen));
        registerModule("stages", stages);
        hidden = registerModule("hidden", new Linear(4 * w, cfg.featureDim(), gen));
        head = registerModule("head", new Linear(cfg.featureDim(), cfg.numClasses(), gen));
    }

    public FeatureClassifierConfig config() { return cfg; }

    /** The feature vectors {@code [N, featureDim]} of images {@code [N, C, H, W]}. */
    public Tensor features(Tensor x) {
        if (x.rank() != 4 || x.shape(1) != cfg.inChannels() || x.shape(2) != cfg.resolution() || x.shape(3) != cfg.resolution())
            throw new IllegalArgumentException("the feature classifier reads [N, " + cfg.inChannels() + ", " + cfg.resolution() + ", "
                    + cfg.resolution() + "] images, got " + java.util.Arrays.toString(x.shape()));
        Tensor h = x;
        for (ConvStage s : stages) h = s.forward(h);
        return dev.diffusion4j.engine.F.silu(hidden.forward(h.mean(new int[] {2, 3}, false)));
    }

    /** Class logits {@code [N, numClasses]}. */
    @Override public Tensor forward(Tensor x) { return head.forward(features(x)); }

    /** conv 3x3 (padding 1, given stride), then GroupNorm with SiLU. */
    static final class ConvStage extends Module {
        private final Conv2d conv;
        private final GroupNorm norm;

        ConvStage(int in, int out, int stride, Generator gen) {
            conv = registerModule("conv", new Conv2d(in, out, 3, stride, 1, gen));
            norm = registerModule("norm", new GroupNorm(8, out));
        }

        @Override public Tensor forward(Tensor x) { return norm.forwardSilu(conv.forward(x)); }
    }
}
