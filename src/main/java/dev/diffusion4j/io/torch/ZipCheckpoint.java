package dev.diffusion4j.io.torch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The zip format torch.save writes since PyTorch 1.6: {@code NAME/data.pkl} (the pickle), {@code NAME/data/KEY} (one
 * uncompressed entry per storage), {@code NAME/byteorder} (since 2.1) and {@code NAME/version}. Entries must be stored,
 * not compressed, as torch writes them, and no larger than the file: a compressed or oversized entry (a zip bomb) is
 * refused before anything is inflated or allocated.
 */
final class ZipCheckpoint implements StorageSource {
    private final Path path;
    private final ZipFile zip;
    private final long fileSize;
    private final String prefix;
    private final boolean bigEndian;
    private final Object root;

    private ZipCheckpoint(Path path, ZipFile zip, long fileSize, String prefix) throws IOException {
        this.path = path;
        this.zip = zip;
        this.fileSize = fileSize;
        this.prefix = prefix;
        ZipEntry order = zip.getEntry(prefix + "byteorder");
        String byteOrder = order == null ? "little" : new String(entryBytes(order, 16), StandardCharsets.US_ASCII).strip();
        if (!byteOrder.equals("little") && !byteOrder.equals("big")) {
            throw new TorchCheckpointException("byteorder entry says '" + byteOrder + "', expected little or big");
        }
        this.bigEndian = byteOrder.equals("big");
        byte[] pickle = entryBytes(zip.getEntry(prefix + "data.pkl"), fileSize);
        this.root = new Unpickler(PickleInput.of(pickle), new StorageIds(false)).load();
    }

    /** Opens the zip and reads its pickle; storages are read later, on demand. */
    static ZipCheckpoint open(Path path, long fileSize) throws IOException {
        ZipFile zip;
        try {
            zip = new ZipFile(path.toFile());
        } catch (IOException | IllegalArgumentException e) {
            throw new TorchCheckpointException("not a readable zip archive (" + e.getMessage() + ")", e);
        }
        try {
            return new ZipCheckpoint(path, zip, fileSize, findPrefix(zip));
        } catch (IllegalArgumentException | IllegalStateException e) { // the JDK's zip code on malformed names or headers
            zip.close();
            throw new TorchCheckpointException("malformed zip archive (" + e.getMessage() + ")", e);
        } catch (TorchCheckpointException e) {
            zip.close();
            throw e;
        } catch (IOException e) {
            zip.close();
            throw new TorchCheckpointException("malformed zip archive (" + e.getMessage() + ")", e);
        }
    }

    Object root() {
        return root;
    }

    /** The folder holding data.pkl: torch puts every entry under one top folder (the file's stem, or "archive"). */
    private static String findPrefix(ZipFile zip) throws TorchCheckpointException {
        String found = null;
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
            String name = en.nextElement().getName();
            if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                if (found != null) throw new TorchCheckpointException("the zip holds two checkpoints (" + found + "data.pkl and " + name + ")");
                found = name.substring(0, name.length() - "data.pkl".length());
            } else if (found == null && name.equals("data.pkl")) {
                found = "";
            }
        }
        if (found == null) throw new TorchCheckpointException("a zip archive without a data.pkl entry: not a PyTorch checkpoint");
        return found;
    }

    @Override
    public byte[] read(StorageRef s) throws IOException {
        String name = prefix + "data/" + s.key();
        ZipEntry e = zip.getEntry(name);
        if (e == null) throw new TorchCheckpointException("storage '" + s.key() + "' has no entry " + name + " in the zip");
        long need = s.byteSize();
        if (e.getSize() < need) {
            throw new TorchCheckpointException("storage '" + s.key() + "' is declared as " + s.numel() + " " + s.dtype()
                    + " elements (" + need + " bytes), but its entry holds " + e.getSize() + " bytes");
        }
        try {
            return entryBytes(e, need);
        } catch (TorchCheckpointException ex) {
            throw ex;
        } catch (IOException | IllegalArgumentException | IllegalStateException ex) { // the JDK's zip code on damaged headers
            throw new TorchCheckpointException("malformed zip entry " + name + " (" + ex.getMessage() + ")", ex);
        }
    }

    /** The first {@code limit} bytes of a stored entry (all of it when shorter), checked against the file's size. */
    private byte[] entryBytes(ZipEntry e, long limit) throws IOException {
        if (e == null) throw new TorchCheckpointException("missing zip entry " + prefix + "data.pkl");
        if (e.getMethod() != ZipEntry.STORED) {
            throw new TorchCheckpointException("zip entry " + e.getName() + " is compressed; torch.save stores entries"
                    + " uncompressed, so this archive was re-packed by another tool (unzip it and zip it again with zip -0)");
        }
        long size = e.getSize();
        if (size < 0 || size > fileSize || e.getCompressedSize() != size) {
            throw new TorchCheckpointException("zip entry " + e.getName() + " declares " + size + " bytes in a file of " + fileSize);
        }
        long n = Math.min(size, limit);
        if (n > TensorViews.MAX_ARRAY) throw new TorchCheckpointException("zip entry " + e.getName() + " is over 2 GiB, more than one Java array holds");
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes((int) n);
            if (b.length != n) throw new TorchCheckpointException("zip entry " + e.getName() + " ends after " + b.length + " of " + n + " bytes: truncated file");
            return b;
        }
    }

    @Override
    public boolean bigEndian() {
        return bigEndian;
    }

    @Override
    public void close() throws IOException {
        zip.close();
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
