package dev.diffusion4j.nn;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** An indexed list of modules (children "0", "1", ...) whose owner decides how to call them. */
public final class ModuleList<M extends Module> extends Module implements Iterable<M> {
    private final List<M> items = new ArrayList<>();

    @SafeVarargs
    public ModuleList(M... modules) { for (M m : modules) add(m); }

    public ModuleList<M> add(M m) {
        registerModule(Integer.toString(items.size()), m);
        items.add(m);
        return this;
    }

    public M get(int i) { return items.get(i); }
    public int size() { return items.size(); }
    public boolean isEmpty() { return items.isEmpty(); }

    @Override public Iterator<M> iterator() { return java.util.Collections.unmodifiableList(items).iterator(); }
}
