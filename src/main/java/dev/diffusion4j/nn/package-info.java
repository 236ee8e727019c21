/**
 * Neural-network building blocks on top of the engine, shaped like torch.nn: {@link dev.diffusion4j.nn.Module}
 * trees whose parameters carry PyTorch-style dotted names (so state dicts map onto PyTorch checkpoints), layers with
 * PyTorch's default initialisation drawn from explicit generators, the parameter EMA used for sampling, and
 * safetensors save/load ({@link dev.diffusion4j.nn.StateDicts}). Optimizers live in {@code nn.optim}.
 */
package dev.diffusion4j.nn;
