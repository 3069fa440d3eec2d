package dev.alteran.atproto.syntax;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Generates TIDs that strictly increase for the life of this object, even if the wall clock stalls or
 * steps backwards: each TID uses max(now, previous + 1) microseconds. Thread-safe and lock-free.
 */
public final class TidClock {
    private final int clockId;
    private final LongSupplier microsNow;
    private final AtomicLong last = new AtomicLong(Long.MIN_VALUE);

    /** A clock with a random clock id, reading the system clock. */
    public TidClock() {
        this(new SecureRandom().nextInt(1024));
    }

    public TidClock(int clockId) {
        this(clockId, TidClock::systemMicros);
    }

    /** For tests and for resuming after a restart: {@code microsNow} supplies the current time in microseconds. */
    public TidClock(int clockId, LongSupplier microsNow) {
        if (clockId < 0 || clockId >= 1024) throw new IllegalArgumentException("clock id must be 0..1023: " + clockId);
        this.clockId = clockId;
        this.microsNow = microsNow;
    }

    public int clockId() {
        return clockId;
    }

    /** The next TID; strictly greater than every TID this clock returned before. */
    public Tid next() {
        return Tid.of(nextMicros(), clockId);
    }

    /**
     * Makes later TIDs sort after {@code tid} (e.g. the repository's latest rev loaded at startup),
     * so a clock that was behind never issues an older one.
     */
    public void advancePast(Tid tid) {
        long micros = tid.timestampMicros();
        last.accumulateAndGet(micros, Math::max);
    }

    private long nextMicros() {
        long now = microsNow.getAsLong();
        while (true) {
            long prev = last.get();
            long next = Math.max(now, prev + 1);
            if (last.compareAndSet(prev, next)) return next;
        }
    }

    private static long systemMicros() {
        Instant now = Clock.systemUTC().instant();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}
