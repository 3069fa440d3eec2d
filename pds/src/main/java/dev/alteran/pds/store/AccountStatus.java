package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.plc.Plc;
import dev.alteran.atproto.syntax.Datetime;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Supplier;

/**
 * Whether the account is active: the {@code account_status} table, as
 * {@code com.atproto.server.activateAccount} and {@code deactivateAccount} set it, and the firehose
 * events that announce each change, as the reference PDS sequences them: {@code #account} on
 * deactivation; {@code #identity}, {@code #account} and {@code #sync} (a fresh commit of the
 * current tree) on activation, in one transaction with the change. While deactivated, the repository refuses writes
 * and is not served to others (the handlers check {@link #isActive()}).
 */
public final class AccountStatus {
    /** The status reported for a deactivated account (getSession, getRepoStatus, #account). */
    public static final String DEACTIVATED = "deactivated";

    private final Database db;
    private final String did;
    private final SequenceLog sequence;
    private final Supplier<String> handle;
    private volatile boolean active;

    public AccountStatus(Database db, String did, SequenceLog sequence, Supplier<String> handle) {
        this.db = db;
        this.did = did;
        this.sequence = sequence;
        this.handle = handle;
        this.active = db.read(c -> {
            try (var st = c.prepareStatement("SELECT deactivated_at FROM account_status WHERE did = ?")) {
                st.setString(1, did);
                try (var rs = st.executeQuery()) {
                    return !rs.next() || rs.getString(1) == null;
                }
            }
        });
    }

    public boolean isActive() {
        return active;
    }

    /** Null while active, else why not ({@value #DEACTIVATED}). */
    public String status() {
        return active ? null : DEACTIVATED;
    }

    /**
     * Deactivates the account (again, if it already is: the event is sequenced anyway, as the reference does).
     *
     * @param deleteAfter the owner's hint for how long to keep the account, a datetime, or null
     */
    public void deactivate(String deleteAfter) {
        var event = db.write(c -> {
            store(c, Datetime.now(), deleteAfter);
            return sequence.append(c, did, "account", CommitEvents.account(did, DEACTIVATED));
        });
        active = false;
        sequence.publish(event.seq());
    }

    /**
     * A did:plc account whose database has no repository yet is an account moving in
     * (docs/migration.md): its DID document still names the old host. Marks it deactivated without
     * announcing it (nothing was ever announced for it here) and returns true; it then waits for its
     * import and activation. The server's first start and {@code alteran import} decide it alike,
     * with no network.
     */
    public boolean startIfMovingIn() {
        if (!Plc.isPlcDid(did) || !RepoStore.isNew(db)) return false;
        db.write(c -> {
            store(c, Datetime.now(), null);
            return null;
        });
        active = false;
        return true;
    }

    /**
     * Activates the account and announces it, in one transaction, as the reference PDS does:
     * {@code #identity} (its handle), {@code #account} (active), and a {@code #sync} of a fresh commit
     * of the repository signed with our key at a later rev (see {@link RepoStore#recommit}), so the
     * first event of a repository that moved in carries this server's signature, not the old host's.
     */
    public void activate(RepoStore repo) {
        var last = repo.recommit((c, cid, rev, block) -> {
            store(c, null, null);
            sequence.append(c, did, "identity", CommitEvents.identity(did, handle.get()));
            sequence.append(c, did, "account", CommitEvents.account(did, null));
            return sequence.append(c, did, "sync", CommitEvents.sync(did, cid, rev, block)).seq();
        });
        active = true;
        sequence.publish(last);
    }

    /**
     * Announces a repository restored from a backup, whose relays may hold later events and a later
     * commit (from before the restore): a fresh commit of the restored tree at a new rev (so the rev
     * moves forward, as the sync spec requires), sequenced as {@code #identity} and {@code #sync} at
     * a seq past any the server gave out before ({@link SequenceLog#firstSeqOfNewLog}). The spec's
     * {@code #sync} is for exactly this: a relay drops what it held and takes the new state. Returns
     * the last seq. A deactivated account gets only an {@code #account} event (still deactivated) at
     * that seq; its activation later announces the repository as usual.
     */
    public long announceRestored(RepoStore repo) {
        if (!active) {
            var event = db.write(c -> sequence.append(c, did, "account", CommitEvents.account(did, DEACTIVATED), SequenceLog.firstSeqOfNewLog()));
            sequence.publish(event.seq());
            return event.seq();
        }
        long last = repo.recommit((c, cid, rev, block) -> {
            sequence.append(c, did, "identity", CommitEvents.identity(did, handle.get()), SequenceLog.firstSeqOfNewLog());
            return sequence.append(c, did, "sync", CommitEvents.sync(did, cid, rev, block)).seq();
        });
        sequence.publish(last);
        return last;
    }

    private void store(Connection c, String deactivatedAt, String deleteAfter) throws SQLException {
        try (var st = c.prepareStatement("""
                INSERT INTO account_status (did, deactivated_at, delete_after) VALUES (?, ?, ?)
                ON CONFLICT (did) DO UPDATE SET deactivated_at = excluded.deactivated_at, delete_after = excluded.delete_after""")) {
            st.setString(1, did);
            st.setString(2, deactivatedAt);
            st.setString(3, deleteAfter);
            st.executeUpdate();
        }
    }

    /** The repository side of {@code com.atproto.server.checkAccountStatus}. */
    public record RepoCounts(Cid repoCommit, String repoRev, long repoBlocks, long indexedRecords, long expectedBlobs,
                             long importedBlobs) {}

    public RepoCounts counts() {
        return db.readSnapshot(c -> {
            var root = RepoRoot.read(c);
            long expected;
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(DISTINCT blob_cid) FROM record_blob")) {
                rs.next();
                expected = rs.getLong(1);
            }
            return new RepoCounts(root == null ? null : root.cid(), root == null ? null : root.rev(),
                    RepoRoot.count(c, "repo_block"), RepoRoot.count(c, "record"), expected, RepoRoot.count(c, "blob"));
        });
    }
}
