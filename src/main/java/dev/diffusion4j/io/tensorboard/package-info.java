/**
 * TensorBoard event files written without TensorFlow or a protobuf library: TFRecord framing with masked CRC32C
 * ({@link dev.diffusion4j.io.tensorboard.TfRecords}) around hand-encoded {@code Event} messages holding scalar and
 * PNG image summaries ({@link dev.diffusion4j.io.tensorboard.EventFileWriter}).
 */
package dev.diffusion4j.io.tensorboard;
