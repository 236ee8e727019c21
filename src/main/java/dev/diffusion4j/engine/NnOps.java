package dev.diffusion4j.engine;

import java.util.Arrays;

/** Differentiable fused NN ops: argument checks and graph recording around the backends' fused kernels. */
final class NnOps {
    private NnOps() {}

    private static void sameDevice(Tensor x, Tensor p, String op, String what) {
        if (p == null) return;
        if (!p.device().equals(x.device()))
            throw new IllegalArgumentException(op + ": " + what + " is on " + p.device() + ", input on " + x.device() + "; move it with .to(device)");
        if (p.dtype() != x.dtype())
            throw new IllegalArgumentException(op + ": " + what + " is " + p.dtype().id() + ", input is " + x.dtype().id() + "; convert it with .to(dtype)");
    }

    /**
     * A norm's affine parameter in the input's type: f32 weights of a bf16 activation (autocast) are cast
     * differentiably, so their gradients come back in f32; an integer parameter stays and is refused by sameDevice.
     */
    private static Tensor inputType(Tensor x, Tensor p) {
        return p == null || p.dtype() == x.dtype() || !p.dtype().isFloating() || !x.dtype().isFloating() ? p : Autocast.castParameter(p, x.dtype());
    }

    private static void paramShape(Tensor p, int[] expected, String op, String what) {
        if (p != null && !Arrays.equals(p.shape, expected))
            throw new IllegalArgumentException(op + ": " + what + " has shape " + Shape.str(p.shape) + ", expected " + Shape.str(expected));
    }

    static Tensor groupNorm(Tensor x, int groups, Tensor weight0, Tensor bias0, double eps, boolean silu) {
        return groupNorm(x, groups, weight0, bias0, eps, silu, MemoryFormat.CHANNELS_FIRST);
    }

    /**
     * Group norm of x [N, C, *] or, channels-last, [N, *, C]: natively where the backend has {@link ChannelsLastKernels},
     * else by permuting to channels-first around the ordinary kernel.
     */
    static Tensor groupNorm(Tensor x, int groups, Tensor weight0, Tensor bias0, double eps, boolean silu, MemoryFormat format) {
        return groupNorm(x, null, groups, weight0, bias0, eps, silu, format);
    }

    /**
     * Group norm of x + shift, shift null or [N, C] broadcast over x's pixels. Channels-last on a backend with
     * {@link ChannelsLastKernels} the sum is never written out: the kernels add the shift as they read x, and its gradient
     * is the column sums of dx. Elsewhere the sum is formed first.
     */
    static Tensor groupNorm(Tensor x, Tensor shift, int groups, Tensor weight0, Tensor bias0, double eps, boolean silu, MemoryFormat format) {
        boolean last = format == MemoryFormat.CHANNELS_LAST;
        if (shift != null) {
            if (x.rank() < 3) throw new IllegalArgumentException("groupNorm with a shift expects x with pixels, got " + Shape.str(x.shape));
            int c = x.shape[format.channelDim(x.rank())];
            if (!Arrays.equals(shift.shape, new int[] {x.shape[0], c}))
                throw new IllegalArgumentException("groupNorm: the shift must be [N, C] = " + Shape.str(new int[] {x.shape[0], c})
                        + " for x " + Shape.str(x.shape) + ", got " + Shape.str(shift.shape));
            sameDevice(x, shift, "groupNorm", "shift");
            if (!last || !(x.backend() instanceof ChannelsLastKernels)) {
                int[] s = new int[x.rank()];
                Arrays.fill(s, 1);
                s[0] = x.shape[0];
                s[format.channelDim(x.rank())] = c;
                // in x's dtype, as the fused path takes it, so the output's dtype does not depend on the backend
                return groupNorm(x.add(shift.to(x.dtype()).reshape(s)), null, groups, weight0, bias0, eps, silu, format);
            }
        }
        if (last && x.rank() >= 2 && !(x.backend() instanceof ChannelsLastKernels))
            return groupNorm(x.permute(MemoryFormat.toFirst(x.rank())), groups, weight0, bias0, eps, silu).permute(MemoryFormat.toLast(x.rank()));
        Tensor weight = inputType(x, weight0), bias = inputType(x, bias0);
        String op = silu ? "groupNormSilu" : "groupNorm";
        if (x.rank() < 2) throw new IllegalArgumentException(op + " expects x [N, C, *], got " + Shape.str(x.shape));
        int c = x.shape[format.channelDim(x.rank())];
        if (groups <= 0 || c % groups != 0)
            throw new IllegalArgumentException(op + ": " + c + " channels cannot be split into " + groups + " groups; pick a divisor of " + c);
        if (!(eps >= 0)) throw new IllegalArgumentException(op + ": eps must be >= 0, got " + eps);
        sameDevice(x, weight, op, "weight");
        sameDevice(x, bias, op, "bias");
        paramShape(weight, new int[] {c}, op, "weight");
        paramShape(bias, new int[] {c}, op, "bias");
        Backend be = x.backend();
        if (last) {
            ChannelsLastKernels cl = (ChannelsLastKernels) be;
            Tensor sh = shift == null || shift.dtype() == x.dtype() ? shift : shift.to(x.dtype());   // an activation: no cast cache
            Tensor[] r = cl.groupNormChannelsLastForward(x, sh, groups, weight, bias, eps, silu);
            Tensor mean = r[1], rstd = r[2];
            String name = silu ? "group_norm_silu" : "group_norm";
            if (sh == null)
                return Autograd.record(r[0], name, gy -> cl.groupNormChannelsLastBackward(gy, x, null, mean, rstd, weight, bias, groups, silu),
                        x, weight, bias);
            int[] pixels = new int[x.rank() - 2];
            for (int i = 0; i < pixels.length; i++) pixels[i] = i + 1;
            return Autograd.record(r[0], name + "_shifted", gy -> {
                Tensor[] g = cl.groupNormChannelsLastBackward(gy, x, sh, mean, rstd, weight, bias, groups, silu);
                return new Tensor[] {g[0], g[0].sum(pixels, false), g[1], g[2]};
            }, x, sh, weight, bias);
        }
        Tensor[] r = be.groupNormForward(x, groups, weight, bias, eps, silu);
        Tensor mean = r[1], rstd = r[2];
        return Autograd.record(r[0], silu ? "group_norm_silu" : "group_norm",
                gy -> be.groupNormBackward(gy, x, mean, rstd, weight, bias, groups, silu), x, weight, bias);
    }

    static Tensor layerNorm(Tensor x, int normalizedDims, Tensor weight0, Tensor bias0, double eps) {
        Tensor weight = inputType(x, weight0), bias = inputType(x, bias0);
        if (normalizedDims < 1 || normalizedDims > x.rank())
            throw new IllegalArgumentException("layerNorm: cannot normalise the last " + normalizedDims + " dims of a rank-" + x.rank() + " tensor");
        if (!(eps >= 0)) throw new IllegalArgumentException("layerNorm: eps must be >= 0, got " + eps);
        int[] normShape = Arrays.copyOfRange(x.shape, x.rank() - normalizedDims, x.rank());
        sameDevice(x, weight, "layerNorm", "weight");
        sameDevice(x, bias, "layerNorm", "bias");
        paramShape(weight, normShape, "layerNorm", "weight");
        paramShape(bias, normShape, "layerNorm", "bias");
        Backend be = x.backend();
        Tensor[] r = be.layerNormForward(x, normalizedDims, weight, bias, eps);
        Tensor mean = r[1], rstd = r[2];
        return Autograd.record(r[0], "layer_norm",
                gy -> be.layerNormBackward(gy, x, mean, rstd, weight, bias, normalizedDims), x, weight, bias);
    }

    static Tensor layerNormModulate(Tensor x, Tensor shift0, Tensor scale0, double eps) {
        Tensor[] p = modulation(x, shift0, scale0, eps);
        Tensor shift = p[0], scale = p[1];
        Backend be = x.backend();
        Tensor[] r = be.layerNormModulate(x, shift, scale, eps, shift.dtype());
        return recordModulatedNorm(be, x, shift, scale, r);
    }

    /** layerNormModulate's shift and scale in its output type, checked against x [B, L, C]. */
    private static Tensor[] modulation(Tensor x, Tensor shift0, Tensor scale0, double eps) {
        if (x.rank() != 3 || !x.dtype().isFloating())
            throw new IllegalArgumentException("layerNormModulate expects float tokens x [B, L, C], got " + x.dtype().id() + " " + Shape.str(x.shape));
        if (!(eps >= 0)) throw new IllegalArgumentException("layerNormModulate: eps must be >= 0, got " + eps);
        DType out = Autocast.outputType(x);
        Tensor shift = shift0.dtype() == out ? shift0 : shift0.to(out), scale = scale0.dtype() == out ? scale0 : scale0.to(out);
        int[] rows = {x.shape[0], x.shape[2]};
        for (Tensor p : new Tensor[] {shift, scale}) {
            if (!p.device().equals(x.device()))
                throw new IllegalArgumentException("layerNormModulate: shift and scale must be on the input's device " + x.device() + ", got " + p.device());
            paramShape(p, rows, "layerNormModulate", p == shift ? "shift" : "scale");
        }
        return new Tensor[] {shift, scale};
    }

    /**
     * The modulated norm r = {y, mean, rstd} of x, recorded for autograd. Its backward takes over x's gradient from x's
     * other uses (in DiT the residual stream's, which reaches the stream before the norm's does), so dx is written with
     * it in one pass instead of written and then added.
     */
    private static Tensor recordModulatedNorm(Backend be, Tensor x, Tensor shift, Tensor scale, Tensor[] r) {
        Tensor mean = r[1], rstd = r[2];
        return Autograd.recordAccumulating(r[0], "layer_norm_modulate",
                (gy, pending) -> be.layerNormModulateBackward(gy, x, mean, rstd, scale, pending.take(0)), x, shift, scale);
    }

    static Tensor gatedResidual(Tensor x, Tensor gate, Tensor branch) {
        checkGated(x, gate, branch);
        Backend be = x.backend();
        return recordGated(be, x, gate, branch, be.gatedResidual(x, gate, branch));
    }

    private static void checkGated(Tensor x, Tensor gate, Tensor branch) {
        if (x.rank() != 3 || !Arrays.equals(x.shape, branch.shape) || gate.rank() != 2 || gate.shape[0] != x.shape[0] || gate.shape[1] != x.shape[2])
            throw new IllegalArgumentException("gatedResidual expects x and branch [B, L, C] and gate [B, C], got x " + Shape.str(x.shape)
                    + ", gate " + Shape.str(gate.shape) + ", branch " + Shape.str(branch.shape));
        ElementwiseOps.requireSameDevice(x, gate);
        ElementwiseOps.requireSameDevice(x, branch);
    }

    private static Tensor recordGated(Backend be, Tensor x, Tensor gate, Tensor branch, Tensor out) {
        DType xType = x.dtype();
        return Autograd.record(out, "gated_residual", gy -> be.gatedResidualBackward(gy, xType, gate, branch), x, gate, branch);
    }

    /**
     * {s, layerNormModulate(s)} for s = gatedResidual(x, gate, branch), computed by one backend call where the sum keeps
     * x's type and recorded as the two ops, so the backward is theirs.
     */
    static Tensor[] gatedResidualLayerNormModulate(Tensor x, Tensor gate, Tensor branch, Tensor shift0, Tensor scale0, double eps) {
        checkGated(x, gate, branch);
        if (DType.promote(x.dtype(), DType.promote(gate.dtype(), branch.dtype())) != x.dtype()) {
            Tensor s = gatedResidual(x, gate, branch);
            return new Tensor[] {s, layerNormModulate(s, shift0, scale0, eps)};
        }
        Tensor[] p = modulation(x, shift0, scale0, eps);   // the sum has x's type, device and shape
        Tensor shift = p[0], scale = p[1];
        Backend be = x.backend();
        Tensor[] r = be.gatedResidualLayerNormModulate(x, gate, branch, shift, scale, eps, shift.dtype());
        GatedNormGradients shared = new GatedNormGradients(be, gate, branch);
        DType xType = x.dtype();
        Tensor s = Autograd.record(r[0], "gated_residual", gy -> shared.residualBackward(gy, xType), x, gate, branch);
        Tensor mean = r[2], rstd = r[3];
        Tensor y = Autograd.recordAccumulating(r[1], "layer_norm_modulate",
                (gy, pending) -> shared.normBackward(gy, s, mean, rstd, scale, pending.take(0)), s, shift, scale);
        return new Tensor[] {s, y};
    }

    /**
     * The backward of a gated residual s = x + gate * branch and of its modulated norm, recorded as the two ops: the norm's
     * backward (which runs first, with s's gradient from its other uses) computes the residual's gradients too
     * (Backend#gatedLayerNormModulateBackward: on CUDA in the pass that writes ds, where the residual's backward read ds
     * back), and the residual's backward takes them when the gradient it gets is that ds, i.e. nothing reached s later.
     */
    private static final class GatedNormGradients {
        private final Backend be;
        private final Tensor gate, branch;
        private Tensor ds, dGate, dBranch;

        GatedNormGradients(Backend be, Tensor gate, Tensor branch) {
            this.be = be;
            this.gate = gate;
            this.branch = branch;
        }

        Tensor[] normBackward(Tensor gy, Tensor s, Tensor mean, Tensor rstd, Tensor scale, Tensor addend) {
            if (!s.requiresGrad()) return be.layerNormModulateBackward(gy, s, mean, rstd, scale, addend);
            Tensor[] r = be.gatedLayerNormModulateBackward(gy, s, mean, rstd, scale, addend, gate, branch);
            ds = r[0];
            dGate = r[3];
            dBranch = r[4];
            return new Tensor[] {r[0], r[1], r[2]};
        }

        Tensor[] residualBackward(Tensor gy, DType xType) {
            Tensor[] r = gy == ds ? new Tensor[] {gy, dGate, dBranch} : be.gatedResidualBackward(gy, xType, gate, branch);
            ds = dGate = dBranch = null;
            return r;
        }
    }

    static Tensor softmax(Tensor x, int dim, boolean log) {
        if (x.rank() == 0) throw new IllegalArgumentException((log ? "logSoftmax" : "softmax") + " needs at least one dim");
        int d = Shape.dim(dim, x.rank());
        Backend be = x.backend();
        Tensor y = be.softmax(x, d, log);
        return Autograd.record(y, log ? "log_softmax" : "softmax", gy -> new Tensor[] {be.softmaxBackward(y, gy, d, log)}, x);
    }

    static Tensor attention(Tensor q0, Tensor k0, Tensor v0, Tensor mask0, double scale) {
        Tensor q = Autocast.cast(q0), k = Autocast.cast(k0), v = Autocast.cast(v0), mask = Autocast.cast(mask0);
        String op = "scaledDotProductAttention";
        if (q.rank() < 2 || k.rank() != q.rank() || v.rank() != q.rank())
            throw new IllegalArgumentException(op + " expects q [..., Lq, D], k [..., Lk, D], v [..., Lk, Dv] of one rank, got "
                    + Shape.str(q.shape) + ", " + Shape.str(k.shape) + ", " + Shape.str(v.shape));
        sameDevice(q, k, op, "k");
        sameDevice(q, v, op, "v");
        sameDevice(q, mask, op, "mask");
        int r = q.rank();
        int[] batch = Arrays.copyOf(q.shape, r - 2);
        if (!Arrays.equals(batch, Arrays.copyOf(k.shape, r - 2)) || !Arrays.equals(batch, Arrays.copyOf(v.shape, r - 2))
                || k.shape[r - 1] != q.shape[r - 1] || v.shape[r - 2] != k.shape[r - 2])
            throw new IllegalArgumentException(op + ": shapes do not fit q [..., Lq, D], k [..., Lk, D], v [..., Lk, Dv]: q "
                    + Shape.str(q.shape) + ", k " + Shape.str(k.shape) + ", v " + Shape.str(v.shape));
        int[] scores = Arrays.copyOf(batch, r);
        scores[r - 2] = q.shape[r - 2];
        scores[r - 1] = k.shape[r - 2];
        if (mask != null) {
            boolean fits;
            try { fits = Arrays.equals(Shape.broadcast(mask.shape, scores), scores); } catch (IllegalArgumentException e) { fits = false; }
            if (!fits) throw new IllegalArgumentException(op + ": mask " + Shape.str(mask.shape) + " does not broadcast to the scores " + Shape.str(scores));
        }
        double s = Double.isNaN(scale) ? 1 / Math.sqrt(q.shape[r - 1]) : scale;
        Backend be = q.backend();
        Tensor[] res = be.attention(q, k, v, mask, s);
        Tensor out = res[0], aux = res[1];
        countAttention(q, k, v);
        return Autograd.record(out, "attention", g -> be.attentionBackward(g, q, k, v, mask, s, out, aux,
                mask != null && mask.requiresGrad()), q, k, v, mask);
    }

    /**
     * Attention over a packed qkv [3, ..., L, D] (q, k, v stacked on the first dim, one contiguous tensor): the same
     * result as attention(qkv[0], qkv[1], qkv[2]), but its backward writes dq, dk, dv into one packed gradient
     * instead of three zero-filled full-size gradients that then add up.
     */
    static Tensor attentionPacked(Tensor qkv0, double scale) {
        Tensor qkv = Autocast.cast(qkv0);
        if (qkv.rank() < 3 || qkv.shape[0] != 3)
            throw new IllegalArgumentException("packed attention expects qkv [3, ..., L, D], got " + Shape.str(qkv.shape));
        double s = Double.isNaN(scale) ? 1 / Math.sqrt(qkv.shape[qkv.rank() - 1]) : scale;
        Backend be = qkv.backend();
        Tensor[] res = be.attentionPacked(qkv.detach(), s);
        Tensor out = res[0], aux = res[1], packed = res[2];
        countAttention(qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2));
        return Autograd.record(out, "attention", g -> new Tensor[] {be.attentionPackedBackward(g, packed, s, out, aux)}, qkv);
    }

    /**
     * linear(op(h), weight, bias) as one recorded op. With {@code recompute} its backward recomputes op(h) from h instead
     * of keeping it: a transformer MLP's activation output (as wide as its hidden layer) is then not held from the forward
     * to the backward, for one more elementwise pass. Either way the backend may take op's input gradient inside the
     * product that forms it ({@link Backend#activationInputGradient}) and the bias gradient inside the weight gradient's
     * ({@link Backend#linearWeightGradients}). Same values and gradients as the composed ops, autocast included (the
     * product in the scope's type, the weight's and bias's gradients back in theirs).
     */
    static Tensor linearOfUnary(UnaryOp op, Tensor h, Tensor weight, Tensor bias, boolean recompute) {
        return linearOfUnary(op, h, null, weight, bias, recompute);
    }

    /**
     * linear(op(linear(x, w1, b1)), w2, b2): fc1 recorded as a linear op, then {@link #linearOfUnary} keeping op's
     * output, which the backend may write from fc1's product (see {@link Backend#linearKeepingInput}).
     */
    static Tensor linearOfLinear(Tensor x, Tensor w1, Tensor b1, UnaryOp op, Tensor w2, Tensor b2) {
        UnaryOp.requireParameterless(op, "linearOfLinear");
        Tensor[] h = LinalgOps.linearKeepingInput(x, w1, b1, op);
        return linearOfUnary(op, h[0], h[1], w2, b2, false);
    }

    /** op0: op(h) already computed (not recorded), or null to compute it here. */
    private static Tensor linearOfUnary(UnaryOp op, Tensor h, Tensor op0, Tensor weight, Tensor bias, boolean recompute) {
        UnaryOp.requireParameterless(op, "linearOf");
        if (weight.rank() != 2 || h.rank() < 1 || h.shape[h.rank() - 1] != weight.shape[1])
            throw new IllegalArgumentException("linear: input " + Shape.str(h.shape) + " does not fit weight " + Shape.str(weight.shape));
        if (bias != null && (bias.rank() != 1 || bias.shape[0] != weight.shape[0]))
            throw new IllegalArgumentException("linear: bias " + Shape.str(bias.shape) + " does not fit weight " + Shape.str(weight.shape));
        // under autocast h may already be bf16 (a previous product's output) while the weights stay f32: the types are
        // compared after autocast's casts, as the composed ops would
        ElementwiseOps.requireSameDevice(h, weight);
        Backend be = h.backend();
        DType actType = Autocast.outputType(h), wType = Autocast.outputType(weight);
        if (actType != wType)
            throw new IllegalArgumentException("dtype mismatch: " + actType.id() + " and " + wType.id() + "; convert one with .to(dtype)");
        Tensor w = Autocast.parameterValue(weight, wType), b = bias == null ? null : Autocast.parameterValue(bias, Autocast.outputType(bias));
        Tensor act0 = op0 != null && op0.dtype() == h.dtype() ? op0 : be.unary(op, h, 0, 0), a = castWithoutGraph(act0, actType);
        Tensor y = be.linear(a, w, b, null);
        Tensor keptAct = recompute ? null : act0, kept = recompute ? null : a;
        if (FlopCounter.counting()) FlopCounter.multiplyAdds(y.numel() * h.shape[h.rank() - 1]);
        boolean gh = h.requiresGrad(), gw = weight.requiresGrad(), gb = bias != null && bias.requiresGrad();
        int in = weight.shape[1], out = weight.shape[0];
        return Autograd.record(y, "linear_of_" + op.name().toLowerCase(), gy -> {
            Tensor g2 = gy.reshape(-1, out), dh = null, dw = null, db = null;
            Tensor fused = gh && be.fusesActivationGradient(op) ? be.activationInputGradient(op, g2, w, h.reshape(-1, in)) : null;   // op' in the product
            Tensor act = keptAct != null ? keptAct : gw || (gh && fused == null) ? be.unary(op, h, 0, 0) : null;   // or the recomputation
            if (gw) {
                Tensor[] g = be.linearWeightGradients(g2, (kept != null ? kept : castWithoutGraph(act, actType)).reshape(-1, in), gb);
                dw = g[0];
                db = g[1];
            } else if (gb) db = be.reduce(ReduceOp.SUM, g2, new int[] {0}, false);
            if (fused != null) dh = fused.reshape(h.shape);
            else if (gh) {
                Tensor da = castWithoutGraph(be.matmul(gy, w), act.dtype());
                dh = be.unaryBackward(op, h, act, da, 0, 0);
            }
            return new Tensor[] {dh, dw, db};
        }, h, weight, bias);
    }

    private static Tensor castWithoutGraph(Tensor x, DType t) { return x.dtype() == t ? x : x.backend().cast(x, t); }

    /** q k^T and P v: Lq * Lk * (D + Dv) multiply-adds per head. */
    private static void countAttention(Tensor q, Tensor k, Tensor v) {
        if (!FlopCounter.counting()) return;
        int r = q.rank();
        long heads = 1;
        for (int i = 0; i < r - 2; i++) heads *= q.shape[i];
        FlopCounter.multiplyAdds(heads * q.shape[r - 2] * k.shape[r - 2] * (q.shape[r - 1] + (long) v.shape[r - 1]));
    }

    static Tensor embedding(Tensor weight, Tensor ids) {
        if (weight.rank() != 2) throw new IllegalArgumentException("embedding expects a weight table [V, D], got " + Shape.str(weight.shape));
        if (ids.dtype() != DType.I64)
            throw new IllegalArgumentException("embedding ids must be i64, got " + ids.dtype().id() + "; convert them with .to(DType.I64)");
        int vocab = weight.shape[0];
        // host ids are checked here, naming the one out of range; on a GPU reading them would wait for the device in
        // every forward, so there the index kernel flags an id out of range and the next read from the device reports it
        if (!ids.device().isCuda()) {
            long[] v = ids.toLongArray();
            for (int i = 0; i < v.length; i++)
                if (v[i] < 0 || v[i] >= vocab)
                    throw new IllegalArgumentException("embedding id " + v[i] + " (element " + i + " of ids " + Shape.str(ids.shape)
                            + ") is outside the table of " + vocab + " rows; ids must lie in [0, " + vocab + ")");
        }
        int[] outShape = Arrays.copyOf(ids.shape, ids.rank() + 1);
        outShape[ids.rank()] = weight.shape[1];
        return weight.indexSelect(0, ids.reshape(-1)).reshape(outShape);
    }
}
