package dev.diffusion4j.nn.optim;

import dev.diffusion4j.nn.Parameter;
import java.util.List;

/** Classic Adam, as torch.optim.Adam: weight decay (if any) is L2, added to the gradient before the moments. */
public final class Adam extends AdamBase {
    public Adam(List<Parameter> params, AdamConfig config) { super(single(params, config), config, false); }

    public Adam(List<Parameter> params, double lr) { this(params, AdamConfig.adamDefaults().withLr(lr)); }

    private Adam(List<ParamGroup> groups, AdamConfig config, Void marker) { super(groups, config, false); }

    public static Adam withGroups(List<ParamGroup> groups, AdamConfig config) { return new Adam(groups, config, null); }
}
