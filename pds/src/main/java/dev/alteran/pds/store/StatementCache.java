package dev.alteran.pds.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prepared statements kept per SQLite connection, each prepared once: the commit path runs the same
 * dozen statements every time, and a getRecord spent more time preparing its query than running it.
 * A statement belongs to the thread that holds its connection (the writer's lock, or a pool checkout),
 * so callers never close what this returns and must close its result sets.
 */
final class StatementCache {
    private final Map<Connection, Map<String, PreparedStatement>> byConnection = new ConcurrentHashMap<>();

    PreparedStatement get(Connection c, String sql) throws SQLException {
        var physical = c.unwrap(Connection.class); // the pool hands out wrappers; statements live on the connection itself
        var cache = byConnection.get(physical);
        if (cache == null) {
            byConnection.keySet().removeIf(StatementCache::isClosed); // connections the pool replaced
            cache = new HashMap<>();
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

    private static boolean isClosed(Connection c) {
        try {
            return c.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }
}
