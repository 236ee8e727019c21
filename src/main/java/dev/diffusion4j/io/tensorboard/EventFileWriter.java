package dev.diffusion4j.io.tensorboard;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a TensorBoard event file: TFRecord records, each an {@code Event} protocol buffer (the first one names the
 * format, "brain.Event:2"), with scalar and PNG image summaries. Every event is flushed as it is written, so a
 * TensorBoard reading the folder sees training as it goes.
 * <pre>{@code
 * try (EventFileWriter tb = EventFileWriter.create(Path.of("runs/x/tensorboard/train"))) {
 *     tb.scalar("train/loss", 10, 0.25, System.currentTimeMillis() / 1000.0);
 * }
 * }</pre>
 */
public final class EventFileWriter implements AutoCloseable {
    /** The Event's file_version of the first record; readers check it. */
    public static final String FILE_VERSION = "brain.Event:2";

    // field numbers of tensorflow/core/util/event.proto and tensorflow/core/framework/summary.proto
    private static final int EVENT_WALL_TIME = 1, EVENT_STEP = 2, EVENT_FILE_VERSION = 3, EVENT_SUMMARY = 5, EVENT_SESSION_LOG = 6;
    private static final int SUMMARY_VALUE = 1, VALUE_TAG = 1, VALUE_SIMPLE = 2, VALUE_IMAGE = 4;
    private static final int IMAGE_HEIGHT = 1, IMAGE_WIDTH = 2, IMAGE_COLORSPACE = 3, IMAGE_ENCODED = 4;
    private static final int SESSION_LOG_STATUS = 1, SESSION_LOG_START = 1;

    private final Path file;
    private final OutputStream out;

    private EventFileWriter(Path file, OutputStream out) {
        this.file = file;
        this.out = out;
    }

    /**
     * Creates {@code dir} if needed and a new file in it, {@code events.out.tfevents.<unix seconds>.<host>} (with a
     * counter where that name is taken), whose names sort in the order they were made, as TensorBoard reads them.
     */
    public static EventFileWriter create(Path dir) {
        double now = System.currentTimeMillis() / 1000.0;
        String base = "events.out.tfevents." + (long) now + "." + host();
        try {
            Files.createDirectories(dir);
            for (int i = 0; ; i++) {
                Path f = dir.resolve(i == 0 ? base : base + "." + i);
                try {
                    OutputStream os = new BufferedOutputStream(Files.newOutputStream(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 1 << 16);
                    EventFileWriter w = new EventFileWriter(f, os);
                    w.write(new ProtoWriter().doubleValue(EVENT_WALL_TIME, now).string(EVENT_FILE_VERSION, FILE_VERSION));
                    return w;
                } catch (FileAlreadyExistsException taken) {
                    // another writer started in the same second: take the next name
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a TensorBoard event file in " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path file() { return file; }

    /** A scalar point (stored as float32, as TensorBoard's simple_value is). */
    public void scalar(String tag, long step, double value, double wallTime) {
        ProtoWriter v = new ProtoWriter().string(VALUE_TAG, tag).floatValue(VALUE_SIMPLE, (float) value);
        summary(step, wallTime, v);
    }

    /** A PNG image as it is on disk; its size and colour type come from its header. */
    public void image(String tag, long step, byte[] png, double wallTime) {
        PngHeader h = PngHeader.of(png);
        ProtoWriter img = new ProtoWriter().varint(IMAGE_HEIGHT, h.height()).varint(IMAGE_WIDTH, h.width())
                .varint(IMAGE_COLORSPACE, h.colorspace()).bytes(IMAGE_ENCODED, png);
        summary(step, wallTime, new ProtoWriter().string(VALUE_TAG, tag).message(VALUE_IMAGE, img));
    }

    /**
     * A session start at {@code step}: TensorBoard then drops the points at or past that step that earlier files hold
     * (a resumed run goes on from its checkpoint, and what the interrupted run logged after it is no longer its history).
     */
    public void sessionStart(long step, double wallTime) {
        write(new ProtoWriter().doubleValue(EVENT_WALL_TIME, wallTime).varint(EVENT_STEP, step)
                .message(EVENT_SESSION_LOG, new ProtoWriter().varint(SESSION_LOG_STATUS, SESSION_LOG_START)));
    }

    private void summary(long step, double wallTime, ProtoWriter value) {
        write(new ProtoWriter().doubleValue(EVENT_WALL_TIME, wallTime).varint(EVENT_STEP, step)
                .message(EVENT_SUMMARY, new ProtoWriter().message(SUMMARY_VALUE, value)));
    }

    private void write(ProtoWriter event) {
        try {
            TfRecords.write(out, event.toByteArray());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @Override public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + file + ": " + e.getMessage(), e);
        }
    }

    /** This machine's name as it goes into file names (letters, digits, '.', '-', '_'). */
    private static String host() {
        String h;
        try {
            h = InetAddress.getLocalHost().getHostName();
        } catch (IOException | SecurityException e) {
            h = System.getenv().getOrDefault("HOSTNAME", "localhost");
        }
        h = h.replaceAll("[^A-Za-z0-9._-]", "_");
        return h.isEmpty() ? "localhost" : h;
    }
}
