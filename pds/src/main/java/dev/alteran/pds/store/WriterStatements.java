package dev.alteran.pds.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * Prepared statements of the writer connection, each prepared once: every commit runs the same dozen
 * statements, and preparing them anew would cost more than running them. Use only inside
 * {@link Database#write} (whose lock makes this single-threaded) and never close what it returns.
 */
final class WriterStatements {
    private Connection owner;
    private final Map<String, PreparedStatement> cache = new HashMap<>();

    PreparedStatement get(Connection c, String sql) throws SQLException {
        if (c != owner) {
            cache.clear(); // a new writer connection: the old statements died with the old one
            owner = c;
        }
        var st = cache.get(sql);
        if (st == null || st.isClosed()) {
            st = c.prepareStatement(sql);
            cache.put(sql, st);
        } else {
            st.clearBatch(); // a failed commit may have left rows batched
        }
        return st;
    }
}
