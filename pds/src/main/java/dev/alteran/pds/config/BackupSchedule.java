package dev.alteran.pds.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Backups the running server takes itself ({@code alteran backup} on a timer): off unless
 * {@code PDS_BACKUP_DIR} is set.
 *
 * @param dir   {@code PDS_BACKUP_DIR}: where each backup gets a directory of its own; null for none
 * @param every {@code PDS_BACKUP_EVERY}: the time between backups (the first one this long after start)
 * @param keep  {@code PDS_BACKUP_KEEP}: how many of the newest backups are kept; older ones are deleted
 */
public record BackupSchedule(Path dir, Duration every, int keep) {
    public static final Duration DEFAULT_EVERY = Duration.ofDays(1);
    public static final int DEFAULT_KEEP = 7;
    /** The shortest interval accepted (tests use it; a real schedule is hours). */
    static final Duration SHORTEST = Duration.ofSeconds(1);

    public static BackupSchedule none() {
        return new BackupSchedule(null, DEFAULT_EVERY, DEFAULT_KEEP);
    }

    public boolean enabled() {
        return dir != null;
    }

    List<String> problems() {
        var problems = new ArrayList<String>();
        if (every.compareTo(SHORTEST) < 0) problems.add("PDS_BACKUP_EVERY: must be at least 1s, not " + every);
        if (keep < 1) problems.add("PDS_BACKUP_KEEP: must be at least 1, not " + keep);
        return problems;
    }
}
