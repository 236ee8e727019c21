package dev.diffusion4j.diffusion.guidance;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.engine.DType;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Batch-wise operations on pairs of conditionings with the same entries (a batch and its null version). */
final class Conditionings {
    private Conditionings() {}

    /**
     * Entries of a and b concatenated along dim 0 (batch n each), for one model call on both batches. An entry both
     * share as one object is doubled the same way when it is per-sample (dim 0 of size n) and kept once otherwise.
     */
    static Conditioning cat(Conditioning a, Conditioning b, int n) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : sameNames(a, b)) {
            Tensor ta = a.get(name), tb = b.get(name);
            if (ta == tb && (ta.rank() == 0 || ta.shape(0) != n)) out.put(name, ta);
            else out.put(name, Tensor.cat(0, perSample(ta, name, n), perSample(tb, name, n)));
        }
        return Conditioning.of(out);
    }

    /** Sample i takes b's entries where drop[i], a's otherwise. */
    static Conditioning select(Conditioning a, Conditioning b, boolean[] drop) {
        int n = drop.length;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : sameNames(a, b)) {
            Tensor ta = a.get(name), tb = b.get(name);
            if (ta == tb) { out.put(name, ta); continue; }
            perSample(ta, name, n);
            perSample(tb, name, n);
            out.put(name, ta.dtype().isFloating() ? selectFloating(ta, tb, drop) : selectHost(ta, tb, drop));
        }
        return Conditioning.of(out);
    }

    private static Tensor selectFloating(Tensor a, Tensor b, boolean[] drop) {
        double[] m = new double[drop.length];
        for (int i = 0; i < m.length; i++) m[i] = drop[i] ? 1 : 0;
        int[] shape = new int[a.rank()];
        Arrays.fill(shape, 1);
        shape[0] = m.length;
        Tensor mask = Tensor.of(m, shape).to(a.dtype()).to(a.device());
        return Tensor.where(mask, b, a);
    }

    /** Integer entries (labels) are small: mix them on the host. */
    private static Tensor selectHost(Tensor a, Tensor b, boolean[] drop) {
        long[] va = a.toLongArray(), vb = b.toLongArray();
        int per = va.length / drop.length;
        for (int i = 0; i < drop.length; i++) if (drop[i]) System.arraycopy(vb, i * per, va, i * per, per);
        Tensor t = Tensor.ofLongs(va, a.shape());
        return (a.dtype() == DType.I64 ? t : t.to(a.dtype())).to(a.device());
    }

    private static Set<String> sameNames(Conditioning a, Conditioning b) {
        if (!a.names().equals(b.names()))
            throw new IllegalArgumentException("the null conditioning must have the same entries as the conditioning: "
                    + new TreeSet<>(a.names()) + " vs " + new TreeSet<>(b.names()));
        return a.names();
    }

    private static Tensor perSample(Tensor t, String name, int n) {
        if (t.rank() == 0 || t.shape(0) != n)
            throw new IllegalArgumentException("conditioning entry '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ": entries that differ between the conditioning and its null version must have the batch size " + n + " as dim 0");
        return t;
    }
}
