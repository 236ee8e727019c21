package dev.diffusion4j.metrics;

import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.FidInceptionV3;

/** pytorch-fid's InceptionV3 pool3 features (2048-d): the numbers computed with them are FID and KID proper. */
public final class InceptionFeatures implements FeatureNetwork {
    public static final String NAME = "inception-v3-fid";
    private final FidInceptionV3 model;
    private final Device device;
    private final String weightsHash;

    public InceptionFeatures(FidInceptionV3 model, Device device, String weightsHash) {
        this.model = model;
        this.device = device;
        this.weightsHash = weightsHash;
    }

    @Override public String name() { return NAME; }
    @Override public String weightsHash() { return weightsHash; }
    @Override public int dim() { return FidInceptionV3.FEATURES; }
    @Override public int inputChannels() { return 3; }
    @Override public int inputSize() { return 0; }

    @Override public float[] features(Tensor images) {
        Tensor x = ImageAdapter.adapt(images.to(device), 3, 0);
        return model.pool3(x).to(Device.CPU).contiguous().toFloatArray();
    }
}
