package dev.diffusion4j.nn.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdamWTest {
    static final double[] P0 = {0.5, -1.0, 2.0, 0.0};
    static final double[][] GRADS = {{0.1, -0.2, 0.3, 0.0}, {-0.5, 0.4, 0.0, 1e-3}, {1.0, 1.0, -1.0, 0.5}};
    static final AdamConfig CFG = new AdamConfig(0.1, 0.9, 0.99, 1e-8, 0.05);

    // torch 1.13 torch.optim.AdamW / Adam, float64, same config, parameter after each of the three steps
    static final double[][] TORCH_ADAMW = {
        {0.397500009999999, -0.8950000049999998, 1.8900000033333333, 0.0},
        {0.4552234133892949, -0.927085775154074, 1.8133919917615748, -0.07424493148670047},
        {0.4171602407997502, -0.99206752789034, 1.8504733587311126, -0.13758206272385967}};
    static final double[] TORCH_ADAMW_M = {0.06309999999999999, 0.11979999999999998, -0.07569999999999999, 0.05008999999999999};
    static final double[] TORCH_ADAMW_V = {0.012573010000000011, 0.01197604000000001, 0.01088209000000001, 0.002500009900000002};
    static final double[][] TORCH_ADAM = {
        {0.40000000799999935, -0.9000000039999998, 1.9000000025, 0.0},
        {0.4550273583711691, -0.9222665515706053, 1.8174391506629657, -0.07424493148670047},
        {0.4162726712311736, -0.9873199770413459, 1.8493361115525064, -0.13795414170205586}};

    static Parameter param(DType dtype) { return new Parameter("p", Tensor.of(P0, 4).to(dtype)); }

    static void setGrad(Parameter p, double[] g) { p.setGrad(Tensor.of(g, 4).to(p.dtype())); }

    @Test
    void firstStepByHand() {
        // step 1: m_hat = g, v_hat = g^2, so p <- p (1 - lr wd) - lr g / (|g| + eps)
        Parameter p = param(DType.F64);
        AdamW opt = new AdamW(List.of(p), CFG);
        setGrad(p, GRADS[0]);
        opt.step();
        for (int i = 0; i < 4; i++) {
            double g = GRADS[0][i];
            double want = P0[i] * (1 - 0.1 * 0.05) - 0.1 * g / (Math.abs(g) + 1e-8);
            assertEquals(want, p.data().get(i), 1e-15);
        }
        assertEquals(1, opt.stepCount(0));
    }

    @Test
    void adamWMatchesPyTorchInF64() {
        Parameter p = param(DType.F64);
        AdamW opt = new AdamW(List.of(p), CFG);
        for (int s = 0; s < 3; s++) {
            setGrad(p, GRADS[s]);
            opt.step();
            assertArrayEquals(TORCH_ADAMW[s], p.data().toDoubleArray(), 1e-14, "step " + s);
        }
        assertArrayEquals(TORCH_ADAMW_M, opt.stateDict().get("state.0.exp_avg").toDoubleArray(), 1e-15);
        assertArrayEquals(TORCH_ADAMW_V, opt.stateDict().get("state.0.exp_avg_sq").toDoubleArray(), 1e-15);
        assertEquals(3, opt.stateDict().get("state.0.step").item());
    }

    @Test
    void adamMatchesPyTorchInF64() {
        Parameter p = param(DType.F64);
        Adam opt = new Adam(List.of(p), CFG);
        for (int s = 0; s < 3; s++) {
            setGrad(p, GRADS[s]);
            opt.step();
            assertArrayEquals(TORCH_ADAM[s], p.data().toDoubleArray(), 1e-14, "step " + s);
        }
    }

    @Test
    void f32AndStridedParametersFollowTheSameMath() {
        // a transposed view is not contiguous, so it takes the tensor-op path instead of the fused loop
        Parameter dense = new Parameter("dense", Tensor.of(P0, 2, 2).to(DType.F32));
        Parameter strided = new Parameter("strided", Tensor.of(P0, 2, 2).to(DType.F32).mT().contiguous().mT());
        assertFalse(strided.data().isContiguous());
        AdamW opt = new AdamW(List.of(dense, strided), CFG);
        for (int s = 0; s < 3; s++) {
            Tensor g = Tensor.of(GRADS[s], 2, 2).to(DType.F32);
            dense.setGrad(g);
            strided.setGrad(g);
            opt.step();
            float[] d = dense.data().toFloatArray(), st = strided.data().toFloatArray();
            for (int i = 0; i < 4; i++) {
                assertEquals(TORCH_ADAMW[s][i], d[i], 2e-6, "fused step " + s);
                assertEquals(TORCH_ADAMW[s][i], st[i], 2e-6, "generic step " + s);
            }
        }
    }

    @Test
    void parametersWithoutGradientOrFrozenAreSkipped() {
        Parameter a = param(DType.F64), b = param(DType.F64), c = param(DType.F64);
        AdamW opt = new AdamW(List.of(a, b, c), CFG);
        setGrad(a, GRADS[0]);
        setGrad(c, GRADS[0]);
        c.requiresGrad(false);
        opt.step();
        assertArrayEquals(TORCH_ADAMW[0], a.data().toDoubleArray(), 1e-14);
        assertArrayEquals(P0, b.data().toDoubleArray());
        assertArrayEquals(P0, c.data().toDoubleArray());
        assertEquals(List.of("state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq"), List.copyOf(opt.stateDict().keySet()));
    }

    @Test
    void groupsCarryTheirOwnWeightDecay() {
        Parameter decayed = param(DType.F64), plain = param(DType.F64);
        AdamW opt = AdamW.withGroups(List.of(new Optimizer.ParamGroup(List.of(decayed), 0.05), new Optimizer.ParamGroup(List.of(plain), 0)), CFG);
        setGrad(decayed, GRADS[0]);
        setGrad(plain, GRADS[0]);
        opt.step();
        assertArrayEquals(TORCH_ADAMW[0], decayed.data().toDoubleArray(), 1e-14);
        for (int i = 0; i < 4; i++)
            assertEquals(P0[i] - 0.1 * GRADS[0][i] / (Math.abs(GRADS[0][i]) + 1e-8), plain.data().get(i), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(decayed, decayed), CFG));
    }

    @Test
    void learningRateCanChangeBetweenSteps() {
        Parameter p = param(DType.F64);
        AdamW opt = new AdamW(List.of(p), CFG.withLr(1));
        opt.setLr(0.1);
        setGrad(p, GRADS[0]);
        opt.step();
        assertArrayEquals(TORCH_ADAMW[0], p.data().toDoubleArray(), 1e-14);
        assertThrows(IllegalArgumentException.class, () -> opt.setLr(Double.NaN));
    }

    /** Gradients that depend on the parameters, so a resumed run diverges if any state is off. */
    static void fakeBackward(List<Parameter> ps, int step) {
        for (Parameter p : ps) {
            Tensor noise = Tensor.randn(new Generator(100 + step), DType.F32, Device.CPU, p.shape());
            p.setGrad(p.data().detach().mul(0.3).add(noise));
        }
    }

    static List<Parameter> params() {
        Generator gen = new Generator(5);
        return List.of(new Parameter("w", Tensor.randn(gen, 3, 4)), new Parameter("b", Tensor.randn(gen, 4)));
    }

    @Test
    void stateDictResumesBitForBit() {
        List<Parameter> straight = params();
        AdamW a = new AdamW(straight, CFG);
        for (int s = 0; s < 5; s++) { fakeBackward(straight, s); a.step(); }

        List<Parameter> first = params();
        AdamW b = new AdamW(first, CFG);
        for (int s = 0; s < 2; s++) { fakeBackward(first, s); b.step(); }
        LinkedHashMap<String, Tensor> saved = new LinkedHashMap<>();
        b.stateDict().forEach((k, v) -> saved.put(k, Tensor.of(v.toDoubleArray(), v.shape()).to(v.dtype() == DType.I64 ? DType.I64 : DType.F32)));

        List<Parameter> resumed = params();
        for (int i = 0; i < 2; i++) resumed.get(i).copyFrom(first.get(i).data());
        AdamW c = new AdamW(resumed, CFG);
        c.loadStateDict(saved);
        for (int s = 2; s < 5; s++) { fakeBackward(resumed, s); c.step(); }
        for (int i = 0; i < 2; i++) assertArrayEquals(straight.get(i).data().toFloatArray(), resumed.get(i).data().toFloatArray());
        assertEquals(5, c.stepCount(1));
    }

    @Test
    void loadStateDictRejectsForeignState() {
        List<Parameter> ps = params();
        AdamW opt = new AdamW(ps, CFG);
        fakeBackward(ps, 0);
        opt.step();
        LinkedHashMap<String, Tensor> good = opt.stateDict();

        var bad = new LinkedHashMap<>(good);
        bad.put("state.1.exp_avg", Tensor.zeros(5));
        var e = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(bad));
        assertEquals("optimizer state: 'state.1.exp_avg' has shape [5] but parameter 1 ('b') needs [4]", e.getMessage());

        var tooMany = new LinkedHashMap<>(good);
        tooMany.put("state.7.step", Tensor.ofLongs(new long[] {1}));
        e = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(tooMany));
        assertTrue(e.getMessage().contains("parameter 7 but this optimizer has 2"), e.getMessage());

        var partial = new LinkedHashMap<>(good);
        partial.remove("state.0.exp_avg_sq");
        e = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(partial));
        assertEquals("optimizer state: missing key 'state.0.exp_avg_sq'", e.getMessage());

        var odd = new LinkedHashMap<>(good);
        odd.put("lr", Tensor.scalar(1));
        e = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(odd));
        assertEquals("optimizer state: unexpected key 'lr'", e.getMessage());
        assertEquals(1, opt.stepCount(0), "failed loads change nothing");
    }
}
