package dev.diffusion4j.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.GradCheck;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import org.junit.jupiter.api.Test;

class TextUNetTest {
    static final UNetConfig PLAIN = new UNetConfig(1, 8, new int[] {1, 2}, 1, new int[] {4}, 8, 0.0, 0, 2, true, false, true, false, 0, 4);
    static final UNetConfig TEXT = PLAIN.withContextDim(6);

    @Test
    void crossAttentionSitsAfterSelfAttentionAndInTheMiddle() {
        UNet m = new UNet(TEXT, new Generator(1));
        var keys = m.stateDict().keySet();
        assertTrue(keys.contains("down.2.2.transformer_blocks.0.attn2.to_k.weight"), keys.toString());
        assertTrue(keys.contains("mid.3.proj_in.weight"));
        assertArrayEquals(new int[] {16, 6}, m.stateDict().get("mid.3.transformer_blocks.0.attn2.to_k.weight").shape());
        // the plain U-Net's names are unchanged and its config JSON has no context_dim
        assertTrue(new UNet(PLAIN, new Generator(1)).stateDict().keySet().stream().noneMatch(k -> k.contains("transformer")));
        assertFalse(PLAIN.toJson().containsKey("context_dim"));
        assertEquals(6, TEXT.toJson().get("context_dim"));
        assertEquals(TEXT, ModelConfig.fromJson(TEXT.toJson()));
    }

    @Test
    void theContextReachesTheOutputThroughTheConditioning() {
        UNet m = new UNet(TEXT, new Generator(2));
        NetworkDenoiser d = new NetworkDenoiser(m);
        Tensor x = Tensor.randn(new Generator(3), 2, 1, 8, 8), t = Tensor.ofLongs(new long[] {3, 500}, 2);
        double[] a = d.apply(x, t, Conditioning.of(NetworkDenoiser.CONTEXT, Tensor.randn(new Generator(4), 2, 3, 6))).toDoubleArray();
        double[] b = d.apply(x, t, Conditioning.of(NetworkDenoiser.CONTEXT, Tensor.randn(new Generator(5), 2, 3, 6))).toDoubleArray();
        assertFalse(java.util.Arrays.equals(a, b));
        assertThrows(IllegalArgumentException.class, () -> m.forward(x, t, null));
        assertThrows(IllegalArgumentException.class, () -> m.forwardWithContext(x, t, null, Tensor.zeros(2, 3, 5)));
        assertThrows(IllegalArgumentException.class, () -> new UNet(PLAIN, new Generator(1)).forwardWithContext(x, t, null, Tensor.zeros(2, 3, 6)));
    }

    static final UNetConfig SD = TEXT.withTransformerOnly(true);

    /** Stable Diffusion's layout: the spatial transformer alone at down.k.1 and mid.1, no qkv self-attention, no mid.3. */
    @Test
    void transformerOnlyLayoutHasNoSeparateSelfAttention() {
        UNet m = new UNet(SD, new Generator(1));
        var keys = m.stateDict().keySet();
        assertTrue(keys.contains("down.2.1.transformer_blocks.0.attn2.to_k.weight"), keys.toString());
        assertTrue(keys.contains("mid.1.proj_in.weight"));
        assertTrue(keys.stream().noneMatch(k -> k.contains("qkv") || k.startsWith("mid.3")), keys.toString());
        assertEquals(true, SD.toJson().get("transformer_only"));
        assertFalse(TEXT.toJson().containsKey("transformer_only"));
        assertEquals(SD, ModelConfig.fromJson(SD.toJson()));
        assertThrows(IllegalArgumentException.class, () -> PLAIN.withTransformerOnly(true));
        // dropping the context drops the layout with it
        assertEquals(PLAIN, SD.withContextDim(0));
    }

    @Test
    void transformerOnlyGradientsReachTheInputAndContextInFloat64() {
        UNet m = new UNet(SD, new Generator(9));
        m.to(DType.F64);
        Tensor t = Tensor.ofLongs(new long[] {40}, 1);
        GradCheck.check("sd-layout unet", in -> m.forwardWithContext(in[0], t, null, in[1]), GradCheck.randn(10, 1, 1, 8, 8), GradCheck.randn(11, 1, 2, 6));
    }

    @Test
    void gradientReachesTheContextInFloat64() {
        UNet m = new UNet(TEXT, new Generator(6));
        m.to(DType.F64);
        Tensor x = GradCheck.randn(7, 1, 1, 8, 8), t = Tensor.ofLongs(new long[] {40}, 1);
        GradCheck.check("text unet context", in -> m.forwardWithContext(x, t, null, in[0]), GradCheck.randn(8, 1, 2, 6));
    }
}
