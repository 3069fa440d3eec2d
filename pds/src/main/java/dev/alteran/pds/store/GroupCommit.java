package dev.alteran.pds.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Group commit on the single writer. Concurrent callers queue their work; whoever holds the lock
 * runs everything queued so far in one database transaction, one savepoint each, so a refused piece
 * leaves the others in and SQLite's per-transaction cost is shared. Alone, a piece is simply its own
 * transaction. Each piece builds on what the last successful one before it in the batch wrote; what
 * the pieces of a batch have in common can be left to a {@link Finish} that writes it once.
 *
 * @param <T> what one piece of work wrote
 */
final class GroupCommit<T> {
    /**
     * One piece of work, inside the shared transaction. The database's write lock is the work's to take
     * ({@link Database#writeLockedByFirstStatement}): a piece that gets no previous one begins with it.
     */
    @FunctionalInterface
    interface Work<T> {
        /**
         * @param previous what the last successful piece before this one in the batch wrote, or null for none
         * @param alone    whether this is the batch's only piece; else what pieces leave to the {@link Finish} is written after the last
         * @return what this piece wrote, or null when it wrote nothing
         */
        T run(Connection c, T previous, boolean alone) throws SQLException;
    }

    /** Runs in the transaction of a batch of more than one piece, after the last, with what the successful ones wrote. */
    @FunctionalInterface
    interface Finish<T> {
        void run(Connection c, List<T> written) throws SQLException;
    }

    private final Database db;
    private final Finish<T> finish;
    private final Consumer<List<T>> committed;
    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Request<T>> queue = new ConcurrentLinkedQueue<>();
    // Metrics: transactions run for queued requests, and the requests they carried.
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong batchedRequests = new AtomicLong();

    /**
     * @param finish    ends a batch of more than one piece, before it commits
     * @param committed told, in order and still under the lock, what each piece of a batch wrote once the batch commits
     */
    GroupCommit(Database db, Finish<T> finish, Consumer<List<T>> committed) {
        this.db = db;
        this.finish = finish;
        this.committed = committed;
    }

    /** Runs {@code work} in the next batch: what it wrote (null for nothing), or its failure, or the batch's, thrown. */
    T submit(Work<T> work) {
        var request = new Request<>(work);
        queue.add(request);
        lock.lock();
        try {
            if (!request.done) runQueued();
        } finally {
            lock.unlock();
        }
        return request.outcome();
    }

    /** Runs {@code action} with the writer to itself, between batches (for wholesale changes such as an import). */
    <R> R exclusive(Supplier<R> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    private static final class Request<T> {
        final Work<T> work;
        // written and read under the lock
        boolean done;
        T result;
        RuntimeException failure;

        Request(Work<T> work) {
            this.work = work;
        }

        T outcome() {
            if (failure != null) throw failure;
            return result;
        }
    }

    /** Applies every queued request in one transaction; {@link #committed} hears of them once it commits. */
    private void runQueued() {
        var batch = new ArrayList<Request<T>>();
        for (Request<T> r; (r = queue.poll()) != null; ) batch.add(r);
        batches.incrementAndGet();
        batchedRequests.addAndGet(batch.size());
        boolean alone = batch.size() == 1; // nothing to keep apart: a failure may roll back the whole transaction
        if (!alone && db.dialect().savepointsCostRoundTrips() && runWithoutSavepoints(batch)) return;
        var results = new ArrayList<T>(batch.size());
        try {
            db.writeLockedByFirstStatement(c -> {
                for (var r : batch) {
                    var savepoint = alone ? null : c.setSavepoint();
                    try {
                        r.result = r.work.run(c, results.isEmpty() ? null : results.getLast(), alone);
                        if (r.result != null) results.add(r.result);
                        if (savepoint != null) c.releaseSavepoint(savepoint);
                    } catch (SQLException | RuntimeException e) {
                        if (alone) throw e;
                        c.rollback(savepoint);
                        c.releaseSavepoint(savepoint);
                        r.failure = e instanceof RuntimeException re ? re : new StoreException(e);
                    }
                    r.done = true;
                }
                if (!alone && !results.isEmpty()) finish.run(c, results);
                return null;
            });
        } catch (RuntimeException e) {
            // The transaction failed: none of it happened.
            for (var r : batch) {
                if (r.failure == null && (r.result != null || !r.done)) r.failure = e;
                r.done = true;
            }
            return;
        }
        committed.accept(results);
    }

    /**
     * Where a savepoint is a round trip to the server (PostgreSQL: SAVEPOINT, then RELEASE, two per
     * piece), the batch first runs without them, betting that every piece succeeds, as nearly all do.
     * False when one failed: the whole transaction was rolled back, and the caller runs the batch again
     * with a savepoint per piece (the pieces only read and write the database, so they can run again).
     */
    private boolean runWithoutSavepoints(List<Request<T>> batch) {
        var results = new ArrayList<T>(batch.size());
        try {
            db.writeLockedByFirstStatement(c -> {
                for (var r : batch) {
                    r.result = r.work.run(c, results.isEmpty() ? null : results.getLast(), false);
                    if (r.result != null) results.add(r.result);
                }
                if (!results.isEmpty()) finish.run(c, results);
                return null;
            });
        } catch (RuntimeException e) {
            for (var r : batch) r.result = null; // rolled back: none of it happened
            return false;
        }
        for (var r : batch) r.done = true;
        committed.accept(results);
        return true;
    }

    /** The transactions run for queued requests so far, and the requests they carried. */
    long[] batches() {
        return new long[] {batches.get(), batchedRequests.get()};
    }

    /** Requests waiting for the writer. */
    int queued() {
        return queue.size();
    }
}
