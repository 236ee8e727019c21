package dev.diffusion4j.metrics;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.UNet;
import dev.diffusion4j.models.UNetConfig;

/**
 * A trained diffusion U-Net's encoder as a feature network: the middle block's activations for the clean image
 * (timestep 0, no class), averaged over space. Its channel count at the lowest resolution is the feature length.
 */
public final class EncoderFeatures implements FeatureNetwork {
    private final UNet model;
    private final String name;
    private final String weightsHash;

    public EncoderFeatures(UNet model, String source, String weightsHash) {
        this.model = model;
        this.weightsHash = weightsHash;
        this.name = FeatureNetwork.trainedName("unet-encoder", source, weightsHash);
        model.eval();
    }

    @Override public String name() { return name; }
    @Override public String weightsHash() { return weightsHash; }
    @Override public int dim() {
        UNetConfig c = model.config();
        return c.baseChannels() * c.channelMult()[c.channelMult().length - 1];
    }
    @Override public int inputChannels() { return model.config().inChannels(); }
    @Override public int inputSize() { return model.config().resolution(); }

    @Override public float[] features(Tensor images) {
        Device dev = model.parameters().get(0).data().device();
        Tensor x = ImageAdapter.adapt(images.to(dev), inputChannels(), inputSize());
        Tensor t = Tensor.zeros(DType.I64, dev, x.shape(0));
        return model.encode(x, t, null).mean(new int[] {2, 3}, false).to(Device.CPU).contiguous().toFloatArray();
    }
}
