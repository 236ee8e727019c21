package dev.diffusion4j.diffusion;

import java.util.List;
import java.util.Locale;

/**
 * The one way to build a sampler by name, as {@code diffuse sample --sampler} spells it: the CLI, the trainer's grids,
 * the pipelines and the editing commands all come here (through {@code SampleConfig.create}), so the same name and
 * step count give the same sampler everywhere. Only what a name cannot express builds a sampler itself: diffusers'
 * scheduler timestep lists (interop) and DDIM inversion (pipelines).
 */
public final class Samplers {
    /** The names, in the order help texts list them (text: option descriptions are constants). */
    public static final String NAMES = "ddpm, ddim, euler, euler-a, heun, dpm++2m";
    private static final List<String> NAME_LIST = List.of(NAMES.split(", "));

    private Samplers() {}

    /**
     * The sampler {@code name} over the (unrespaced) training diffusion {@code diffusion}, taking {@code steps} reverse
     * steps (ddpm and ddim respace T to at most T steps; the Karras solvers take exactly {@code steps}); {@code eta} is
     * DDIM's; {@code clipX0} clips each predicted x0 to [-1, 1].
     */
    public static Sampler create(String name, GaussianDiffusion diffusion, int steps, double eta, boolean clipX0) {
        if (steps < 1) throw new IllegalArgumentException("sampling steps must be >= 1, got " + steps);
        Thresholding th = clipX0 ? Thresholding.clip() : Thresholding.none();
        int t = diffusion.steps();
        int n = Math.min(steps, t);
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "ddpm" -> new DdpmSampler(n == t ? diffusion : diffusion.respaced(Integer.toString(n))).withThresholding(th);
            case "ddim" -> new DdimSampler(diffusion.respaced("ddim" + n), eta).withThresholding(th);
            case "euler" -> new KarrasSampler(diffusion, KarrasSampler.Method.EULER, steps).withThresholding(th);
            case "euler-a" -> new KarrasSampler(diffusion, KarrasSampler.Method.EULER_ANCESTRAL, steps).withThresholding(th);
            case "heun" -> new KarrasSampler(diffusion, KarrasSampler.Method.HEUN, steps).withThresholding(th);
            case "dpm++2m" -> new KarrasSampler(diffusion, KarrasSampler.Method.DPMPP_2M, steps).withThresholding(th);
            default -> throw new IllegalArgumentException(unknown(name));
        };
    }

    /** Null when {@code name} is a sampler's name, else the message saying which names there are. */
    public static String check(String name) {
        return NAME_LIST.contains(name.toLowerCase(Locale.ROOT)) ? null : unknown(name);
    }

    private static String unknown(String name) { return "unknown sampler '" + name + "': use " + NAMES; }
}
