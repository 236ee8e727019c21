package dev.diffusion4j.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of a safetensors header, already validated: where a tensor's bytes lie, as offsets
 * relative to the start of the data buffer (end exclusive).
 */
public record TensorInfo(String name, StoreType type, int[] shape, long begin, long end) {
    public TensorInfo {
        shape = shape.clone();
    }

    /** A copy of the shape. */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    public long byteSize() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && type == t.type && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + ": " + type + " " + Arrays.toString(shape) + " @ [" + begin + ", " + end + ")";
    }
}
