package dev.diffusion4j.nn.optim;

import dev.diffusion4j.nn.Parameter;
import java.util.List;

/** Adam with decoupled weight decay (Loshchilov and Hutter): p *= 1 - lr*wd before the Adam update, as torch.optim.AdamW. */
public final class AdamW extends AdamBase {
    public AdamW(List<Parameter> params, AdamConfig config) { super(single(params, config), config, true); }

    /** AdamW with PyTorch's defaults but the given learning rate and weight decay. */
    public AdamW(List<Parameter> params, double lr, double weightDecay) {
        this(params, AdamConfig.adamWDefaults().withLr(lr).withWeightDecay(weightDecay));
    }

    // the unused marker keeps this constructor's erasure apart from the List<Parameter> one
    private AdamW(List<ParamGroup> groups, AdamConfig config, Void marker) { super(groups, config, true); }

    /** Groups with their own weight decay (e.g. 0 for biases and norms); the config's weight decay is unused. */
    public static AdamW withGroups(List<ParamGroup> groups, AdamConfig config) { return new AdamW(groups, config, null); }
}
