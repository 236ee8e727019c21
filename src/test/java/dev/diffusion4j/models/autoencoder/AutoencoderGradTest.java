package dev.diffusion4j.models.autoencoder;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.GradCheck;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.GroupNorm;
import dev.diffusion4j.nn.Init;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleGradCheck;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Finite-difference checks (f64) of the autoencoders' composite layers, on tiny shapes. */
class AutoencoderGradTest {
    /** GroupNorm affine drawn away from (1, 0) so its gradients are not trivially those of the identity. */
    static <M extends Module> M randomNorms(M m, long seed) {
        Generator gen = new Generator(seed);
        for (Module sub : m.namedModules().values())
            if (sub instanceof GroupNorm g) {
                Init.normal(g.weight(), 1, 0.3, gen);
                Init.normal(g.bias(), 0, 0.3, gen);
            }
        return m;
    }

    static Tensor input(long seed, int... shape) { return GradCheck.randn(seed, shape); }

    @Test
    void resnetBlockWithAndWithoutShortcut() {
        ModuleGradCheck.check("resnet 2->4", randomNorms(new ResnetBlock(2, 4, 2, new Generator(1)), 2), input(3, 1, 2, 3, 3));
        ModuleGradCheck.check("resnet 4->4", randomNorms(new ResnetBlock(4, 4, 2, new Generator(4)), 5), input(6, 2, 4, 2, 2));
    }

    @Test
    void midAttention() {
        ModuleGradCheck.check("mid attention", randomNorms(new MidAttention(4, 2, new Generator(7)), 8), input(9, 2, 4, 2, 3));
    }

    @Test
    void downsampleWithItsAsymmetricPadAndUpsample() {
        ModuleGradCheck.check("downsample", new Downsample(2, new Generator(10)), input(11, 1, 2, 4, 4));
        ModuleGradCheck.check("upsample", new Upsample(2, new Generator(12)), input(13, 1, 2, 2, 3));
    }

    @Test
    void posteriorSampleAndKl() {
        // logvar of moments in (-3, 3): inside the clamp, where the gradient is that of the formula
        Tensor moments = GradCheck.rand(14, -3, 3, 2, 4, 2, 2);
        GradCheck.check("posterior sample", t -> new DiagonalGaussian(t[0]).sample(new Generator(15)), moments);
        GradCheck.check("posterior kl", t -> new DiagonalGaussian(t[0]).regularization(), moments);
        GradCheck.check("posterior mode", t -> new DiagonalGaussian(t[0]).mode(), moments);
    }

    @Test
    void aWholeTinyAutoencoderThroughItsPosteriorSample() {
        AutoencoderKL m = randomNorms(AutoencoderKLConfig.of(1, List.of(4, 4), 1, 1, 2, 4, 1).build(new Generator(16)), 17);
        Module sampled = new Module() {
            { registerModule("ae", m); }
            @Override public Tensor forward(Tensor x) { return m.reconstruct(x, new Generator(18)); }
        };
        ModuleGradCheck.check("tiny AutoencoderKL", sampled, input(19, 1, 1, 2, 2).to(DType.F64));
    }
}
