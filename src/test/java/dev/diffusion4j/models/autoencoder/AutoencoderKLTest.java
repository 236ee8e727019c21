package dev.diffusion4j.models.autoencoder;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class AutoencoderKLTest {
    /** 2 levels of widths 8 and 16, 4 groups, 2 latent channels: f = 2. */
    static AutoencoderKLConfig tinyConfig() { return AutoencoderKLConfig.of(3, List.of(8, 16), 1, 2, 4, 8, 0.5); }

    @Test
    void sdVaeHasTheReleasedParameterCount() {
        AutoencoderKLConfig c = AutoencoderPresets.kl("sd-vae");
        assertEquals(83_653_863L, c.parameterCount());
        assertEquals(83_653_863L, c.build(new Generator(0)).numParameters());
        assertEquals(8, c.downsampleFactor());
    }

    @Test
    void countFromConfigMatchesTheBuiltModelForEveryPreset() {
        for (String name : AutoencoderPresets.describe().keySet()) {
            if (name.equals("sd-vae")) continue;
            AutoencoderConfig c = AutoencoderPresets.get(name);
            assertEquals(c.parameterCount(), c.build(new Generator(0)).numParameters(), name);
        }
        AutoencoderKLConfig noAttention = new AutoencoderKLConfig(1, 2, List.of("DownEncoderBlock2D"), List.of("UpDecoderBlock2D"), List.of(8), 2,
                "silu", 3, 4, 8, 1, Double.NaN, List.of(), List.of(), false, false, false, false);
        assertEquals(noAttention.parameterCount(), noAttention.build(new Generator(0)).numParameters());
    }

    @Test
    void parameterNamesFollowDiffusers() {
        var keys = tinyConfig().build(new Generator(0)).stateDict().keySet();
        for (String k : List.of("encoder.conv_in.weight", "encoder.down_blocks.0.resnets.0.norm1.weight", "encoder.down_blocks.0.resnets.0.conv1.bias",
                "encoder.down_blocks.0.downsamplers.0.conv.weight", "encoder.down_blocks.1.resnets.0.conv_shortcut.weight",
                "encoder.mid_block.attentions.0.group_norm.weight", "encoder.mid_block.attentions.0.to_q.weight",
                "encoder.mid_block.attentions.0.to_out.0.bias", "encoder.mid_block.resnets.1.conv2.weight", "encoder.conv_norm_out.bias",
                "encoder.conv_out.weight", "quant_conv.weight", "post_quant_conv.bias", "decoder.conv_in.weight",
                "decoder.up_blocks.0.resnets.1.conv2.weight", "decoder.up_blocks.0.upsamplers.0.conv.weight",
                "decoder.up_blocks.1.resnets.0.conv_shortcut.weight", "decoder.conv_out.weight"))
            assertTrue(keys.contains(k), k + " missing");
        assertFalse(keys.contains("decoder.up_blocks.1.upsamplers.0.conv.weight"));
        assertFalse(keys.contains("decoder.up_blocks.0.resnets.2.conv1.weight"));   // layers_per_block 1: two resnets per up block
        assertFalse(keys.contains("encoder.down_blocks.1.downsamplers.0.conv.weight"));
    }

    @Test
    void shapesThroughEncodeAndDecode() {
        AutoencoderKL m = tinyConfig().build(new Generator(1));
        Tensor x = Tensor.randn(new Generator(2), 2, 3, 8, 8);
        try (var g = GradMode.off()) {
            DiagonalGaussian post = m.encode(x);
            assertArrayEquals(new int[] {2, 2, 4, 4}, post.mode().shape());
            assertArrayEquals(new int[] {2, 3, 8, 8}, m.decode(post.latents(new Generator(3))).shape());
            assertEquals(1, post.regularization().numel());
        }
        assertEquals(2, m.downsampleFactor());
        assertEquals(0.5, m.scalingFactor());
        assertSame(m.stateDict().get("decoder.conv_out.weight").storage(), m.lastDecoderWeight().data().storage());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.encode(Tensor.zeros(1, 3, 7, 8)));
        assertTrue(e.getMessage().contains("multiples of 2"), e.getMessage());
    }

    @Test
    void unsupportedLayoutsAreRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> new AutoencoderKLConfig(3, 3, List.of("AttnDownEncoderBlock2D"),
                List.of("UpDecoderBlock2D"), List.of(8), 1, "silu", 4, 4, 8, 1, Double.NaN, List.of(), List.of(), true, true, true, true));
        assertTrue(e.getMessage().contains("'AttnDownEncoderBlock2D'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AutoencoderKLConfig(3, 3, List.of("DownEncoderBlock2D"),
                List.of("UpDecoderBlock2D"), List.of(8), 1, "gelu", 4, 4, 8, 1, Double.NaN, List.of(), List.of(), true, true, true, true));
        assertTrue(e.getMessage().contains("'gelu'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AutoencoderKLConfig.of(3, List.of(8, 12), 1, 4, 8, 8, 1));
        assertTrue(e.getMessage().contains("12"), e.getMessage());
    }
}
