package dev.diffusion4j.metrics;

/** A reference set's features and their Gaussian statistics, as computed or as read back from the cache. */
public record ReferenceSet(Features features, GaussianStats stats, boolean fromCache) {}
