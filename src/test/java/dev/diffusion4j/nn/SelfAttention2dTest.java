package dev.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelfAttention2dTest {
    /** 4 channels, 2 heads, GroupNorm(2); norm affine drawn too so every parameter matters. */
    static SelfAttention2d block(SelfAttention2d.QkvLayout layout) {
        Generator gen = new Generator(42);
        SelfAttention2d att = new SelfAttention2d(4, 2, 2, false, gen);
        Init.normal(att.norm().weight(), 1, 0.3, gen);
        Init.normal(att.norm().bias(), 0, 0.3, gen);
        if (layout == SelfAttention2d.QkvLayout.HEADS_FIRST) return att;
        SelfAttention2d other = new SelfAttention2d(4, 2, 2, false, layout, new Generator(1));
        other.loadStateDict(att.stateDict(), true);
        return other;
    }

    static Tensor input() { return Tensor.randn(new Generator(7), 1, 4, 2, 2); }

    // torch 1.13 (float64) running guided-diffusion's AttentionBlock math (QKVAttentionLegacy / QKVAttention) on the
    // weights and input above
    static final double[] TORCH_LEGACY = {0.012910373, -0.29396188, 1.8707037, 1.1329318, -0.20275526, -1.8354125, 1.3135753,
        -0.98323667, 3.9615301, 0.93023164, 1.1482134, 0.22848717, 0.21742213, 1.5698488, 1.4067383, 1.6509976};
    static final double[] TORCH_NEW_ORDER = {-0.00039906848, -0.29405152, 1.7549501, 1.0547017, -0.20800887, -1.8890612, 1.218184,
        -1.0932037, 3.8561015, 0.83728177, 1.0286281, 0.12476229, 0.38521843, 1.7424359, 1.6402802, 1.8762746};

    @Test
    void matchesPyTorchForBothQkvLayouts() {
        assertArrayEquals(TORCH_LEGACY, block(SelfAttention2d.QkvLayout.HEADS_FIRST).forward(input()).toDoubleArray(), 2e-6);
        assertArrayEquals(TORCH_NEW_ORDER, block(SelfAttention2d.QkvLayout.QKV_FIRST).forward(input()).toDoubleArray(), 2e-6);
    }

    @Test
    void namesAndShapesFollowAdm() {
        SelfAttention2d att = new SelfAttention2d(8, 2, 4, false, new Generator(1));
        assertEquals(List.of("norm.weight", "norm.bias", "qkv.weight", "qkv.bias", "proj_out.weight", "proj_out.bias"),
                List.copyOf(att.stateDict().keySet()));
        assertArrayEquals(new int[] {24, 8, 1, 1}, att.qkv().weight().shape());
        assertEquals("""
                SelfAttention2d(
                  heads=2, layout=heads_first
                  (norm): GroupNorm(4, 8, eps=1e-05, affine=True)
                  (qkv): Conv2d(8, 24, kernel_size=(1, 1), stride=(1, 1))
                  (proj_out): Conv2d(8, 8, kernel_size=(1, 1), stride=(1, 1))
                )""", att.toString());
        assertEquals(4, SelfAttention2d.withHeadChannels(16, 4, 4, false, new Generator(1)).heads());
        assertThrows(IllegalArgumentException.class, () -> new SelfAttention2d(8, 3, 4, false, new Generator(1)));
        assertThrows(IllegalArgumentException.class, () -> att.forward(Tensor.zeros(1, 4, 2, 2)));
    }

    @Test
    void zeroInitialisedOutputMakesTheBlockTheIdentity() {
        SelfAttention2d att = new SelfAttention2d(4, 1, 2, true, new Generator(3));
        Tensor x = input();
        assertArrayEquals(x.toFloatArray(), att.forward(x).toFloatArray());
        for (float v : att.projOut().weight().data().toFloatArray()) assertEquals(0f, v);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        for (SelfAttention2d.QkvLayout layout : SelfAttention2d.QkvLayout.values())
            ModuleGradCheck.check("attention " + layout, block(layout), input());
    }
}
