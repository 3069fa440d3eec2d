package dev.alteran.pds.store;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Statements of one write transaction whose only answer is how many rows they changed, run in order
 * when {@link #send} is called. On PostgreSQL a few go as one multi-statement round trip: a commit's
 * blocks, record row, dropped blocks, and head move with its event were four round trips, and under
 * load each cost more in waiting for the two processes to be scheduled than in the work itself.
 * Otherwise (SQLite, where a statement is a call into the library, or a long list) each run of the
 * same statement goes as one batch. Statements not sent are dropped when the work fails, as the
 * transaction's rollback drops the rest.
 */
final class PendingWrites {
    /**
     * The most statements sent joined. A longer list (an applyWrites of 200 records, an import's
     * thousand) would be a statement of its own shape, parsed by the server each time and kept by the
     * {@link StatementCache}; as batches it is a round trip per kind of statement.
     */
    static final int MAX_JOINED = 16;

    private record Step(String sql, Object[] params, int expect, Supplier<? extends RuntimeException> otherwise) {}

    private final Database db;
    private final Connection c;
    private final boolean together;
    private final List<Step> steps = new ArrayList<>();

    PendingWrites(Database db, Connection c) {
        this.db = db;
        this.c = c;
        this.together = db.dialect().joinsStatements();
    }

    /** Adds a statement whose parameters are {@code params}, in order. */
    void add(String sql, Object... params) {
        add(-1, null, sql, params);
    }

    /** Adds a statement that must change exactly {@code expect} rows; else the transaction fails with {@code otherwise}. */
    void add(int expect, Supplier<? extends RuntimeException> otherwise, String sql, Object... params) {
        steps.add(new Step(sql, params, expect, otherwise));
    }

    /** An SQL array parameter (PostgreSQL, where one statement over arrays replaces a statement per row). */
    Array array(String type, Object[] values) throws SQLException {
        return c.createArrayOf(type, values);
    }

    /** Runs the statements added so far, in one round trip where the dialect allows it. */
    void send() throws SQLException {
        if (steps.isEmpty()) return;
        if (together && steps.size() <= MAX_JOINED) sendJoined();
        else sendInBatches();
        steps.clear();
    }

    private void sendJoined() throws SQLException {
        var sql = new StringBuilder();
        for (var step : steps) sql.append(sql.isEmpty() ? "" : "; ").append(step.sql());
        var st = db.statement(c, sql.toString());
        int i = 1;
        for (var step : steps) i = bind(st, i, step);
        st.execute();
        for (int k = 0; k < steps.size(); k++) {
            if (k > 0) st.getMoreResults();
            check(steps.get(k), st.getUpdateCount());
        }
    }

    private void sendInBatches() throws SQLException {
        for (int from = 0, to; from < steps.size(); from = to) {
            var first = steps.get(from);
            var st = db.statement(c, first.sql());
            to = from + 1;
            if (first.expect() >= 0) {
                bind(st, 1, first);
                check(first, st.executeUpdate());
                continue;
            }
            while (to < steps.size() && steps.get(to).expect() < 0 && steps.get(to).sql().equals(first.sql())) to++;
            for (int k = from; k < to; k++) {
                bind(st, 1, steps.get(k));
                st.addBatch();
            }
            st.executeBatch();
        }
    }

    private static int bind(PreparedStatement st, int from, Step step) throws SQLException {
        for (var p : step.params()) st.setObject(from++, p);
        return from;
    }

    private static void check(Step step, int changed) {
        if (step.expect() >= 0 && changed != step.expect()) throw step.otherwise().get();
    }
}
