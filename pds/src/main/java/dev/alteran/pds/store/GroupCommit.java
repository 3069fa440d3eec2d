package dev.alteran.pds.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Group commit on the single writer. Callers queue their work and wait; a writer thread runs
 * everything queued so far in one database transaction, one savepoint each, so a refused piece leaves
 * the others in and SQLite's per-transaction cost is shared. Alone, a piece is simply its own
 * transaction. Each piece builds on what the last successful one before it in the batch wrote; what
 * the pieces of a batch have in common can be left to a {@link Finish} that writes it once.
 *
 * <p>The writer is a platform thread of its own, not the first caller's (a virtual thread), because
 * every write waits for it. Run by a caller, a batch that had to wait for a carrier thread (behind
 * requests parsing JSON, or after a contended monitor) held every other write back for as long, and
 * each caller behind it took the lock in turn only to find its work done. With this thread the
 * operating system schedules the writer beside the carriers, and each caller is woken once, with its
 * answer: on two cores, createRecord went from 1,546–1,894 to 1,609–2,276 requests/s (BENCHMARKS.md).
 *
 * @param <T> what one piece of work wrote
 */
final class GroupCommit<T> {
    /** How long the writer thread waits for more work before it ends, by default. */
    static final long IDLE_MS = 5_000;
    static final String WRITER_THREAD = "alteran-writer";
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
    private final long idleMs;
    private final Finish<T> finish;
    private final Consumer<List<T>> committed;
    /** Held by the writer for each batch, and by {@link #exclusive} work. */
    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedBlockingQueue<Request<T>> queue = new LinkedBlockingQueue<>();
    /** Whether a writer thread is running, or about to. */
    private final AtomicBoolean writing = new AtomicBoolean();
    // Metrics: transactions run for queued requests, and the requests they carried.
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong batchedRequests = new AtomicLong();

    /**
     * @param finish    ends a batch of more than one piece, before it commits
     * @param committed told, in order and still under the lock, what each piece of a batch wrote once the batch commits
     */
    GroupCommit(Database db, Finish<T> finish, Consumer<List<T>> committed) {
        this(db, IDLE_MS, finish, committed);
    }

    /** @param idleMs how long the writer thread waits for more work before it ends */
    GroupCommit(Database db, long idleMs, Finish<T> finish, Consumer<List<T>> committed) {
        this.db = db;
        this.idleMs = idleMs;
        this.finish = finish;
        this.committed = committed;
    }

    /** Runs {@code work} in the next batch: what it wrote (null for nothing), or its failure, or the batch's, thrown. */
    T submit(Work<T> work) {
        // Work or exclusive work that commits again would wait for itself (the writer, or the lock the writer needs).
        if (lock.isHeldByCurrentThread()) throw new IllegalStateException("a commit from inside the writer's own work");
        var request = new Request<>(work, Thread.currentThread());
        queue.add(request);
        if (!writing.get() && writing.compareAndSet(false, true)) startWriter();
        boolean interrupted = false;
        while (!request.done) {
            LockSupport.park(this);
            if (Thread.interrupted()) interrupted = true; // the work is queued and runs regardless, as a lock() would wait
        }
        if (interrupted) Thread.currentThread().interrupt();
        return request.outcome();
    }

    private void startWriter() {
        Thread.ofPlatform().daemon().name(WRITER_THREAD).start(this::write);
    }

    /**
     * The writer: runs batches while requests come, and ends after {@code idleMs} without any (an
     * idle server holds no thread for it). A request queued as it ends finds it ended and starts another,
     * or is seen by it on its way out.
     */
    private void write() {
        while (true) {
            Request<T> first;
            try {
                first = queue.poll(idleMs, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = null;
            }
            if (first == null) {
                writing.set(false);
                if (queue.isEmpty() || !writing.compareAndSet(false, true)) return;
                continue;
            }
            var batch = new ArrayList<Request<T>>();
            batch.add(first);
            queue.drainTo(batch);
            lock.lock();
            try {
                runBatch(batch);
            } catch (Throwable e) {
                // runBatch answers every request itself; this is an Error on the way. The transaction was rolled
                // back, or it committed and hearing of it failed: either way no caller is told it succeeded.
                var failure = e instanceof RuntimeException re ? re : new StoreException(e);
                for (var r : batch) {
                    r.result = null;
                    if (r.failure == null) r.failure = failure;
                }
            } finally {
                lock.unlock();
                for (var r : batch) {
                    r.done = true;
                    LockSupport.unpark(r.waiter);
                }
            }
        }
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
        final Thread waiter;
        // written by the writer, read by the waiter once done is set
        T result;
        RuntimeException failure;
        boolean ran; // under the lock: its work has run, in a transaction that may still fail
        volatile boolean done;

        Request(Work<T> work, Thread waiter) {
            this.work = work;
            this.waiter = waiter;
        }

        T outcome() {
            if (failure != null) throw failure;
            return result;
        }
    }

    /** Applies a batch of requests in one transaction; {@link #committed} hears of them once it commits. */
    private void runBatch(List<Request<T>> batch) {
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
                    r.ran = true;
                }
                if (!alone && !results.isEmpty()) finish.run(c, results);
                return null;
            });
        } catch (RuntimeException e) {
            // The transaction failed: none of it happened.
            for (var r : batch) if (r.failure == null && (r.result != null || !r.ran)) r.failure = e;
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
