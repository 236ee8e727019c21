package dev.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.engine.Autocast;
import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.engine.UnaryOp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * F.layerNormModulate under bf16 autocast, as DiT runs it: f32 tokens, bf16 shift and scale read as chunks of one
 * modulation, a bf16 result from the f32-to-bf16 kernel; values and gradients against the CPU in f64 from the same
 * inputs. (The same-type kernels are in ParityCases.)
 */
@Tag("gpu")
class CudaLayerNormModulateTest {
    @AfterEach
    void restore() {
        CudaNorm.setVectorRows(CudaNorm.VECTOR_ROWS_DEFAULT);
        CudaNorm.setVectorBackward(CudaNorm.VECTOR_BACKWARD_DEFAULT);
        CudaNorm.setBranchSums(CudaNorm.BRANCH_SUMS_DEFAULT);
        CudaNorm.setOnesColumn(CudaNorm.ONES_COLUMN_DEFAULT);
    }

    /**
     * vectorRows: the forward as ln_mod_fwd_vec and the backward as ln_mod_bwd_vec (rows held in registers, the
     * defaults), or ln_mod_fwd and ln_mod_bwd with ln_mod_partials.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void autocastGivesBf16FromF32Tokens(boolean vectorRows) {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Backends.get(cuda);
        CudaNorm.setVectorRows(vectorRows);
        CudaNorm.setVectorBackward(vectorRows);
        int b = 3, l = 70, c = 384;
        Tensor x = Tensor.randn(new Generator(1), b, l, c).mul(2).add(0.5);
        Tensor mod = Tensor.randn(new Generator(2), b, 6 * c).mul(0.3).to(DType.BF16).to(DType.F32);
        Tensor w = Tensor.randn(new Generator(3), b, l, c).to(DType.BF16).to(DType.F32);
        Tensor xr = x.to(DType.F64).requiresGrad(true), mr = mod.to(DType.F64).requiresGrad(true);
        Tensor xd = x.to(cuda).requiresGrad(true), md = mod.to(DType.BF16).to(cuda).requiresGrad(true);
        Tensor[] chunks = mr.chunk(6, 1);
        Tensor yr = F.layerNormModulate(xr, chunks[3], chunks[4], 1e-6);
        Tensor yd;
        long before = CudaNorm.vectorRowLaunches();
        try (var ac = Autocast.bf16()) {
            Tensor[] cd = md.chunk(6, 1);
            yd = F.layerNormModulate(xd, cd[3], cd[4], 1e-6);
        }
        assertEquals(vectorRows, CudaNorm.vectorRowLaunches() > before, "ln_mod_fwd_vec ran");
        assertEquals(DType.BF16, yd.dtype());
        yr.mul(w.to(DType.F64)).sum().backward();
        long backwardsBefore = CudaNorm.vectorBackwards();
        yd.mul(w.to(DType.BF16).to(cuda)).sum().backward();
        assertEquals(vectorRows, CudaNorm.vectorBackwards() > backwardsBefore, "ln_mod_bwd_vec ran");
        assertEquals(DType.F32, xd.grad().dtype());
        double ey = CudaParityTest.relErr(yr.toDoubleArray(), yd.toDoubleArray());
        double ex = CudaParityTest.relErr(xr.grad().toDoubleArray(), xd.grad().toDoubleArray());
        double em = CudaParityTest.relErr(mr.grad().toDoubleArray(), md.grad().toDoubleArray());
        System.out.printf("layerNormModulate autocast bf16 vs CPU f64 (vector rows %b): y %.2e, dx %.2e, dshift/dscale %.2e%n", vectorRows, ey, ex, em);
        assertTrue(ey <= CudaParityTest.BF16_TOL, "y " + ey);
        assertTrue(ex <= CudaParityTest.BF16_TOL, "dx " + ex);
        assertTrue(em <= CudaParityTest.BF16_TOL, "dshift/dscale " + em);
    }

    /**
     * A residual stream beside its norm, as in DiT: h feeds the norm and a term of its own, whose gradient reaches h
     * first; the norm's one-pass backward takes it over and adds it as it writes dx (no add pass after). dx against the
     * CPU in f64.
     */
    @org.junit.jupiter.api.Test
    void theNormsBackwardAddsTheResidualGradientAsItWritesDx() {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Backends.get(cuda);
        int b = 3, l = 70, c = 384;
        Tensor x = Tensor.randn(new Generator(11), b, l, c).mul(2).add(0.5);
        Tensor mod = Tensor.randn(new Generator(12), b, 6 * c).mul(0.3).to(DType.BF16).to(DType.F32);
        Tensor w = Tensor.randn(new Generator(13), b, l, c).to(DType.BF16).to(DType.F32), w2 = Tensor.randn(new Generator(14), b, l, c);
        Tensor xr = x.to(DType.F64).requiresGrad(true), xd = x.to(cuda).requiresGrad(true);
        Tensor[] cr = mod.to(DType.F64).chunk(6, 1);
        Tensor hr = xr.mul(1.5);
        F.layerNormModulate(hr, cr[3], cr[4], 1e-6).mul(w.to(DType.F64)).sum().add(hr.mul(w2.to(DType.F64)).sum()).backward();
        long before = CudaNorm.foldedAddends();
        try (var ac = Autocast.bf16()) {
            Tensor[] cd = mod.to(DType.BF16).to(cuda).chunk(6, 1);
            Tensor hd = xd.mul(1.5);
            Tensor y = F.layerNormModulate(hd, cd[3], cd[4], 1e-6);
            y.mul(w.to(DType.BF16).to(cuda)).sum().add(hd.mul(w2.to(cuda)).sum()).backward();
        }
        assertTrue(CudaNorm.foldedAddends() > before, "the norm's backward did not take the residual's gradient over");
        double ex = CudaParityTest.relErr(xr.grad().toDoubleArray(), xd.grad().toDoubleArray());
        System.out.printf("layerNormModulate backward with the residual's gradient folded in, bf16 autocast vs CPU f64: dx %.2e%n", ex);
        assertTrue(ex <= CudaParityTest.BF16_TOL, "dx " + ex);
    }

    /**
     * F.gatedResidualLayerNormModulate under bf16 autocast as DiT runs it (f32 stream, bf16 gate, branch, shift and
     * scale): one pass (gated_ln_mod_fwd_vec, and ln_mod_bwd_gated_vec back) against gated_add then ln_mod_fwd_vec (and
     * their backwards), values and gradients, and the one-pass gradients against the CPU in f64.
     */
    @org.junit.jupiter.api.Test
    void gatedResidualWithTheNormInOnePassEqualsTheTwoKernels() {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Backends.get(cuda);
        int b = 3, l = 70, c = 384;
        Tensor x = Tensor.randn(new Generator(4), b, l, c).to(cuda);
        Tensor mod = Tensor.randn(new Generator(5), b, 6 * c).mul(0.3).to(DType.BF16).to(cuda);
        Tensor branch = Tensor.randn(new Generator(6), b, l, c).to(DType.BF16).to(cuda);
        Tensor ws = Tensor.randn(new Generator(7), b, l, c).to(cuda), wh = Tensor.randn(new Generator(8), b, l, c).to(DType.BF16).to(cuda);
        Tensor[][] grads = new Tensor[2][];
        Tensor[][] outs = new Tensor[2][];
        for (int fused = 0; fused < 2; fused++) {
            Tensor xg = x.detach().requiresGrad(true), mg = mod.detach().requiresGrad(true), bg = branch.detach().requiresGrad(true);
            long before = CudaNorm.gatedNormLaunches(), beforeBackward = CudaNorm.gatedNormBackwards();
            try (var ac = Autocast.bf16()) {
                Tensor[] m = mg.chunk(6, 1);
                if (fused == 1) {
                    outs[fused] = F.gatedResidualLayerNormModulate(xg, m[2], bg, m[3], m[4], 1e-6);
                } else {
                    Tensor s = F.gatedResidual(xg, m[2], bg);
                    outs[fused] = new Tensor[] {s, F.layerNormModulate(s, m[3], m[4], 1e-6)};
                }
            }
            assertEquals(fused == 1, CudaNorm.gatedNormLaunches() > before, "gated_ln_mod_fwd_vec ran");
            assertEquals(DType.F32, outs[fused][0].dtype());
            assertEquals(DType.BF16, outs[fused][1].dtype());
            long residualBackwards = CudaElementwise.gatedResidualBackwards();
            // the norm's term first: the sum's other gradient then reaches it before the norm's backward runs, as in
            // DiT (where the next residual adds the sum), so the residual takes the gradients of the norm's pass
            outs[fused][1].mul(wh).sum().to(DType.F32).add(outs[fused][0].mul(ws).sum()).backward();
            assertEquals(fused == 1, CudaNorm.gatedNormBackwards() > beforeBackward, "ln_mod_bwd_gated_vec ran");
            if (fused == 1) assertEquals(residualBackwards, CudaElementwise.gatedResidualBackwards(), "the residual's own backward ran");
            grads[fused] = new Tensor[] {xg.grad(), mg.grad(), bg.grad()};
        }
        // the one-pass gradients against the CPU's composed ops in f64 from the same (bf16-representable) inputs
        Tensor xr = x.to(Device.CPU).to(DType.F64).requiresGrad(true), mr = mod.to(Device.CPU).to(DType.F64).requiresGrad(true);
        Tensor br = branch.to(Device.CPU).to(DType.F64).requiresGrad(true);
        Tensor[] m = mr.chunk(6, 1);
        Tensor s = F.gatedResidual(xr, m[2], br);
        s.mul(ws.to(Device.CPU).to(DType.F64)).sum().add(F.layerNormModulate(s, m[3], m[4], 1e-6).mul(wh.to(Device.CPU).to(DType.F64)).sum()).backward();
        Tensor[] ref = {xr.grad(), mr.grad(), br.grad()};
        for (int i = 0; i < 3; i++) {
            double e = CudaParityTest.relErr(ref[i].toDoubleArray(), grads[1][i].toDoubleArray());
            System.out.printf("gated residual + modulated norm backward in one pass, bf16 autocast vs CPU f64: %s %.2e%n", new String[] {"dx", "dmod", "dbranch"}[i], e);
            assertTrue(e <= CudaParityTest.BF16_TOL, "d" + i + " " + e);
        }
        String[] names = {"sum", "norm", "dx", "dmod", "dbranch"};
        Tensor[] two = {outs[0][0], outs[0][1], grads[0][0], grads[0][1], grads[0][2]}, one = {outs[1][0], outs[1][1], grads[1][0], grads[1][1], grads[1][2]};
        for (int i = 0; i < names.length; i++) {
            double e = CudaParityTest.relErr(two[i].toDoubleArray(), one[i].toDoubleArray());
            System.out.printf("gated residual + modulated norm, one pass vs two kernels: %s %.2e%n", names[i], e);
            assertTrue(e <= (i == 0 ? 1e-6 : CudaParityTest.BF16_TOL), names[i] + " " + e);
        }
    }

    /**
     * DiT's attention projection feeding the gated residual and the next norm, under bf16 autocast: the gated backward
     * sums the branch's gradient by columns as it writes it, and the projection's bias gradient takes those sums
     * (KnownColumnSums) instead of reducing the gradient again. Every gradient against the same graph with the sums off,
     * and the bias gradient against the CPU in f64. Rows of 384 (3 slots: the early loads) and 768 (6).
     */
    @ParameterizedTest
    @ValueSource(ints = {384, 768})
    void theBranchLayersBiasGradientComesFromTheGatedBackwardsColumnSums(int c) {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Backends.get(cuda);
        int b = 3, l = 70;
        Tensor x = Tensor.randn(new Generator(31), b, l, c).mul(2).add(0.5);
        Tensor h = Tensor.randn(new Generator(32), b, l, c).to(DType.BF16).to(DType.F32);
        Tensor w = Tensor.randn(new Generator(33), c, c).mul(1.0 / Math.sqrt(c)).to(DType.BF16).to(DType.F32);
        Tensor bias = Tensor.randn(new Generator(34), c).mul(0.1).to(DType.BF16).to(DType.F32);
        Tensor mod = Tensor.randn(new Generator(35), b, 6 * c).mul(0.3).to(DType.BF16);   // bf16, as adaLN's output under autocast
        Tensor ws = Tensor.randn(new Generator(36), b, l, c), wh = Tensor.randn(new Generator(37), b, l, c).to(DType.BF16).to(DType.F32);
        Tensor[][] grads = new Tensor[2][];
        for (int sums = 0; sums < 2; sums++) {
            CudaNorm.setBranchSums(sums == 1);
            long before = CudaBackend.knownBiasGradients(), passes = CudaNorm.branchSumPasses();
            Tensor xd = x.to(cuda).requiresGrad(true), hd = h.to(cuda).requiresGrad(true), wd = w.to(cuda).requiresGrad(true);
            Tensor bd = bias.to(cuda).requiresGrad(true), md = mod.to(cuda).requiresGrad(true);
            try (var ac = Autocast.bf16()) {
                Tensor[] m = md.chunk(6, 1);
                Tensor[] out = F.gatedResidualLayerNormModulate(xd, m[2], F.linear(hd, wd, bd), m[3], m[4], 1e-6);
                out[1].mul(wh.to(DType.BF16).to(cuda)).sum().to(DType.F32).add(out[0].mul(ws.to(cuda)).sum()).backward();
            }
            assertEquals(sums == 1, CudaNorm.branchSumPasses() > passes, "the gated backward summed dbranch's columns");
            assertEquals(sums == 1, CudaBackend.knownBiasGradients() > before, "the bias gradient took the noted sums");
            grads[sums] = new Tensor[] {xd.grad(), hd.grad(), wd.grad(), bd.grad(), md.grad()};
        }
        String[] names = {"dx", "dh", "dw", "dbias", "dmod"};
        for (int i = 0; i < names.length; i++) {
            double e = CudaParityTest.relErr(grads[0][i].toDoubleArray(), grads[1][i].toDoubleArray());
            System.out.printf("gated backward's column sums as the branch layer's bias gradient, rows of %d, vs reduced: %s %.2e%n", c, names[i], e);
            assertTrue(i == 3 ? e <= CudaParityTest.BF16_TOL : e == 0, names[i] + " " + e);
        }
        Tensor xr = x.to(DType.F64).requiresGrad(true), hr = h.to(DType.F64), wr = w.to(DType.F64), br = bias.to(DType.F64).requiresGrad(true);
        Tensor[] m = mod.to(DType.F64).chunk(6, 1);
        Tensor s = F.gatedResidual(xr, m[2], F.linear(hr, wr, br));
        s.mul(ws.to(DType.F64)).sum().add(F.layerNormModulate(s, m[3], m[4], 1e-6).mul(wh.to(DType.F64)).sum()).backward();
        double e = CudaParityTest.relErr(br.grad().toDoubleArray(), grads[1][3].toDoubleArray());
        System.out.printf("the branch layer's bias gradient from the column sums, rows of %d, vs CPU f64: %.2e%n", c, e);
        assertTrue(e <= CudaParityTest.BF16_TOL, "dbias vs CPU " + e);
    }

    /**
     * DiT's qkv and its MLP over the modulated norms, under bf16 autocast in training: each norm (the gated one-pass and
     * the plain) writes its output with a one and seven zeros after each row, and the Linear layers reading it (qkv, and
     * fc1 with GELU in its epilogue) take their bias gradients as the weight gradient's extra column (OnesColumns)
     * instead of column sums. Outputs and every gradient against the same graph with the column off (the products may
     * take other algorithms for the padded rows: bf16 tolerance), the bias gradients against the CPU in f64, and a
     * forward without gradients writes dense rows. Rows of 384 and 768.
     */
    @ParameterizedTest
    @ValueSource(ints = {384, 768})
    void linearsOverTheNormsOnesColumnTakeTheirBiasGradientsFromTheProduct(int c) {
        Assumptions.assumeTrue(CudaBackendFactory.available(), () -> "no CUDA device: " + CudaLibraries.unavailableReason());
        Device cuda = Device.cuda(0);
        Backends.get(cuda);
        int b = 3, l = 70;
        Generator g = new Generator(41);
        Tensor x = Tensor.randn(g, b, l, c).mul(2).add(0.5), branch = Tensor.randn(g, b, l, c).to(DType.BF16);
        Tensor mod = Tensor.randn(g, b, 6 * c).mul(0.3).to(DType.BF16);   // bf16, as adaLN's output under autocast
        Tensor w1 = Tensor.randn(g, 3 * c, c).mul(1.0 / Math.sqrt(c)), b1 = Tensor.randn(g, 3 * c).mul(0.1);
        Tensor w2 = Tensor.randn(g, 4 * c, c).mul(1.0 / Math.sqrt(c)), b2 = Tensor.randn(g, 4 * c).mul(0.1);
        Tensor w3 = Tensor.randn(g, c, 4 * c).mul(0.5 / Math.sqrt(c)), b3 = Tensor.randn(g, c).mul(0.1);
        Tensor r1 = Tensor.randn(g, b, l, 3 * c).to(DType.BF16), r2 = Tensor.randn(g, b, l, c).to(DType.BF16);
        Tensor[] leaves = {x, branch, mod, w1, b1, w2, b2, w3, b3};
        Tensor[][] grads = new Tensor[2][];
        Tensor[][] outs = new Tensor[2][];
        for (int ones = 0; ones < 2; ones++) {
            CudaNorm.setOnesColumn(ones == 1);
            long padded = CudaNorm.onesColumnOutputs(), taken = CudaBackend.onesBiasGradients(), geluForwards = CudaLinalg.fusedGeluForwards();
            Tensor[] d = new Tensor[leaves.length];
            for (int i = 0; i < d.length; i++) d[i] = leaves[i].to(cuda).requiresGrad(true);
            try (var ac = Autocast.bf16()) {
                Tensor[] m = d[2].chunk(6, 1);
                Tensor[] s = F.gatedResidualLayerNormModulate(d[0], m[2], d[1], m[0], m[1], 1e-6);
                Tensor q = F.linear(s[1], d[3], d[4]);
                Tensor h = F.linearOfLinear(F.layerNormModulate(s[0], m[3], m[4], 1e-6), d[5], d[6], UnaryOp.GELU_TANH, d[7], d[8]);
                outs[ones] = new Tensor[] {q, h};
                q.mul(r1.to(cuda)).sum().to(DType.F32).add(h.mul(r2.to(cuda)).sum().to(DType.F32)).backward();
            }
            assertEquals(ones == 1 ? 2 : 0, CudaNorm.onesColumnOutputs() - padded, "norm outputs written with the ones column");
            assertEquals(ones == 1 ? 2 : 0, CudaBackend.onesBiasGradients() - taken, "bias gradients from the ones column (qkv, fc1)");
            assertEquals(1, CudaLinalg.fusedGeluForwards() - geluForwards, "fc1 took the GELU_AUX epilogue over the norm's rows");
            grads[ones] = new Tensor[d.length];
            for (int i = 0; i < d.length; i++) grads[ones][i] = d[i].grad();
        }
        String[] names = {"qkv out", "mlp out", "dx", "dbranch", "dmod", "dw qkv", "db qkv", "dw fc1", "db fc1", "dw fc2", "db fc2"};
        for (int i = 0; i < names.length; i++) {
            Tensor off = i < 2 ? outs[0][i] : grads[0][i - 2], on = i < 2 ? outs[1][i] : grads[1][i - 2];
            double e = CudaParityTest.relErr(off.toDoubleArray(), on.toDoubleArray());
            System.out.printf("linears over the norm's ones column, rows of %d, vs dense rows: %s %.2e%n", c, names[i], e);
            assertTrue(e <= CudaParityTest.BF16_TOL, names[i] + " " + e);
        }
        // qkv's bias gradient is r1's column sums exactly (the loss is linear in q)
        double e = CudaParityTest.relErr(r1.to(DType.F64).reshape(b * l, 3 * c).sum(0, false).toDoubleArray(), grads[1][4].toDoubleArray());
        System.out.printf("qkv's bias gradient from the ones column, rows of %d, vs CPU f64: %.2e%n", c, e);
        assertTrue(e <= CudaParityTest.BF16_TOL, "db qkv vs CPU " + e);
        // no gradient: dense rows, as sampling runs, from both kernels
        long padded = CudaNorm.onesColumnOutputs();
        try (var ac = Autocast.bf16(); var ng = dev.diffusion4j.engine.GradMode.off()) {
            Tensor[] m = mod.to(cuda).chunk(6, 1);
            Tensor[] s = F.gatedResidualLayerNormModulate(x.to(cuda), m[2], branch.to(cuda), m[0], m[1], 1e-6);
            assertTrue(s[1].isContiguous(), "a gated forward without gradients wrote padded rows");
            assertTrue(F.layerNormModulate(s[0], m[3], m[4], 1e-6).isContiguous(), "a forward without gradients wrote padded rows");
        }
        assertEquals(padded, CudaNorm.onesColumnOutputs());
    }
}
