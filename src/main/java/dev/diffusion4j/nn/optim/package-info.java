/**
 * Optimizers (Adam, AdamW), gradient clipping and learning-rate schedules. Updates run without autograd and write
 * parameters in place; each parameter's update is one fused pass of its backend ({@link dev.diffusion4j.engine.Backend#adamUpdate}).
 */
package dev.diffusion4j.nn.optim;
