package dev.diffusion4j.io.torch;

import java.io.IOException;

/** Where a checkpoint's storage bytes live: zip entries or the legacy format's tail. */
interface StorageSource extends AutoCloseable {
    /** The storage's bytes as declared, read after checking they are present in the file. */
    byte[] read(StorageRef storage) throws IOException;

    /** Whether elements are stored big-endian (torch records the writer's byte order). */
    boolean bigEndian();

    @Override
    void close() throws IOException;
}
