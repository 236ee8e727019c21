/**
 * The parts of the Diffusion Transformer ({@link dev.diffusion4j.models.DiT}), one class each, named and
 * initialised as in the reference models.py so state dicts load by name.
 */
package dev.diffusion4j.models.dit;
