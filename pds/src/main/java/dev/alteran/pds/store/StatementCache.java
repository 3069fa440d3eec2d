package dev.alteran.pds.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prepared statements kept per SQLite connection, each prepared once: the commit path runs the same
 * dozen statements every time, and a getRecord spent more time preparing its query than running it.
 * A statement belongs to the thread that holds its connection (the writer's lock, or a pool checkout),
 * so callers never close what this returns and must close its result sets. Each connection keeps the
 * {@value #PER_CONNECTION} it used last: the commit path's joined statements ({@link PendingWrites})
 * take a shape per mix of writes, and a rare mix should not stay prepared for good.
 */
final class StatementCache {
    static final int PER_CONNECTION = 128;

    private final Map<Connection, Map<String, PreparedStatement>> byConnection = new ConcurrentHashMap<>();

    PreparedStatement get(Connection c, String sql) throws SQLException {
        var physical = c.unwrap(Connection.class); // the pool hands out wrappers; statements live on the connection itself
        var cache = byConnection.get(physical);
        if (cache == null) {
            byConnection.keySet().removeIf(StatementCache::isClosed); // connections the pool replaced
            cache = new LinkedHashMap<>(32, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, PreparedStatement> eldest) {
                    if (size() <= PER_CONNECTION) return false;
                    closeQuietly(eldest.getValue()); // the caller holds this connection: nobody else is using it
                    return true;
                }
            };
            byConnection.put(physical, cache);
        }
        var st = cache.get(sql);
        if (st == null || st.isClosed()) {
            st = physical.prepareStatement(sql);
            cache.put(sql, st);
        } else {
            st.clearBatch(); // a failed commit may have left rows batched
        }
        return st;
    }

    private static void closeQuietly(PreparedStatement st) {
        try {
            st.close();
        } catch (SQLException e) {
            // an unusable statement is dropped all the same
        }
    }

    private static boolean isClosed(Connection c) {
        try {
            return c.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }
}
