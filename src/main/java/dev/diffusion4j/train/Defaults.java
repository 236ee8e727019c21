package dev.diffusion4j.train;

/**
 * The one place that states a training run's defaults: the library's config records ({@link OptimConfig},
 * {@link DiffusionConfig}, {@link TrainConfig}, {@link SampleConfig}) read them in their JSON defaults and {@code
 * diffuse train} in its option defaults, so a config.json that leaves a key out and a command line that leaves a flag
 * out mean the same run. Text, because annotations take only constants. Defaults that depend on the model family
 * (learning rate, variance, loss, weighting) start here as the U-Net's and are completed by {@link TrainDefaults}.
 */
public final class Defaults {
    private Defaults() {}

    // optimisation
    public static final String BATCH_SIZE = "32";
    public static final String GRAD_ACCUM = "1";
    public static final String LR = "1e-3";                 // U-Net presets; DiT presets: TrainDefaults
    public static final String WARMUP = "100";
    public static final String LR_SCHEDULE = "cosine";
    public static final String WEIGHT_DECAY = "0.0";
    public static final String GRAD_CLIP = "1.0";
    public static final String EMA_DECAY = "0.995";

    // the diffusion process and objective
    public static final String SCHEDULE = "cosine";
    public static final String TIMESTEPS = "1000";
    public static final String PARAMETERIZATION = "eps";
    public static final String VARIANCE = "fixed-small";    // U-Net presets; DiT presets: TrainDefaults
    public static final String LOSS = "simple";             // U-Net presets; DiT presets: TrainDefaults
    public static final String DISTANCE = "l2";
    public static final String WEIGHTING = "min-snr";       // U-Net presets; DiT presets: TrainDefaults
    public static final String MIN_SNR_GAMMA = "5.0";       // Hang et al. 2023; p2's is TrainDefaults.gamma("p2")
    public static final String TIMESTEP_SAMPLER = "uniform";
    public static final String OFFSET_NOISE = "0.0";

    // the run
    public static final String LABEL_DROPOUT = "0.1";
    public static final String SEED = "0";
    public static final String LOG_EVERY = "10";
    public static final String SAMPLE_EVERY = "500";
    public static final String CHECKPOINT_EVERY = "500";
    public static final String KEEP_CHECKPOINTS = "2";

    // the sample grids drawn while training
    public static final String SAMPLER = "ddim";
    public static final String SAMPLE_STEPS = "25";
    public static final String GRID_SIZE = "64";
}
