package dev.alteran.pds.store;

/**
 * Where a long operation (export, import, verify, gc) reports how far it got. Called often, from the
 * working thread: an implementation must be cheap and throttle its own output.
 */
@FunctionalInterface
public interface Progress {
    Progress NONE = (phase, done, total) -> {};

    /** {@code done} of {@code total} units of {@code phase}; {@code total} is 0 when not known. */
    void update(String phase, long done, long total);
}
