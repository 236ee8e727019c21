package dev.diffusion4j.nn;

import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Shape;
import dev.diffusion4j.engine.Tensor;
import java.util.Arrays;

/** In-place writes shared by parameters and buffers. */
final class Slots {
    private Slots() {}

    /** Writes src's values into dst's storage, converting dtype and device; shapes must be equal. */
    static void copyInto(Tensor dst, Tensor src, String what) {
        if (!Arrays.equals(dst.shape(), src.shape()))
            throw new IllegalArgumentException(what + " has shape " + Shape.str(dst.shape())
                    + ", cannot copy in a tensor of shape " + Shape.str(src.shape()));
        try (var g = GradMode.off()) {
            Tensor s = src.detach().to(dst.device()).to(dst.dtype());
            dst.backend().copyInto(dst, s);
        }
    }
}
