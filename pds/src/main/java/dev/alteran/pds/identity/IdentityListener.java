package dev.alteran.pds.identity;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Told about every handle change. The sequencer implements both halves: {@link #inTransaction}
 * appends the {@code #identity} event to its log in the same transaction as the new handle (so
 * neither exists without the other), {@link #afterCommit} wakes the subscribers.
 */
public interface IdentityListener {
    /** Runs inside the write transaction that stores the handle; throwing rolls the change back. */
    default void inTransaction(Connection tx, IdentityEvent event) throws SQLException {}

    /** Runs after the commit. Failures are logged and do not undo the change. */
    default void afterCommit(IdentityEvent event) {}
}
