/**
 * Optimizers (Adam, AdamW), gradient clipping and learning-rate schedules. Updates run without autograd and write
 * parameters in place; on the CPU each parameter's update is one fused pass ({@link dev.diffusion4j.nn.optim.FusedUpdates}).
 */
package dev.diffusion4j.nn.optim;
