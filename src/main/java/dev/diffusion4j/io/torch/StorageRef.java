package dev.diffusion4j.io.torch;

/**
 * A storage named by a persistent id: its key (the zip entry data/KEY, or the legacy format's storage key), element
 * type, element count as declared (bytes for an untyped storage, whose type is U8) and device location.
 */
record StorageRef(String key, TorchDType dtype, long numel, String location) {
    /** The declared size in bytes, saturating so a huge claim fails the size checks instead of wrapping. */
    long byteSize() {
        return numel > Long.MAX_VALUE / dtype.size() ? Long.MAX_VALUE : numel * dtype.size();
    }
}
