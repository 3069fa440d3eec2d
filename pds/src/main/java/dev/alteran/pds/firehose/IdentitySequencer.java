package dev.alteran.pds.firehose;

import dev.alteran.pds.identity.IdentityEvent;
import dev.alteran.pds.identity.IdentityListener;
import dev.alteran.pds.store.CommitEvents;
import dev.alteran.pds.store.SequenceLog;
import java.sql.Connection;
import java.sql.SQLException;

/** Sequences an {@code #identity} event in the same transaction as every handle change, then publishes it. */
public final class IdentitySequencer implements IdentityListener {
    private final SequenceLog sequence;
    // Identity serializes handle updates, so one pending seq at a time.
    private volatile long pending;

    public IdentitySequencer(SequenceLog sequence) {
        this.sequence = sequence;
    }

    @Override
    public void inTransaction(Connection tx, IdentityEvent event) throws SQLException {
        pending = sequence.append(tx, event.did(), "identity", CommitEvents.identity(event.did(), event.handle())).seq();
    }

    @Override
    public void afterCommit(IdentityEvent event) {
        sequence.publish(pending);
    }
}
