package dev.diffusion4j.engine.dist;

/** A collective could not complete because another rank failed, hung or the group was aborted. */
public final class CollectiveAbortedException extends RuntimeException {
    public CollectiveAbortedException(String message) { super(message); }
}
