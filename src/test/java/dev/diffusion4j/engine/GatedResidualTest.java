package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * F.gatedResidual, adaLN-Zero's x + gate[:, None, :] * branch as one op: the composed ops' values, types and gradients
 * (also for a wider residual stream than gate and branch, as an f32 stream with bf16 ones under autocast), its finite-difference check and its
 * shape errors.
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

    @Test
    void refusesShapesThatDoNotFit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> F.gatedResidual(Tensor.zeros(2, 3, 4), Tensor.zeros(2, 5), Tensor.zeros(2, 3, 4)));
        assertTrue(e.getMessage().contains("gate [2, 5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> F.gatedResidual(Tensor.zeros(2, 3, 4), Tensor.zeros(2, 4), Tensor.zeros(2, 4, 4)));
    }
}
