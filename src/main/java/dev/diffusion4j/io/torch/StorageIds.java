package dev.diffusion4j.io.torch;

import java.util.HashMap;
import java.util.Map;

/**
 * Reads torch's persistent ids: {@code ('storage', storage_type, key, location, numel)} in zip checkpoints, with a sixth
 * item (view metadata, None since PyTorch 0.4) in the legacy format. The same key always names the same storage.
 */
final class StorageIds implements Unpickler.PersistentLoader {
    private final boolean legacy;
    private final Map<String, StorageRef> byKey = new HashMap<>();

    StorageIds(boolean legacy) {
        this.legacy = legacy;
    }

    Map<String, StorageRef> byKey() {
        return byKey;
    }

    @Override
    public StorageRef load(Object pid) throws TorchCheckpointException {
        int n = legacy ? 6 : 5;
        if (!(pid instanceof PyTuple t) || t.size() != n || !"storage".equals(t.get(0))) {
            throw new TorchCheckpointException("a persistent id that is not torch's storage tuple of " + n + " items (got a "
                    + Unpickler.typeName(pid) + ")");
        }
        if (!(t.get(1) instanceof PyGlobal g)
                || (g.kind() != PyGlobal.Kind.STORAGE_CLASS && g.kind() != PyGlobal.Kind.UNTYPED_STORAGE)) {
            throw new TorchCheckpointException("storage type is a " + Unpickler.typeName(t.get(1)) + ", not a torch storage class");
        }
        if (!(t.get(2) instanceof String key)) throw new TorchCheckpointException("storage key is a " + Unpickler.typeName(t.get(2)));
        if (!(t.get(3) instanceof String location)) throw new TorchCheckpointException("storage location is a " + Unpickler.typeName(t.get(3)));
        if (!(t.get(4) instanceof Long numel) || numel < 0) throw new TorchCheckpointException("storage '" + key + "' has size " + t.get(4));
        if (legacy && t.get(5) != null) {
            throw new TorchCheckpointException("storage '" + key + "' is a view of another storage, as PyTorch before 0.4 wrote;"
                    + " re-save the checkpoint with a current PyTorch");
        }
        TorchDType dtype = g.kind() == PyGlobal.Kind.UNTYPED_STORAGE ? TorchDType.U8 : g.dtype();
        StorageRef s = new StorageRef(key, dtype, numel, location);
        StorageRef seen = byKey.putIfAbsent(key, s);
        if (seen != null && (seen.dtype() != dtype || seen.numel() != numel)) {
            throw new TorchCheckpointException("storage '" + key + "' is declared twice, as " + seen.dtype() + "[" + seen.numel()
                    + "] and as " + dtype + "[" + numel + "]");
        }
        return seen != null ? seen : s;
    }
}
