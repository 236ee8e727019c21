package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * F.gatedResidual, adaLN-Zero's x + gate[:, None, :] * branch as one op: the composed ops' values, types and gradients
 * (also for a wider residual stream than gate and branch, as an f32 stream with bf16 ones under autocast), its finite-difference check and its
 * shape errors; and F.gatedResidualLayerNormModulate, the same sum with the next modulated norm of it.
 */
class GatedResidualTest {
    @Test
    void equalsTheComposedOpsInValueTypeAndGradient() {
        for (DType low : new DType[] {DType.F64, DType.F32}) {
            Tensor x = GradCheck.randn(1, 2, 5, 8), gate = GradCheck.randn(2, 2, 24).slice(1, 8, 16).to(low), branch = GradCheck.randn(3, 2, 5, 8).to(low);
            Tensor gy = GradCheck.randn(4, 2, 5, 8);
            Tensor[] ref = {x.detach().requiresGrad(true), gate.detach().requiresGrad(true), branch.detach().requiresGrad(true)};
            Tensor[] got = {x.detach().requiresGrad(true), gate.detach().requiresGrad(true), branch.detach().requiresGrad(true)};
            Tensor yRef = ref[0].add(ref[1].unsqueeze(1).mul(ref[2]));
            Tensor y = F.gatedResidual(got[0], got[1], got[2]);
            assertEquals(yRef.dtype(), y.dtype(), low + ": type");
            assertArrayEquals(yRef.toDoubleArray(), y.toDoubleArray(), 0, low + ": forward");
            yRef.backward(gy);
            y.backward(gy);
            for (int i = 0; i < 3; i++) {
                assertEquals(ref[i].grad().dtype(), got[i].grad().dtype(), low + ": gradient type " + i);
                assertArrayEquals(ref[i].grad().toDoubleArray(), got[i].grad().toDoubleArray(), 0, low + ": gradient " + i);
            }
        }
    }

    @Test
    void passesTheFiniteDifferenceCheck() {
        GradCheck.check("gatedResidual", t -> F.gatedResidual(t[0], t[1], t[2]), GradCheck.randn(5, 2, 3, 4), GradCheck.randn(6, 2, 4), GradCheck.randn(7, 2, 3, 4));
    }

    /**
     * F.gatedResidualLayerNormModulate: the two ops it stands for, bit for bit, with the gate a chunk of the modulation;
     * the loss's terms in both orders, so that the sum's other gradient reaches it before the norm's backward (whose
     * residual gradients the residual's backward then takes) and after it (then the residual computes its own).
     */
    @Test
    void withTheNextNormEqualsTheTwoOps() {
        for (DType low : new DType[] {DType.F64, DType.F32})
            for (boolean normFirst : new boolean[] {false, true}) {
                Tensor x = GradCheck.randn(11, 2, 5, 8), mod = GradCheck.randn(12, 2, 24).to(low), branch = GradCheck.randn(13, 2, 5, 8).to(low);
                Tensor gs = GradCheck.randn(14, 2, 5, 8), gh = GradCheck.randn(15, 2, 5, 8);
                Tensor[] ref = {x.detach().requiresGrad(true), mod.detach().requiresGrad(true), branch.detach().requiresGrad(true)};
                Tensor[] got = {x.detach().requiresGrad(true), mod.detach().requiresGrad(true), branch.detach().requiresGrad(true)};
                Tensor[] mr = ref[1].chunk(3, 1), mg = got[1].chunk(3, 1);
                Tensor sRef = F.gatedResidual(ref[0], mr[2], ref[2]), hRef = F.layerNormModulate(sRef, mr[0], mr[1], 1e-6);
                Tensor[] r = F.gatedResidualLayerNormModulate(got[0], mg[2], got[2], mg[0], mg[1], 1e-6);
                assertEquals(sRef.dtype(), r[0].dtype(), low + ": sum type");
                assertEquals(hRef.dtype(), r[1].dtype(), low + ": norm type");
                assertArrayEquals(sRef.toDoubleArray(), r[0].toDoubleArray(), 0, low + ": sum");
                assertArrayEquals(hRef.toDoubleArray(), r[1].toDoubleArray(), 0, low + ": norm");
                sRef.mul(gs).add(hRef.mul(gh.to(hRef.dtype()))).sum().backward();
                Tensor sTerm = r[0].mul(gs).sum(), hTerm = r[1].mul(gh.to(r[1].dtype())).sum().to(sTerm.dtype());
                (normFirst ? hTerm.add(sTerm) : sTerm.add(hTerm)).backward();
                for (int i = 0; i < 3; i++)
                    assertArrayEquals(ref[i].grad().toDoubleArray(), got[i].grad().toDoubleArray(), 0, low + (normFirst ? ", norm first" : "") + ": gradient " + i);
            }
    }

    @Test
    void withTheNextNormPassesTheFiniteDifferenceCheck() {
        GradCheck.check("gatedResidualLayerNormModulate", t -> {
            Tensor[] r = F.gatedResidualLayerNormModulate(t[0], t[1], t[2], t[3], t[4], 1e-5);
            return Tensor.cat(0, r[0].flatten(), r[1].flatten());
        }, GradCheck.randn(16, 2, 3, 4), GradCheck.randn(17, 2, 4), GradCheck.randn(18, 2, 3, 4), GradCheck.randn(19, 2, 4), GradCheck.randn(20, 2, 4));
    }

    @Test
    void refusesShapesThatDoNotFit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> F.gatedResidual(Tensor.zeros(2, 3, 4), Tensor.zeros(2, 5), Tensor.zeros(2, 3, 4)));
        assertTrue(e.getMessage().contains("gate [2, 5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> F.gatedResidual(Tensor.zeros(2, 3, 4), Tensor.zeros(2, 4), Tensor.zeros(2, 4, 4)));
    }
}
