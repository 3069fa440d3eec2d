package dev.alteran.pds.identity;

import dev.alteran.atproto.syntax.Handle;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.store.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who this PDS's one account is: its DID (fixed by PDS_DID) and its current handle. Everything that
 * shows the handle reads {@link #handle()}; PDS_HANDLE is only the initial value, and the persisted
 * handle follows {@link #updateHandle(String)}.
 */
public final class Identity {
    private static final Logger log = LoggerFactory.getLogger(Identity.class);

    private final Database database;
    private final Clock clock;
    private final String did;
    private final List<IdentityListener> listeners = new CopyOnWriteArrayList<>();
    private final ReentrantLock updateLock = new ReentrantLock();
    // Read on every request that shows the handle; written only by updateHandle, after its commit.
    private volatile String handle;

    private Identity(Database database, Clock clock, String did, String handle) {
        this.database = database;
        this.clock = clock;
        this.did = did;
        this.handle = handle;
    }

    /** Loads the persisted handle, seeding it from PDS_HANDLE on the first start (or after the operator changed it). */
    public static Identity open(Database database, Config config) {
        return open(database, config.did(), config.handle(), Clock.systemUTC());
    }

    public static Identity open(Database database, String did, String configuredHandle, Clock clock) {
        Objects.requireNonNull(did, "did");
        var configured = Handle.parse(configuredHandle).normalized().value();
        var now = clock.instant().toString();
        var current = database.write(c -> {
            try (var st = c.prepareStatement("SELECT handle, configured_handle FROM account_identity WHERE did = ?")) {
                st.setString(1, did);
                try (var rs = st.executeQuery()) {
                    if (rs.next() && rs.getString(2).equals(configured)) return rs.getString(1);
                }
            }
            try (var st = c.prepareStatement("""
                    INSERT INTO account_identity (did, handle, configured_handle, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (did) DO UPDATE SET handle = excluded.handle,
                        configured_handle = excluded.configured_handle, updated_at = excluded.updated_at""")) {
                st.setString(1, did);
                st.setString(2, configured);
                st.setString(3, configured);
                st.setString(4, now);
                st.executeUpdate();
            }
            return configured;
        });
        return new Identity(database, clock, did, current);
    }

    public String did() {
        return did;
    }

    /** The current handle, normalized to lower case. */
    public String handle() {
        return handle;
    }

    /** True when {@code candidate} (any case) is our current handle. */
    public boolean isOurHandle(String candidate) {
        return candidate != null && Handle.normalize(candidate).equals(handle);
    }

    public void addListener(IdentityListener listener) {
        listeners.add(Objects.requireNonNull(listener));
    }

    public void removeListener(IdentityListener listener) {
        listeners.remove(listener);
    }

    /**
     * Stores a new handle (normalized to lower case) and tells the listeners, even when it equals the
     * current one: re-submitting the same handle is how an account re-announces its identity.
     * Only checks syntax; whether the handle really points at us is the caller's policy.
     *
     * @throws IllegalArgumentException if {@code newHandle} is not a syntactically valid handle
     */
    public IdentityEvent updateHandle(String newHandle) {
        if (!Handle.isValid(newHandle)) throw new IllegalArgumentException("not a valid handle: " + newHandle);
        var normalized = Handle.normalize(newHandle);
        var event = new IdentityEvent(did, normalized, Instant.now(clock));
        // One update at a time, so the in-memory handle and the listeners see changes in commit order.
        updateLock.lock();
        try {
            database.write(c -> {
                store(c, event);
                for (var l : listeners) l.inTransaction(c, event);
                return null;
            });
            handle = normalized;
            for (var l : listeners) {
                try {
                    l.afterCommit(event);
                } catch (RuntimeException e) {
                    log.error("identity listener failed after the handle change to {}", normalized, e);
                }
            }
        } finally {
            updateLock.unlock();
        }
        return event;
    }

    /**
     * Tells the listeners (the firehose's {@code #identity}) that the account's identity changed without a new
     * handle, e.g. after a did:plc operation: the current handle is re-submitted.
     */
    public IdentityEvent announce() {
        return updateHandle(handle);
    }

    private void store(Connection c, IdentityEvent event) throws SQLException {
        try (var st = c.prepareStatement("UPDATE account_identity SET handle = ?, updated_at = ? WHERE did = ?")) {
            st.setString(1, event.handle());
            st.setString(2, event.time().toString());
            st.setString(3, did);
            if (st.executeUpdate() != 1) throw new SQLException("no identity row for " + did);
        }
    }
}
