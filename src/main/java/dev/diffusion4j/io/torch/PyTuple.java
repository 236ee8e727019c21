package dev.diffusion4j.io.torch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A Python tuple from a pickle. Kept apart from lists because torch's rebuild functions take their arguments as one.
 * No equals/hashCode over the items: a hostile pickle can nest or even cycle them, and nothing here may recurse.
 */
final class PyTuple {
    final List<Object> items;

    PyTuple(List<Object> items) {
        this.items = Collections.unmodifiableList(new ArrayList<>(items));
    }

    int size() {
        return items.size();
    }

    Object get(int i) {
        return items.get(i);
    }

    @Override
    public String toString() {
        return "tuple of " + items.size();
    }
}
