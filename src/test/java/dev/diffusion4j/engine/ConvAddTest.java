package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** F.conv2dAdd: the values and gradients of conv2d(...).add(residual), with a residual that promotes or does not fit. */
class ConvAddTest {
    private static Tensor rn(long seed, int... shape) { return Tensor.randn(new Generator(seed), shape); }

    @Test
    void sameValuesAndGradientsAsConvThenAdd() {
        Tensor x = rn(1, 2, 3, 6, 5).requiresGrad(true), w = rn(2, 4, 3, 3, 3).requiresGrad(true), b = rn(3, 4).requiresGrad(true);
        Tensor r = rn(4, 2, 4, 6, 5).requiresGrad(true), up = rn(5, 2, 4, 6, 5);
        Tensor fused = F.conv2dAdd(x, w, b, Conv2dParams.of(1, 1), r);
        fused.mul(up).sum().backward();
        Tensor[] g1 = {x.grad(), w.grad(), b.grad(), r.grad()};
        for (Tensor t : new Tensor[] {x, w, b, r}) t.setGrad(null);
        Tensor plain = r.add(F.conv2d(x, w, b, 1, 1));
        plain.mul(up).sum().backward();
        assertArrayEquals(plain.toDoubleArray(), fused.toDoubleArray(), 0.0, "the same adds in the same order");
        Tensor[] g2 = {x.grad(), w.grad(), b.grad(), r.grad()};
        for (int i = 0; i < 4; i++) assertArrayEquals(g2[i].toDoubleArray(), g1[i].toDoubleArray(), 1e-12, "gradient " + i);
    }

    @Test
    void aResidualOfAnotherTypePromotesAndAWrongShapeIsRefused() {
        Tensor x = rn(6, 1, 2, 4, 4), w = rn(7, 3, 2, 1, 1);
        Tensor y = F.conv2dAdd(x, w, null, Conv2dParams.of(1, 0), rn(8, 1, 3, 4, 4).to(DType.F64));
        assertEquals(DType.F64, y.dtype());
        assertArrayEquals(F.conv2d(x, w, null, 1, 0).to(DType.F64).add(rn(8, 1, 3, 4, 4).to(DType.F64)).toDoubleArray(), y.toDoubleArray(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> F.conv2dAdd(x, w, null, Conv2dParams.of(1, 0), rn(9, 1, 3, 5, 4)));
    }
}
