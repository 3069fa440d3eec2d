package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;
import java.sql.Connection;
import java.sql.SQLException;

/** The {@code repo_root} row: whose repository this is and its head commit. */
public record RepoRoot(String did, Cid cid, String rev) {
    /** The row, or null before the repository exists. */
    static RepoRoot read(Connection c) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT did, cid, rev FROM repo_root")) {
            return rs.next() ? new RepoRoot(rs.getString(1), Cid.fromBytes(rs.getBytes(2)), rs.getString(3)) : null;
        }
    }

    /** Sets the head, creating the row for a repository that did not exist yet. */
    static void write(Connection c, String did, Cid cid, String rev, String now) throws SQLException {
        try (var st = c.prepareStatement("""
                INSERT INTO repo_root (did, cid, rev, indexed_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (did) DO UPDATE SET cid = excluded.cid, rev = excluded.rev, indexed_at = excluded.indexed_at""")) {
            st.setString(1, did);
            st.setBytes(2, cid.bytes());
            st.setString(3, rev);
            st.setString(4, now);
            st.executeUpdate();
        }
    }

    /** Rows of a table (the tables here are this package's own, never user input). */
    static long count(Connection c, String table) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }
}
