package dev.diffusion4j.metrics;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.FeatureClassifier;

/** The penultimate layer of a {@link FeatureClassifier} trained on the user's labelled data. */
public final class ClassifierFeatures implements FeatureNetwork {
    private final FeatureClassifier model;
    private final String name;
    private final String weightsHash;

    /** @param source where the weights came from (shown in the name); weightsHash a digest of the weights file */
    public ClassifierFeatures(FeatureClassifier model, String source, String weightsHash) {
        this.model = model;
        this.weightsHash = weightsHash;
        this.name = FeatureNetwork.trainedName("classifier", source, weightsHash);
        model.eval();
    }

    @Override public String name() { return name; }
    @Override public String weightsHash() { return weightsHash; }
    @Override public int dim() { return model.config().featureDim(); }
    @Override public int inputChannels() { return model.config().inChannels(); }
    @Override public int inputSize() { return model.config().resolution(); }

    @Override public float[] features(Tensor images) {
        Device dev = model.parameters().get(0).data().device();
        Tensor x = ImageAdapter.adapt(images.to(dev), inputChannels(), inputSize());
        return model.features(x).to(Device.CPU).contiguous().toFloatArray();
    }
}
