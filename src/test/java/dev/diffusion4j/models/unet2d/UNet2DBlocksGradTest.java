package dev.diffusion4j.models.unet2d;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.models.autoencoder.Downsample;
import dev.diffusion4j.models.autoencoder.MidAttention;
import dev.diffusion4j.models.autoencoder.ResnetBlock;
import dev.diffusion4j.nn.Module;
import dev.diffusion4j.nn.ModuleGradCheck;
import dev.diffusion4j.nn.Parameter;
import dev.diffusion4j.nn.SpatialTransformer;
import org.junit.jupiter.api.Test;

/** f64 finite-difference checks of what the diffusers U-Nets added to the shared blocks, and the time projection's formula. */
class UNet2DBlocksGradTest {
    /** A block with a time embedding, as one module of x: the embedding is a parameter, so its gradient is checked too. */
    static final class WithTemb extends Module {
        private final ResnetBlock block;
        private final Parameter temb;

        WithTemb(ResnetBlock block, Tensor temb) {
            this.block = registerModule("block", block);
            this.temb = registerParameter("temb", temb);
        }

        @Override public Tensor forward(Tensor x) { return block.forward(x, temb.data()); }
    }

    @Test
    void resnetWithTimeEmbeddingAndOutputScale() {
        Generator gen = new Generator(1);
        ResnetBlock b = new ResnetBlock(4, 6, 2, 1e-5, 5, 0, 1.5, gen);
        UNet2DDiffusersParity.randomise(b, gen);
        ModuleGradCheck.check("resnet temb", new WithTemb(b, Tensor.randn(gen, 2, 5)), Tensor.randn(new Generator(2), 2, 4, 3, 3));
    }

    /** resnet_time_scale_shift "scale_shift": the embedding's [scale | shift] on norm2's output. */
    @Test
    void resnetWithScaleShiftTimeEmbedding() {
        Generator gen = new Generator(11);
        ResnetBlock b = new ResnetBlock(4, 4, 2, 1e-5, 5, 0, 1, true, gen);
        UNet2DDiffusersParity.randomise(b, gen);
        ModuleGradCheck.check("resnet scale-shift", new WithTemb(b, Tensor.randn(gen, 2, 5)), Tensor.randn(new Generator(12), 2, 4, 3, 3));
    }

    @Test
    void multiHeadSelfAttentionWithRescale() {
        Generator gen = new Generator(3);
        MidAttention a = new MidAttention(4, 2, 2, 1e-5, 1.5, gen);
        UNet2DDiffusersParity.randomise(a, gen);
        ModuleGradCheck.check("attention 2 heads", a, Tensor.randn(new Generator(4), 2, 4, 2, 2));
    }

    @Test
    void spatialTransformerWithLinearProjections() {
        Generator gen = new Generator(5);
        SpatialTransformer st = new SpatialTransformer(4, 3, 2, 1, 2, true, false, gen);
        UNet2DDiffusersParity.randomise(st, gen);
        Tensor ctx = Tensor.randn(new Generator(6), 2, 3, 3);
        ModuleGradCheck.check("linear-projection transformer", new Module() {
            private final Parameter c = registerParameter("ctx", ctx);
            { registerModule("st", st); }
            @Override public Tensor forward(Tensor x) { return st.forward(x, c.data()); }
        }, Tensor.randn(new Generator(7), 2, 4, 2, 2));
    }

    @Test
    void downsampleWithPaddingOne() {
        ModuleGradCheck.check("downsample padding 1", new Downsample(2, 1, new Generator(8)), Tensor.randn(new Generator(9), 1, 2, 4, 4));
    }

    /** diffusers' Timesteps worked by hand: dim 4 (half 2), shift 1 -> frequencies 1 and 1e-4; flip puts cos first. */
    @Test
    void timeProjectionFollowsDiffusersFormula() {
        Tensor t = Tensor.ofLongs(new long[] {3}, 1);
        double[] e = TimeProjection.embed(t, 4, true, 1).toDoubleArray();
        double[] want = {Math.cos(3), Math.cos(3e-4), Math.sin(3), Math.sin(3e-4)};
        for (int i = 0; i < 4; i++) assertEquals(want[i], e[i], 1e-6);
        // shift 0, no flip: frequencies 1 and 10000^(-1/2); an odd width gets a zero column
        double[] f = TimeProjection.embed(t, 5, false, 0).toDoubleArray();
        double[] want2 = {Math.sin(3), Math.sin(0.03), Math.cos(3), Math.cos(0.03), 0};
        for (int i = 0; i < 5; i++) assertEquals(want2[i], f[i], 1e-6);
    }
}
