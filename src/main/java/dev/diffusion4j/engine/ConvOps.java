package dev.diffusion4j.engine;

/** Differentiable convolution, pooling and resampling. */
final class ConvOps {
    private ConvOps() {}

    /** Each output element of a convolution with weight [Cout, Cin/groups, kh, kw] takes Cin/groups * kh * kw multiply-adds. */
    private static void countConv(Tensor out, Tensor w) {
        if (FlopCounter.counting()) FlopCounter.multiplyAdds(out.numel() * (long) w.shape[1] * w.shape[2] * w.shape[3]);
    }

    static Tensor conv2d(Tensor x0, Tensor w0, Tensor bias0, Conv2dParams p) { return conv2dAdd(x0, w0, bias0, p, null); }

    /**
     * conv2d(x, w) + bias + residual (residual null: none). A residual of the output's shape and dtype goes to the
     * backend with the convolution, which may add it in the bias pass; any other is added afterwards, promoting.
     */
    static Tensor conv2dAdd(Tensor x0, Tensor w0, Tensor bias0, Conv2dParams p, Tensor residual) {
        return conv2dAdd(x0, w0, bias0, p, residual, MemoryFormat.CHANNELS_FIRST);
    }

    /**
     * As {@link #conv2dAdd(Tensor, Tensor, Tensor, Conv2dParams, Tensor)} in either format. Channels-last runs natively
     * where the backend has {@link ChannelsLastKernels}, else by permuting to channels-first around the ordinary kernel.
     */
    static Tensor conv2dAdd(Tensor x0, Tensor w0, Tensor bias0, Conv2dParams p, Tensor residual, MemoryFormat format) {
        if (format == MemoryFormat.CHANNELS_LAST) {
            if (x0.rank() != 4) throw new IllegalArgumentException("conv2d channels-last expects [N, H, W, C], got " + Shape.str(x0.shape));
            Tensor x = Autocast.cast(x0), w = Autocast.cast(w0);
            if (!(ElementwiseOps.backendOf(x, w) instanceof ChannelsLastKernels)) {
                int[] first = MemoryFormat.toFirst(4);
                Tensor y = conv2dAdd(x.permute(first), w, bias0, p, residual == null ? null : residual.permute(first));
                return y.permute(MemoryFormat.toLast(4));
            }
        }
        Tensor x = Autocast.cast(x0), w = Autocast.cast(w0), bias = Autocast.cast(bias0);
        Backend be = ElementwiseOps.backendOf(x, w);
        boolean last = format == MemoryFormat.CHANNELS_LAST;
        int[] ys = last ? channelsLastOutput(x.shape, w.shape, p) : p.outputShape(x.shape, w.shape);
        if (bias != null && (bias.rank() != 1 || bias.shape[0] != w.shape[0]))
            throw new IllegalArgumentException("conv2d: bias " + Shape.str(bias.shape) + " does not match " + w.shape[0] + " output channels");
        if (residual != null && (residual.dtype() != x.dtype() || !java.util.Arrays.equals(residual.shape, ys)
                || residual.backend() != be)) return conv2dAdd(x, w, bias, p, null, format).add(residual);
        ChannelsLastKernels cl = last ? (ChannelsLastKernels) be : null;
        // channels-last takes the filter as KRSC: one copy per forward, shared with the backward (and cached with the
        // parameter's cast while sampling)
        Tensor wk = last ? Autocast.parameterForm(w0, w, "krsc", c -> be.contiguous(permuted(c, 0, 2, 3, 1))) : null;
        Tensor y = last ? cl.conv2dChannelsLast(x, wk, bias, p, residual)
                : residual == null ? be.conv2d(x, w, bias, p) : be.conv2d(x, w, bias, p, residual);
        countConv(y, w);
        int[] xs = x.shape, ws = w.shape;
        int[] biasDims = last ? new int[] {0, 1, 2} : new int[] {0, 2, 3};
        boolean residualGrad = residual != null && residual.requiresGrad();   // the flag, not the tensor: nothing kept for it
        return Autograd.record(y, residual == null ? "conv2d" : "conv2d_add", gy0 -> {
            Tensor gy = gy0.isContiguous() ? gy0 : be.contiguous(gy0); // once, not in each of the three consumers
            return new Tensor[] {
                !x.requiresGrad() ? null : last ? cl.conv2dChannelsLastBackwardInput(gy, wk, xs, p) : be.conv2dBackwardInput(gy, w, xs, p),
                !w.requiresGrad() ? null : last ? be.contiguous(permuted(cl.conv2dChannelsLastBackwardWeight(x, gy, wk.shape, p), 0, 3, 1, 2))
                        : be.conv2dBackwardWeight(x, gy, ws, p),
                bias != null && bias.requiresGrad() ? gy.sum(biasDims, false) : null,
                residualGrad ? gy0 : null};
        }, x, w, bias, residual);
    }

    /** A permuted view with no autograd record (for copies a backend makes inside an op). */
    private static Tensor permuted(Tensor t, int... dims) {
        int[] sh = new int[dims.length], st = new int[dims.length];
        for (int i = 0; i < dims.length; i++) { sh[i] = t.shape[dims[i]]; st[i] = t.strides[dims[i]]; }
        return new Tensor(t.storage, sh, st, t.offset);
    }

    /** The [N, H', W', Cout] output of a channels-last convolution of x [N, H, W, C]. */
    static int[] channelsLastOutput(int[] x, int[] w, Conv2dParams p) {
        int[] y = p.outputShape(new int[] {x[0], x[3], x[1], x[2]}, w);
        return new int[] {y[0], y[2], y[3], y[1]};
    }

    /** Transposed convolution: weight [Cin, Cout/groups, kh, kw] as in PyTorch. */
    static Tensor convTranspose2d(Tensor x0, Tensor w0, Tensor bias0, Conv2dParams p, int outPadH, int outPadW) {
        Tensor x = Autocast.cast(x0), w = Autocast.cast(w0), bias = Autocast.cast(bias0);
        Backend be = ElementwiseOps.backendOf(x, w);
        if (x.rank() != 4 || w.rank() != 4 || x.shape[1] != w.shape[0])
            throw new IllegalArgumentException("convTranspose2d: input " + Shape.str(x.shape) + " does not match weight " + Shape.str(w.shape));
        int g = p.groups();
        int h = (x.shape[2] - 1) * p.strideH() - 2 * p.padH() + p.dilationH() * (w.shape[2] - 1) + outPadH + 1;
        int wd = (x.shape[3] - 1) * p.strideW() - 2 * p.padW() + p.dilationW() * (w.shape[3] - 1) + outPadW + 1;
        int[] ys = {x.shape[0], w.shape[1] * g, h, wd};
        Tensor y = be.conv2dBackwardInput(x, w, ys, p);
        countConv(x, w);   // the products of the convolution it transposes, whose output has x's shape
        if (bias != null) y = be.binary(BinaryOp.ADD, y, bias.reshape(1, -1, 1, 1));
        int[] ws = w.shape;
        return Autograd.record(y, "conv_transpose2d", gy -> new Tensor[] {
            x.requiresGrad() ? be.conv2d(gy, w, null, p) : null,
            w.requiresGrad() ? be.conv2dBackwardWeight(gy, x, ws, p) : null,
            bias != null && bias.requiresGrad() ? gy.sum(new int[] {0, 2, 3}, false) : null}, x, w, bias);
    }

    static Tensor avgPool2d(Tensor x, int kernel, int stride) {
        check4d(x, "avgPool2d");
        Tensor y = x.backend().avgPool2d(x, kernel, stride);
        int[] xs = x.shape;
        return Autograd.record(y, "avg_pool2d", gy -> new Tensor[] {gy.backend().avgPool2dBackward(gy, xs, kernel, stride)}, x);
    }

    /** Nearest upsampling of x in the given format; channels-last natively where the backend has {@link ChannelsLastKernels}. */
    static Tensor upsampleNearest(Tensor x, int factor, MemoryFormat format) {
        if (format == MemoryFormat.CHANNELS_FIRST) return upsampleNearest(x, factor);
        check4d(x, "upsampleNearest");
        if (!(x.backend() instanceof ChannelsLastKernels cl))
            return upsampleNearest(x.permute(MemoryFormat.toFirst(4)), factor).permute(MemoryFormat.toLast(4));
        Tensor y = cl.upsampleNearest2dChannelsLast(x, factor);
        return Autograd.record(y, "upsample_nearest2d", gy -> new Tensor[] {((ChannelsLastKernels) gy.backend()).upsampleNearest2dChannelsLastBackward(gy, factor)}, x);
    }

    static Tensor upsampleNearest(Tensor x, int factor) {
        check4d(x, "upsampleNearest");
        Tensor y = x.backend().upsampleNearest2d(x, factor);
        return Autograd.record(y, "upsample_nearest2d", gy -> new Tensor[] {gy.backend().upsampleNearest2dBackward(gy, factor)}, x);
    }

    static Tensor upsampleBilinear(Tensor x, int outH, int outW) {
        check4d(x, "upsampleBilinear");
        Tensor y = x.backend().upsampleBilinear2d(x, outH, outW);
        int[] xs = x.shape;
        return Autograd.record(y, "upsample_bilinear2d", gy -> new Tensor[] {gy.backend().upsampleBilinear2dBackward(gy, xs)}, x);
    }

    private static void check4d(Tensor x, String op) {
        if (x.rank() != 4) throw new IllegalArgumentException(op + " expects [N, C, H, W], got " + Shape.str(x.shape));
    }
}
