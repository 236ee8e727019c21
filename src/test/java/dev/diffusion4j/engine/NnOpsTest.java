package dev.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Forward results of the fused NN ops against direct f64 formulas, f32-vs-f64 parity (values and gradients), errors. */
class NnOpsTest {
    private static Tensor rn(long seed, int... shape) { return GradCheck.randn(seed, shape); }

    // ------------------------------------------------------------------ group norm

    @Test
    void groupNormNormalisesEachGroupThenAppliesTheAffine() {
        int n = 2, c = 6, h = 4, w = 5, groups = 3, m = c / groups * h * w;
        Tensor x = rn(1, n, c, h, w).mul(3.0).add(1.5);
        double[] xa = x.toDoubleArray();
        double[] plain = F.groupNorm(x, groups, null, null, 0).toDoubleArray();
        for (int r = 0; r < n * groups; r++) {
            double s = 0, q = 0;
            for (int i = 0; i < m; i++) s += plain[r * m + i];
            for (int i = 0; i < m; i++) q += (plain[r * m + i] - s / m) * (plain[r * m + i] - s / m);
            assertEquals(0, s / m, 1e-12, "group " + r + " mean");
            assertEquals(1, q / m, 1e-10, "group " + r + " variance");
        }
        Tensor weight = rn(2, c), bias = rn(3, c);
        double eps = 1e-2;
        double[] ref = groupNormRef(xa, n, c, h * w, groups, weight.toDoubleArray(), bias.toDoubleArray(), eps, false);
        assertArrayEquals(ref, F.groupNorm(x, groups, weight, bias, eps).toDoubleArray(), 1e-12);
        assertArrayEquals(groupNormRef(xa, n, c, h * w, groups, weight.toDoubleArray(), bias.toDoubleArray(), eps, true),
                F.groupNormSilu(x, groups, weight, bias, eps).toDoubleArray(), 1e-12);

        // the statistics the backend hands to backward: biased variance, rstd = 1/sqrt(var + eps)
        Tensor[] r = Backends.cpu().groupNormForward(x, groups, null, null, eps, false);
        assertArrayEquals(new int[] {n, groups}, r[1].shape());
        for (int k = 0; k < n * groups; k++) {
            double s = 0, q = 0;
            for (int i = 0; i < m; i++) s += xa[k * m + i];
            for (int i = 0; i < m; i++) q += (xa[k * m + i] - s / m) * (xa[k * m + i] - s / m);
            assertEquals(s / m, r[1].toDoubleArray()[k], 1e-12);
            assertEquals(1 / Math.sqrt(q / m + eps), r[2].toDoubleArray()[k], 1e-12);
        }
    }

    @Test
    void groupNormSiluEqualsSiluOfGroupNormInBothPrecisions() {
        Tensor x = rn(4, 3, 8, 5, 3), w = rn(5, 8), b = rn(6, 8);
        assertArrayEquals(F.silu(F.groupNorm(x, 4, w, b, 1e-5)).toDoubleArray(), F.groupNormSilu(x, 4, w, b, 1e-5).toDoubleArray(), 1e-12);
        Tensor x32 = x.to(DType.F32), w32 = w.to(DType.F32), b32 = b.to(DType.F32);
        close("groupNormSilu f32", F.groupNormSilu(x32, 4, w32, b32, 1e-5).toDoubleArray(),
                F.silu(F.groupNorm(x, 4, w, b, 1e-5)).toDoubleArray());
    }

    /** Plain loops: y = (x - mean_g) / sqrt(var_g + eps) * w[c] + b[c], optionally through SiLU. */
    static double[] groupNormRef(double[] x, int n, int c, int spatial, int groups, double[] w, double[] b, double eps, boolean silu) {
        double[] y = new double[x.length];
        int cg = c / groups, m = cg * spatial;
        for (int i = 0; i < n; i++)
            for (int g = 0; g < groups; g++) {
                int base = (i * c + g * cg) * spatial;
                double s = 0, q = 0;
                for (int k = 0; k < m; k++) s += x[base + k];
                double mu = s / m;
                for (int k = 0; k < m; k++) q += (x[base + k] - mu) * (x[base + k] - mu);
                double rs = 1 / Math.sqrt(q / m + eps);
                for (int k = 0; k < m; k++) {
                    int ch = g * cg + k / spatial;
                    double z = (x[base + k] - mu) * rs * (w == null ? 1 : w[ch]) + (b == null ? 0 : b[ch]);
                    y[base + k] = silu ? z / (1 + Math.exp(-z)) : z;
                }
            }
        return y;
    }

    // ------------------------------------------------------------------ layer norm

    @Test
    void layerNormMatchesTheFormulaOverOneAndTwoTrailingDims() {
        Tensor x = rn(10, 3, 4, 5).mul(2.0).add(-0.7);
        double[] xa = x.toDoubleArray();
        for (int nd = 1; nd <= 2; nd++) {
            int d = nd == 1 ? 5 : 20;
            int[] ws = nd == 1 ? new int[] {5} : new int[] {4, 5};
            Tensor w = rn(11, ws), b = rn(12, ws);
            double[] wa = w.toDoubleArray(), ba = b.toDoubleArray();
            double[] ref = new double[xa.length], refPlain = new double[xa.length];
            for (int r = 0; r < xa.length / d; r++) {
                double s = 0, q = 0;
                for (int i = 0; i < d; i++) s += xa[r * d + i];
                double mu = s / d;
                for (int i = 0; i < d; i++) q += (xa[r * d + i] - mu) * (xa[r * d + i] - mu);
                double rs = 1 / Math.sqrt(q / d + 1e-5);
                for (int i = 0; i < d; i++) {
                    refPlain[r * d + i] = (xa[r * d + i] - mu) * rs;
                    ref[r * d + i] = refPlain[r * d + i] * wa[i] + ba[i];
                }
            }
            assertArrayEquals(ref, F.layerNorm(x, nd, w, b, 1e-5).toDoubleArray(), 1e-12, "normalizedDims " + nd);
            assertArrayEquals(refPlain, F.layerNorm(x, nd, null, null, 1e-5).toDoubleArray(), 1e-12);
            close("layerNorm f32 nd=" + nd, F.layerNorm(x.to(DType.F32), nd, w.to(DType.F32), b.to(DType.F32), 1e-5).toDoubleArray(), ref);
        }
    }

    // ------------------------------------------------------------------ softmax

    @Test
    void softmaxRowsSumToOneAndMatchTheFormulaAlongEveryDim() {
        Tensor x = rn(20, 3, 4, 5).mul(2.0);
        for (DType dt : new DType[] {DType.F64, DType.F32}) {
            Tensor xt = x.to(dt);
            for (int dim = 0; dim < 3; dim++) {
                Tensor y = F.softmax(xt, dim);
                Tensor sums = y.to(DType.F64).sum(dim, false);
                for (double s : sums.toDoubleArray()) assertEquals(1, s, dt == DType.F64 ? 1e-12 : 1e-6, dt + " dim " + dim);
                Tensor e = x.exp();
                double[] ref = e.div(e.sum(dim, true)).toDoubleArray();
                close("softmax " + dt + " dim " + dim, y.toDoubleArray(), ref);
                close("logSoftmax " + dt + " dim " + dim, F.logSoftmax(xt, dim).toDoubleArray(), e.div(e.sum(dim, true)).log().toDoubleArray());
            }
        }
    }

    @Test
    void softmaxIsStableForLargeInputsAndMaskedEntries() {
        // logits around 1000 overflow a naive exp; the result equals that of the shifted logits
        Tensor x = rn(21, 4, 37).mul(30.0);
        for (DType dt : new DType[] {DType.F64, DType.F32}) {
            double[] big = F.softmax(x.add(1000.0).to(dt), -1).toDoubleArray();
            for (double v : big) assertTrue(Double.isFinite(v));
            close("shift invariance " + dt, big, F.softmax(x, -1).toDoubleArray());
            double[] logBig = F.logSoftmax(x.add(1000.0).to(dt), -1).toDoubleArray();
            close("log shift invariance " + dt, logBig, F.logSoftmax(x, -1).toDoubleArray());
        }
        double inf = Double.POSITIVE_INFINITY;
        Tensor masked = Tensor.of(new double[] {1, -inf, 2, -inf, -inf, -inf}, 2, 3);
        for (DType dt : new DType[] {DType.F64, DType.F32}) {
            double[] p = F.softmax(masked.to(dt), 1).toDoubleArray();
            double e = Math.exp(-1);
            assertArrayEquals(new double[] {e / (1 + e), 0, 1 / (1 + e), 0, 0, 0}, p, 1e-7, "a fully masked row gives zeros, not NaN");
            double[] lp = F.logSoftmax(masked.to(dt), 1).toDoubleArray();
            assertEquals(Math.log(e / (1 + e)), lp[0], 1e-6);
            assertEquals(-inf, lp[1]);
            assertEquals(-inf, lp[4]);
        }
    }

    // ------------------------------------------------------------------ attention

    @Test
    void attentionEqualsTheExplicitFormula() {
        int b = 2, h = 3, lq = 4, lk = 6, d = 5, dv = 7;
        Tensor q = rn(30, b, h, lq, d), k = rn(31, b, h, lk, d), v = rn(32, b, h, lk, dv);
        double[] keyMask = new double[b * lk];
        keyMask[3] = Double.NEGATIVE_INFINITY;  // batch 0 ignores key 3 (padding)
        keyMask[lk + 5] = -2.5;
        Tensor mask = Tensor.of(keyMask, b, 1, 1, lk);
        double[] ref = attentionRef(q, k, v, mask.expand(b, h, lq, lk).contiguous().toDoubleArray(), 1 / Math.sqrt(d));
        assertArrayEquals(ref, F.scaledDotProductAttention(q, k, v, mask, Double.NaN).toDoubleArray(), 1e-12);
        assertArrayEquals(attentionRef(q, k, v, new double[b * h * lq * lk], 1 / Math.sqrt(d)),
                F.scaledDotProductAttention(q, k, v).toDoubleArray(), 1e-12);
        Tensor m2 = rn(33, lq, lk);
        assertArrayEquals(attentionRef(q, k, v, m2.expand(b, h, lq, lk).contiguous().toDoubleArray(), 0.3),
                F.scaledDotProductAttention(q, k, v, m2, 0.3).toDoubleArray(), 1e-12);
        close("attention f32", F.scaledDotProductAttention(q.to(DType.F32), k.to(DType.F32), v.to(DType.F32), mask.to(DType.F32), Double.NaN)
                .toDoubleArray(), ref);
    }

    @Test
    void attentionBackwardFromTheLogSumExpEqualsTheComposedBackward() {
        int b = 2, h = 3, lq = 5, lk = 7, d = 4, dv = 6;
        double scale = 0.45;
        Tensor q = rn(34, b, h, lq, d), k = rn(35, b, h, lk, d), v = rn(36, b, h, lk, dv), g = rn(37, b, h, lq, dv);
        Backend be = q.backend();
        Tensor[] fwd = be.attention(q, k, v, null, scale);
        Tensor[] ref = be.attentionBackward(g, q, k, v, null, scale, fwd[0], fwd[1], false);
        // the log-sum-exp of the scaled scores, as a fused forward keeps it, from the explicit scores
        double[] qa = q.toDoubleArray(), ka = k.toDoubleArray(), lse = new double[b * h * lq];
        for (int z = 0; z < b * h; z++)
            for (int i = 0; i < lq; i++) {
                double sum = 0;
                for (int j = 0; j < lk; j++) {
                    double dot = 0;
                    for (int t = 0; t < d; t++) dot += qa[(z * lq + i) * d + t] * ka[(z * lk + j) * d + t];
                    sum += Math.exp(dot * scale);
                }
                lse[z * lq + i] = Math.log(sum);
            }
        Tensor[] got = be.attentionBackwardFromLse(g, q, k, v, scale, Tensor.of(lse, b, h, lq));
        assertEquals(3, got.length);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(ref[i].shape(), got[i].shape());
            assertArrayEquals(ref[i].toDoubleArray(), got[i].toDoubleArray(), 1e-12, "gradient " + "qkv".charAt(i));
        }
        // and on strided views (k as a transposed [.., D, Lk] tensor), in f32
        Tensor kt = k.mT().contiguous().mT();
        Tensor[] f32 = be.attentionBackwardFromLse(g.to(DType.F32), q.to(DType.F32), kt.to(DType.F32), v.to(DType.F32), scale,
                Tensor.of(lse, b, h, lq).to(DType.F32));
        for (int i = 0; i < 3; i++) close("from lse f32 " + "qkv".charAt(i), f32[i].toDoubleArray(), ref[i].toDoubleArray());
    }

    /** out[i] = sum_j softmax_j(q_i . k_j * scale + mask_ij) v_j, per batch-head, in plain loops. */
    private static double[] attentionRef(Tensor q, Tensor k, Tensor v, double[] mask, double scale) {
        int[] qs = q.shape();
        int bh = qs[0] * qs[1], lq = qs[2], d = qs[3], lk = k.shape(2), dv = v.shape(3);
        double[] qa = q.toDoubleArray(), ka = k.toDoubleArray(), va = v.toDoubleArray(), out = new double[bh * lq * dv];
        for (int z = 0; z < bh; z++)
            for (int i = 0; i < lq; i++) {
                double[] s = new double[lk];
                double mx = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < lk; j++) {
                    double dot = 0;
                    for (int t = 0; t < d; t++) dot += qa[(z * lq + i) * d + t] * ka[(z * lk + j) * d + t];
                    s[j] = dot * scale + mask[(z * lq + i) * lk + j];
                    mx = Math.max(mx, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < lk; j++) { s[j] = Math.exp(s[j] - mx); sum += s[j]; }
                for (int j = 0; j < lk; j++)
                    for (int t = 0; t < dv; t++) out[(z * lq + i) * dv + t] += s[j] / sum * va[(z * lk + j) * dv + t];
            }
        return out;
    }

    // ------------------------------------------------------------------ embedding

    @Test
    void embeddingPicksRowsAndRejectsIdsOutOfRange() {
        Tensor table = rn(40, 5, 3);
        double[] t = table.toDoubleArray();
        long[] ids = {4, 0, 2, 2, 1, 4};
        Tensor e = F.embedding(table, Tensor.ofLongs(ids, 2, 3));
        assertArrayEquals(new int[] {2, 3, 3}, e.shape());
        double[] ea = e.toDoubleArray();
        for (int i = 0; i < ids.length; i++)
            for (int j = 0; j < 3; j++) assertEquals(t[(int) ids[i] * 3 + j], ea[i * 3 + j]);
        assertArrayEquals(new int[] {3}, F.embedding(table, Tensor.ofLongs(new long[] {1})).shape(), "0-d ids give one row");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> F.embedding(table, Tensor.ofLongs(new long[] {1, 5}, 2)));
        assertTrue(ex.getMessage().contains("id 5") && ex.getMessage().contains("[0, 5)"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> F.embedding(table, Tensor.ofLongs(new long[] {-1}, 1)));
        assertTrue(ex.getMessage().contains("id -1"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> F.embedding(table, Tensor.of(new float[] {1}, 1)));
        assertTrue(ex.getMessage().contains("i64"), ex.getMessage());
    }

    // ------------------------------------------------------------------ layouts and errors

    @Test
    void stridedAndOffsetInputsGiveTheSameValuesAndGradients() {
        // a permuted view (copied by the kernels) and a dim-0 slice (read in place at an offset)
        Tensor base = rn(50, 4, 6, 5, 3).to(DType.F32);
        Tensor w = rn(51, 6).to(DType.F32), b = rn(52, 6).to(DType.F32);
        Tensor permuted = base.permute(0, 1, 3, 2), sliced = base.slice(0, 1, 3);
        for (Tensor view : new Tensor[] {permuted, sliced}) {
            sameResults("groupNormSilu", x -> F.groupNormSilu(x, 3, w, b, 1e-5), view);
            sameResults("layerNorm", x -> F.layerNorm(x, 2, null, null, 1e-5), view);
            sameResults("softmax", x -> F.softmax(x, -1), view);
            sameResults("logSoftmax dim 1", x -> F.logSoftmax(x, 1), view);
        }
    }

    private static void sameResults(String name, Function<Tensor, Tensor> f, Tensor view) {
        assertFalse(view.isContiguous() && view.offset() == 0, "the view should be strided or offset");
        Tensor a = view.detach().requiresGrad(true), c = view.contiguous().detach().requiresGrad(true);
        Tensor ya = f.apply(a), yc = f.apply(c);
        assertArrayEquals(yc.toFloatArray(), ya.toFloatArray(), name);
        Tensor g = Tensor.randn(new Generator(9), ya.shape());
        ya.backward(g);
        yc.backward(g);
        assertArrayEquals(c.grad().toFloatArray(), a.grad().toFloatArray(), name + " gradient");
    }

    @Test
    void misuseGetsClearMessages() {
        Tensor x = Tensor.zeros(2, 6, 3).add(Tensor.randn(new Generator(1), 2, 6, 3));
        assertMessage(() -> F.groupNorm(x, 4, null, null, 1e-5), "6 channels cannot be split into 4 groups");
        assertMessage(() -> F.groupNorm(x, 3, Tensor.ones(5), null, 1e-5), "weight has shape [5], expected [6]");
        assertMessage(() -> F.groupNorm(x, 3, Tensor.ones(6).to(DType.I64), null, 1e-5), "i64");   // floating params of another type are cast
        assertMessage(() -> F.groupNorm(Tensor.ones(6), 3, null, null, 1e-5), "[N, C, *]");
        assertMessage(() -> F.layerNorm(x, 4, null, null, 1e-5), "last 4 dims");
        assertMessage(() -> F.layerNorm(x, 1, Tensor.ones(6), null, 1e-5), "expected [3]");
        Tensor q = Tensor.ones(1, 2, 4, 8), k = Tensor.ones(1, 2, 5, 8), v = Tensor.ones(1, 2, 6, 8);
        assertMessage(() -> F.scaledDotProductAttention(q, k, v), "do not fit");
        assertMessage(() -> F.scaledDotProductAttention(q, k, Tensor.ones(1, 2, 5, 3), Tensor.ones(4, 4), Double.NaN), "does not broadcast");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should mention '" + part + "'");
    }

    // ------------------------------------------------------------------ f32 kernels against the f64 path

    @Test
    void f32KernelsMatchTheF64PathInValuesAndGradients() {
        // odd sizes so the SIMD loops run their scalar tails too
        parity("group_norm", x -> F.groupNorm(x[0], 4, x[1], x[2], 1e-5), rn(60, 3, 12, 7, 7), rn(61, 12), rn(62, 12));
        parity("group_norm_silu", x -> F.groupNormSilu(x[0], 4, x[1], x[2], 1e-5), rn(63, 3, 12, 7, 7), rn(64, 12), rn(65, 12));
        parity("group_norm_silu_unet", x -> F.groupNormSilu(x[0], 8, x[1], x[2], 1e-5), rn(66, 2, 32, 16, 16).mul(2.0).add(0.5),
                rn(67, 32), rn(68, 32));
        parity("group_norm_no_affine", x -> F.groupNormSilu(x[0], 2, null, null, 1e-5), rn(69, 2, 4, 9));
        parity("layer_norm", x -> F.layerNorm(x[0], 1, x[1], x[2], 1e-5), rn(70, 5, 7, 33), rn(71, 33), rn(72, 33));
        parity("layer_norm_2dims", x -> F.layerNorm(x[0], 2, x[1], x[2], 1e-5), rn(73, 4, 6, 9), rn(74, 6, 9), rn(75, 6, 9));
        parity("softmax", x -> F.softmax(x[0], -1), rn(76, 4, 37).mul(3.0));
        parity("softmax_dim1", x -> F.softmax(x[0], 1), rn(77, 3, 5, 9));
        parity("log_softmax", x -> F.logSoftmax(x[0], -1), rn(78, 6, 50).mul(3.0));
        parity("log_softmax_dim0", x -> F.logSoftmax(x[0], 0), rn(79, 7, 4));
        parity("attention", x -> F.scaledDotProductAttention(x[0], x[1], x[2], x[3], Double.NaN),
                rn(80, 2, 2, 17, 8), rn(81, 2, 2, 23, 8), rn(82, 2, 2, 23, 5), rn(83, 17, 23));
    }

    /** Runs f on f32 inputs and on the same values in f64; outputs and every input gradient must agree. */
    private static void parity(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
        Tensor[] x32 = new Tensor[inputs.length], x64 = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            Tensor r = inputs[i].to(DType.F32);
            x32[i] = r.detach().requiresGrad(true);
            x64[i] = r.to(DType.F64).detach().requiresGrad(true);
        }
        Tensor y32 = f.apply(x32), y64 = f.apply(x64);
        Tensor g32 = Tensor.randn(new Generator(name.hashCode()), y32.shape());
        y32.backward(g32);
        y64.backward(g32.to(DType.F64));
        close(name + " output", y32.toDoubleArray(), y64.toDoubleArray());
        for (int i = 0; i < inputs.length; i++)
            close(name + " gradient of input " + i, x32[i].grad().toDoubleArray(), x64[i].grad().toDoubleArray());
    }

    /** |got - ref| <= 1e-5 (|ref| + mean |ref|): relative, with the tensor's scale as the floor for entries near 0. */
    static void close(String what, double[] got, double[] ref) {
        assertEquals(ref.length, got.length, what);
        double scale = 0;
        for (double r : ref) scale += Math.abs(r);
        scale /= Math.max(1, ref.length);
        for (int i = 0; i < ref.length; i++) {
            if (ref[i] == got[i]) continue;  // also equal infinities
            double tol = 1e-5 * (Math.abs(ref[i]) + scale);
            if (!(Math.abs(got[i] - ref[i]) <= tol))
                fail(what + ": element " + i + " is " + got[i] + ", expected " + ref[i] + " (tolerance " + tol + ")");
        }
    }

    /** The fused adaLN norm gives what the composed ops give: values exactly, gradients to rounding. */
    @Test
    void layerNormModulateMatchesTheComposedOps() {
        Tensor x = Tensor.randn(new Generator(11), 2, 7, 12), mod = Tensor.randn(new Generator(12), 2, 36);
        Tensor[] a = {x.detach().requiresGrad(true), mod.detach().requiresGrad(true)};
        Tensor[] b = {x.detach().requiresGrad(true), mod.detach().requiresGrad(true)};
        Tensor w = Tensor.randn(new Generator(13), 2, 7, 12);
        Tensor ya = F.layerNormModulate(a[0], a[1].chunk(3, 1)[1], a[1].chunk(3, 1)[2], 1e-6);
        Tensor[] m = b[1].chunk(3, 1);
        Tensor yb = F.layerNorm(b[0], 1, null, null, 1e-6).mul(m[2].add(1).unsqueeze(1)).add(m[1].unsqueeze(1));
        assertArrayEquals(yb.toFloatArray(), ya.toFloatArray());
        ya.mul(w).sum().backward();
        yb.mul(w).sum().backward();
        close("dx", a[0].grad().toDoubleArray(), b[0].grad().toDoubleArray());
        close("dshift, dscale", a[1].grad().toDoubleArray(), b[1].grad().toDoubleArray());
        assertEquals(0.0, a[1].grad().chunk(3, 1)[0].abs().sum().item(), "the unused chunk gets no gradient");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> F.layerNormModulate(x, Tensor.zeros(2, 11), Tensor.zeros(2, 12), 1e-6));
        assertTrue(e.getMessage().contains("shift has shape [2, 11], expected [2, 12]"), e.getMessage());
    }

    @Test
    void everyFusedOpHasAGradientCheck() {
        Set<String> names = new HashSet<>();
        for (OpGradTest.Case k : FunctionalCases.cases()) names.add(k.name());
        for (String op : new String[] {"group_norm", "group_norm_no_affine", "group_norm_noncontiguous", "group_norm_silu",
                "group_norm_silu_no_affine_3d", "layer_norm", "layer_norm_no_affine_noncontiguous", "softmax", "softmax_last_dim",
                "log_softmax", "attention", "attention_causal_transposed_k", "embedding", "layer_norm_modulate", "layer_norm_modulate_chunks"})
            assertTrue(names.contains(op), "no gradient check for " + op);
    }
}
