package dev.alteran.pds.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Copies every table of one database into another that is empty, in either direction between the
 * dialects (moving an install from SQLite to PostgreSQL, or back). Both are opened by this build, so
 * both have the same schema version. The target is written in one transaction, table by table in
 * batches, while the source is read from one snapshot: a failure leaves the target empty.
 */
public final class DatabaseCopy {
    private static final int BATCH = 1000;
    /** Flyway's own table: each database keeps the record of its own migrations. */
    private static final String HISTORY = "flyway_schema_history";

    private DatabaseCopy() {}

    /** Rows copied per table, in copy order. */
    public record Result(Map<String, Long> rows) {
        public long total() {
            return rows.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Copies {@code from} into {@code to}; refuses (changing nothing) unless every table of {@code to} is empty. */
    public static Result copy(Database from, Database to, Progress progress) {
        return to.write(target -> from.readSnapshot(source -> {
            var tables = tables(target);
            var notEmpty = new ArrayList<String>();
            for (var table : tables) {
                if (RepoRoot.count(target, table) > 0) notEmpty.add(table);
            }
            if (!notEmpty.isEmpty()) {
                throw new IllegalStateException("the target database " + to.name() + " is not empty (rows in "
                        + String.join(", ", notEmpty) + "): copy only into a new, empty database");
            }
            var totals = new LinkedHashMap<String, Long>();
            for (var table : tables) totals.put(table, RepoRoot.count(source, table));
            long all = totals.values().stream().mapToLong(Long::longValue).sum();
            long done = 0;
            var rows = new LinkedHashMap<String, Long>();
            for (var table : tables) {
                long copied = copyTable(source, target, table, done, all, progress);
                if (copied != totals.get(table)) {
                    throw new IllegalStateException("copied " + copied + " rows of " + table + " but the source has " + totals.get(table));
                }
                rows.put(table, copied);
                done += copied;
            }
            progress.update("copy", done, all);
            Dialect.of(target).afterBulkCopy(target);
            return new Result(rows);
        }));
    }

    /** The application's tables of the connection's database (its current schema), by name. */
    static List<String> tables(Connection c) throws SQLException {
        var out = new ArrayList<String>();
        try (var rs = c.getMetaData().getTables(null, c.getSchema(), "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                var name = rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT);
                if (!name.startsWith("sqlite_") && !name.equals(HISTORY)) out.add(name);
            }
        }
        out.sort(null);
        return out;
    }

    private static long copyTable(Connection source, Connection target, String table, long before, long all, Progress progress)
            throws SQLException {
        var columns = new ArrayList<String>();
        var types = new ArrayList<Integer>();
        try (var st = target.prepareStatement("SELECT * FROM " + table + " LIMIT 0"); var rs = st.executeQuery()) {
            var meta = rs.getMetaData();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                columns.add(meta.getColumnName(i).toLowerCase(Locale.ROOT));
                types.add(meta.getColumnType(i));
            }
        }
        var list = String.join(", ", columns);
        var insert = "INSERT INTO " + table + " (" + list + ") VALUES (" + "?, ".repeat(columns.size() - 1) + "?)";
        long copied = 0;
        try (var read = source.prepareStatement("SELECT " + list + " FROM " + table);
             var rs = read.executeQuery();
             var write = target.prepareStatement(insert)) {
            int batched = 0;
            while (rs.next()) {
                for (int i = 1; i <= columns.size(); i++) bind(write, i, rs, types.get(i - 1));
                write.addBatch();
                copied++;
                if (++batched == BATCH) {
                    write.executeBatch();
                    batched = 0;
                    progress.update("copy " + table, before + copied, all);
                }
            }
            if (batched > 0) write.executeBatch();
        }
        progress.update("copy " + table, before + copied, all);
        return copied;
    }

    /** One value, converted to what the target column holds (SQLite's values carry their own types). */
    private static void bind(java.sql.PreparedStatement write, int i, ResultSet rs, int type) throws SQLException {
        switch (type) {
            case java.sql.Types.BIGINT, java.sql.Types.INTEGER, java.sql.Types.SMALLINT -> {
                long v = rs.getLong(i);
                if (rs.wasNull()) write.setNull(i, type);
                else write.setLong(i, v);
            }
            case java.sql.Types.BINARY, java.sql.Types.VARBINARY, java.sql.Types.LONGVARBINARY, java.sql.Types.BLOB -> {
                var v = rs.getBytes(i);
                if (v == null) write.setNull(i, type);
                else write.setBytes(i, v);
            }
            default -> {
                var v = rs.getString(i);
                if (v == null) write.setNull(i, java.sql.Types.VARCHAR);
                else write.setString(i, v);
            }
        }
    }
}
