package dev.diffusion4j.engine;

/** Reductions over one or more dims. MEAN divides by the number of reduced elements. */
public enum ReduceOp { SUM, MEAN, MAX, MIN }
