package dev.diffusion4j.diffusion.guidance;

import dev.diffusion4j.diffusion.Conditioning;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * What "no condition" means to a conditional model, for classifier-free guidance and its training-time dropout: a
 * designated null label, a zero embedding, or no conditioning at all. The null conditioning of a batch has the same
 * names and batch size as the batch's own, so the two can be concatenated into one model call.
 */
@FunctionalInterface
public interface NullCondition {
    /** The null conditioning for a batch conditioned on {@code cond}; null means "call the model with no conditioning". */
    Conditioning of(Conditioning cond);

    /** The i64 labels under {@code name} replaced by {@code nullLabel} (e.g. the number of classes); other entries kept. */
    static NullCondition label(String name, long nullLabel) {
        return cond -> {
            Tensor y = require(cond, name);
            long[] v = new long[(int) y.numel()];
            Arrays.fill(v, nullLabel);
            return cond.with(name, Tensor.ofLongs(v, y.shape()).to(y.device()));
        };
    }

    /** The named tensors replaced by zeros of their shape (an empty embedding, a blank image); other entries kept. */
    static NullCondition zeros(String... names) {
        List<String> list = List.of(names);
        return cond -> {
            Conditioning c = cond;
            for (String n : list) c = c.with(n, require(cond, n).zerosLike());
            return c;
        };
    }

    /** No conditioning: the model is called with null (it must accept that); the two branches cannot share a call. */
    static NullCondition none() { return cond -> null; }

    private static Tensor require(Conditioning cond, String name) {
        Tensor t = cond == null ? null : cond.get(name);
        if (t == null) throw new IllegalArgumentException("conditioning has no entry '" + name + "' to replace by its null value"
                + (cond == null ? " (no conditioning was given)" : "; it has " + cond.names()));
        return t;
    }
}
