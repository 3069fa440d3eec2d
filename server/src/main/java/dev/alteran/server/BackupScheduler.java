package dev.alteran.server;

import dev.alteran.pds.config.Config;
import dev.alteran.pds.config.ConfigException;
import dev.alteran.pds.store.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's own backups (PDS_BACKUP_DIR / --backup-dir): every PDS_BACKUP_EVERY, a backup into a
 * new directory named by its UTC time, then all but the newest PDS_BACKUP_KEEP are deleted. A failed
 * backup is logged and leaves the older ones alone.
 */
final class BackupScheduler implements AutoCloseable {
    static final String PREFIX = "alteran-backup-";
    private static final Logger log = LoggerFactory.getLogger(BackupScheduler.class);
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'");

    private final Config config;
    private final ScheduledExecutorService timer;
    private final AtomicLong runs = new AtomicLong();

    private BackupScheduler(Config config) {
        this.config = config;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("alteran-backup").daemon().factory());
    }

    /**
     * Scheduled backups copy the SQLite database; with PostgreSQL there is nothing of ours to copy (the
     * database is pg_dump's, and every instance would back up the same blobs), so a server configured
     * for both refuses to start rather than take backups without the database in them.
     */
    static void refuseWithPostgres(Config config) {
        if (!config.backup().enabled() || config.postgres() == null) return;
        throw new ConfigException(List.of("PDS_BACKUP_DIR (--backup-dir): scheduled backups are of a SQLite install; with PostgreSQL"
                + " (PDS_DATABASE_URL) unset it and back up the database with pg_dump (e.g. pg_dump --format=custom), and the blobs with"
                + " the S3 bucket's versioning or replication (or `alteran backup`, which copies a file blob store's blobs)"));
    }

    /** Starts the schedule: the first backup one interval from now. */
    static BackupScheduler start(Config config) {
        var scheduler = new BackupScheduler(config);
        long every = config.backup().every().toMillis();
        scheduler.timer.scheduleWithFixedDelay(scheduler::runLogged, every, every, TimeUnit.MILLISECONDS);
        return scheduler;
    }

    /** How many scheduled backups have finished (taken or failed). */
    long runs() {
        return runs.get();
    }

    private void runLogged() {
        try {
            var result = runOnce();
            log.info("backup taken: {} (rev {}, seq {}, {} blobs)", result.dir(), result.manifest().rev(), result.manifest().lastSeq(),
                    result.manifest().blobCount());
        } catch (IOException | RuntimeException e) {
            log.error("scheduled backup failed", e);
        } finally {
            runs.incrementAndGet();
        }
    }

    /** One backup into the schedule's directory, then the rotation. */
    Backup.Result runOnce() throws IOException {
        var dir = config.backup().dir();
        var name = PREFIX + NAME.format(ZonedDateTime.now(ZoneOffset.UTC));
        var result = Backup.take(config, dir.resolve(name), Progress.NONE);
        for (Path deleted : Backup.rotate(dir, PREFIX, config.backup().keep())) log.info("old backup deleted: {}", deleted);
        return result;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
