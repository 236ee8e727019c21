package dev.diffusion4j.engine;

import java.util.Arrays;

/** Differentiable shape ops. Most are views (no copy); their backward undoes the view on the gradient. */
final class ShapeOps {
    private ShapeOps() {}

    static Tensor reshape(Tensor x, int[] newShape) {
        int[] s = inferShape(newShape, x.numel(), x.shape);
        if (Arrays.equals(s, x.shape)) return x;
        // a view where the strides allow one (as PyTorch's view/reshape), else a contiguous copy
        int[] viewStrides = Shape.viewStrides(x.shape, x.strides, s);
        Tensor out;
        if (viewStrides != null) out = new Tensor(x.storage, s, viewStrides, x.offset);
        else {
            Tensor base = x.backend().contiguous(x);
            out = new Tensor(base.storage, s, Shape.contiguousStrides(s), base.offset);
        }
        int[] orig = x.shape;
        return Autograd.record(out, "reshape", gy -> new Tensor[] {gy.reshape(orig)}, x);
    }

    private static int[] inferShape(int[] shape, long numel, int[] from) {
        int[] s = shape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("only one -1 allowed in shape " + Shape.str(shape));
                infer = i;
            } else known *= s[i];
        }
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) throw new IllegalArgumentException("cannot reshape " + Shape.str(from) + " to " + Shape.str(shape));
            s[infer] = (int) (numel / known);
        } else if (known != numel) throw new IllegalArgumentException("cannot reshape " + Shape.str(from) + " (" + numel + " elements) to " + Shape.str(shape));
        return s;
    }

    static Tensor flatten(Tensor x, int start, int end) {
        int s = Shape.dim(start, x.rank()), e = Shape.dim(end, x.rank());
        int[] ns = new int[x.rank() - (e - s)];
        int j = 0;
        for (int i = 0; i < s; i++) ns[j++] = x.shape[i];
        int m = 1;
        for (int i = s; i <= e; i++) m *= x.shape[i];
        ns[j++] = m;
        for (int i = e + 1; i < x.rank(); i++) ns[j++] = x.shape[i];
        return reshape(x, ns);
    }

    static Tensor permute(Tensor x, int[] dims) {
        if (dims.length != x.rank()) throw new IllegalArgumentException("permute needs " + x.rank() + " dims, got " + Arrays.toString(dims));
        int[] s = new int[dims.length], st = new int[dims.length], inv = new int[dims.length];
        boolean[] used = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shape.dim(dims[i], x.rank());
            if (used[d]) throw new IllegalArgumentException("permute dims repeat: " + Arrays.toString(dims));
            used[d] = true;
            s[i] = x.shape[d]; st[i] = x.strides[d]; inv[d] = i;
        }
        Tensor out = new Tensor(x.storage, s, st, x.offset);
        return Autograd.record(out, "permute", gy -> new Tensor[] {gy.permute(inv)}, x);
    }

    static Tensor transpose(Tensor x, int d0, int d1) {
        int[] p = new int[x.rank()];
        for (int i = 0; i < p.length; i++) p[i] = i;
        int a = Shape.dim(d0, x.rank()), b = Shape.dim(d1, x.rank());
        p[a] = b; p[b] = a;
        return permute(x, p);
    }

    static Tensor unsqueeze(Tensor x, int dim) {
        int d = Shape.dim(dim, x.rank() + 1);
        int[] s = new int[x.rank() + 1];
        for (int i = 0, j = 0; i < s.length; i++) s[i] = i == d ? 1 : x.shape[j++];
        return reshape(x, s);
    }

    static Tensor squeeze(Tensor x, int dim) {
        int d = Shape.dim(dim, x.rank());
        if (x.shape[d] != 1) throw new IllegalArgumentException("cannot squeeze dim " + dim + " of size " + x.shape[d]);
        int[] s = new int[x.rank() - 1];
        for (int i = 0, j = 0; i < x.rank(); i++) if (i != d) s[j++] = x.shape[i];
        return reshape(x, s);
    }

    static Tensor slice(Tensor x, int dim, int start, int end, int step) {
        int d = Shape.dim(dim, x.rank());
        int n = x.shape[d];
        int s0 = start < 0 ? start + n : start, e0 = end < 0 ? end + n : Math.min(end, n);
        if (step <= 0) throw new IllegalArgumentException("slice step must be positive, got " + step);
        if (s0 < 0 || s0 > e0) throw new IllegalArgumentException("slice [" + start + ", " + end + ") out of range for dim of size " + n);
        int len = (e0 - s0 + step - 1) / step;
        int[] s = x.shape.clone(), st = x.strides.clone();
        s[d] = len; st[d] = x.strides[d] * step;
        Tensor out = new Tensor(x.storage, s, st, x.offset + s0 * x.strides[d]);
        int[] orig = x.shape;
        return Autograd.recordAccumulating(out, "slice", (gy, pending) -> new Tensor[] {SliceGradients.into(pending.take(0), orig, gy, d, s0, e0, step)}, x);
    }

    static Tensor expand(Tensor x, int[] newShape) {
        if (newShape.length < x.rank()) throw new IllegalArgumentException("cannot expand " + Shape.str(x.shape) + " to " + Shape.str(newShape));
        int[] target = newShape.clone();
        int lead = target.length - x.rank();
        for (int i = 0; i < x.rank(); i++) {
            if (target[lead + i] == -1) target[lead + i] = x.shape[i];
            if (x.shape[i] != 1 && x.shape[i] != target[lead + i])
                throw new IllegalArgumentException("cannot expand " + Shape.str(x.shape) + " to " + Shape.str(newShape));
        }
        if (Arrays.equals(target, x.shape)) return x;
        Tensor out = new Tensor(x.storage, target, Shape.broadcastStrides(x.shape, x.strides, target), x.offset);
        int[] orig = x.shape;
        return Autograd.record(out, "expand", gy -> new Tensor[] {gy.sumTo(orig)}, x);
    }

    static Tensor flip(Tensor x, int[] dims) {
        int[] st = x.strides.clone();
        int off = x.offset;
        for (int dd : dims) {
            int d = Shape.dim(dd, x.rank());
            if (x.shape[d] > 0) off += (x.shape[d] - 1) * x.strides[d];
            st[d] = -x.strides[d];
        }
        Tensor out = new Tensor(x.storage, x.shape, st, off);
        return Autograd.record(out, "flip", gy -> new Tensor[] {gy.flip(dims)}, x);
    }

    static Tensor contiguous(Tensor x) {
        if (x.isContiguous()) return x;
        Tensor out = x.backend().contiguous(x);
        return Autograd.record(out, "contiguous", gy -> new Tensor[] {gy}, x);
    }

    static Tensor[] split(Tensor x, int size, int dim) {
        int d = Shape.dim(dim, x.rank());
        int n = x.shape[d];
        Tensor[] out = new Tensor[(n + size - 1) / size];
        for (int i = 0; i < out.length; i++) out[i] = slice(x, d, i * size, Math.min(n, (i + 1) * size), 1);
        return out;
    }

    static Tensor[] chunk(Tensor x, int chunks, int dim) {
        int n = x.shape[Shape.dim(dim, x.rank())];
        return split(x, (n + chunks - 1) / chunks, dim);
    }

    static Tensor pad(Tensor x, int[] pads, double value) {
        if (pads.length % 2 != 0 || pads.length / 2 > x.rank()) throw new IllegalArgumentException("pad needs (before, after) pairs for at most " + x.rank() + " dims");
        int[] s = x.shape.clone();
        int[] starts = new int[x.rank()];
        for (int i = 0; i < pads.length / 2; i++) {
            int d = x.rank() - 1 - i;
            if (pads[2 * i] < 0 || pads[2 * i + 1] < 0) throw new IllegalArgumentException("negative padding is not supported");
            s[d] += pads[2 * i] + pads[2 * i + 1];
            starts[d] = pads[2 * i];
        }
        Tensor out = x.backend().full(s, x.dtype(), value);
        out.backend().copyInto(region(out, starts, x.shape), x);
        int[] shape = x.shape;
        return Autograd.record(out, "pad", gy -> new Tensor[] {region(gy, starts, shape)}, x);
    }

    /** A view of t starting at {@code starts} with extent {@code size} (no graph). */
    static Tensor region(Tensor t, int[] starts, int[] size) {
        int off = t.offset;
        for (int i = 0; i < starts.length; i++) off += starts[i] * t.strides[i];
        return new Tensor(t.storage, size.clone(), t.strides.clone(), off);
    }

    static Tensor cat(int dim, Tensor... ts0) {
        if (ts0.length == 0) throw new IllegalArgumentException("cat needs at least one tensor");
        // mixed floating types concatenate in the widest (differentiable casts), as elementwise ops promote
        DType type = ts0[0].dtype();
        for (Tensor t : ts0) if (t.dtype() != type && t.dtype().isFloating() && type.isFloating()) type = DType.promote(type, t.dtype());
        Tensor[] ts = new Tensor[ts0.length];
        for (int i = 0; i < ts0.length; i++) ts[i] = ts0[i].dtype().isFloating() && type.isFloating() ? ts0[i].to(type) : ts0[i];
        Tensor first = ts[0];
        int d = Shape.dim(dim, first.rank());
        int[] s = first.shape.clone();
        int total = 0;
        for (Tensor t : ts) {
            ElementwiseOps.backendOf(first, t);
            if (t.rank() != first.rank()) throw new IllegalArgumentException("cat: ranks differ");
            for (int i = 0; i < s.length; i++)
                if (i != d && t.shape[i] != s[i]) throw new IllegalArgumentException("cat along dim " + d + ": shapes " + Shape.str(first.shape) + " and " + Shape.str(t.shape) + " differ elsewhere");
            total += t.shape[d];
        }
        s[d] = total;
        Tensor out = first.backend().empty(s, first.dtype());   // the pieces cover every element
        int[] starts = new int[s.length];
        int[] offsets = new int[ts.length];
        for (int k = 0; k < ts.length; k++) {
            offsets[k] = starts[d];
            out.backend().copyInto(region(out, starts, ts[k].shape), ts[k]);
            starts[d] += ts[k].shape[d];
        }
        // the closure keeps the pieces' shapes, not the pieces
        int[][] shapes = new int[ts.length][];
        boolean[] needs = new boolean[ts.length];
        for (int k = 0; k < ts.length; k++) {
            shapes[k] = ts[k].shape;
            needs[k] = ts[k].requiresGrad();
        }
        return Autograd.record(out, "cat", gy -> {
            Tensor[] g = new Tensor[shapes.length];
            for (int k = 0; k < shapes.length; k++) {
                if (!needs[k]) continue;
                int[] st = new int[s.length];
                st[d] = offsets[k];
                g[k] = region(gy, st, shapes[k]);
            }
            return g;
        }, ts);
    }

    static Tensor stack(int dim, Tensor... ts) {
        if (ts.length == 0) throw new IllegalArgumentException("stack needs at least one tensor");
        int d = Shape.dim(dim, ts[0].rank() + 1);
        Tensor[] u = new Tensor[ts.length];
        for (int i = 0; i < ts.length; i++) u[i] = unsqueeze(ts[i], d);
        return cat(d, u);
    }

    static Tensor toDevice(Tensor x, Device device) {
        Backend dst = Backends.get(device);
        Tensor c = x.backend().contiguous(x);
        Tensor out = dst.fromArray(x.backend().toArray(c), x.shape.clone(), x.dtype());
        Device from = x.device();
        return Autograd.record(out, "to", gy -> new Tensor[] {toDevice(gy, from)}, x);
    }
}
