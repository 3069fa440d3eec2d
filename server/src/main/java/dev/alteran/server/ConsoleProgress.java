package dev.alteran.server;

import dev.alteran.pds.store.Progress;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of a long command on stderr. On a terminal: one line redrawn in place (a bar when the
 * total is known), at most ten times a second. Elsewhere (a log, a pipe): a plain line every
 * {@code interval}, and one when each phase ends.
 */
final class ConsoleProgress implements Progress, AutoCloseable {
    private static final int BAR = 30;
    private final PrintWriter out;
    private final boolean terminal;
    private final long intervalNanos;
    private final LongSupplier nanos;
    private String phase;
    private long done, total, lastPrint;
    private boolean dirty;

    ConsoleProgress(PrintWriter out, boolean terminal, Duration interval, LongSupplier nanos) {
        this.out = out;
        this.terminal = terminal;
        this.intervalNanos = interval.toNanos();
        this.nanos = nanos;
        this.lastPrint = nanos.getAsLong();
    }

    /** Progress on {@code err}: a redrawn line when stderr is a terminal, else a line every five seconds. */
    static ConsoleProgress on(PrintWriter err) {
        boolean terminal = isTerminal();
        return new ConsoleProgress(err, terminal, terminal ? Duration.ofMillis(100) : Duration.ofSeconds(5), System::nanoTime);
    }

    /** A console on a terminal (Java 22+ also returns a console for redirected streams; isTerminal tells them apart). */
    private static boolean isTerminal() {
        var console = System.console();
        if (console == null) return false;
        try {
            return (Boolean) console.getClass().getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return true; // Java 21: a console is only returned for a terminal
        }
    }

    @Override
    public synchronized void update(String newPhase, long newDone, long newTotal) {
        if (phase != null && !phase.equals(newPhase)) finish();
        phase = newPhase;
        done = newDone;
        total = newTotal;
        dirty = true;
        long now = nanos.getAsLong();
        if (now - lastPrint >= intervalNanos) {
            lastPrint = now;
            print();
        }
    }

    private void print() {
        if (terminal) {
            out.print("\r" + line() + "   ");
        } else {
            out.println(line());
        }
        out.flush();
        dirty = false;
    }

    /** Ends the current phase's line with its final numbers. */
    private void finish() {
        if (dirty || terminal) {
            if (terminal) out.print("\r" + line() + "   \n");
            else out.println(line());
            out.flush();
        }
        dirty = false;
        phase = null;
    }

    String line() {
        if (total <= 0) return String.format(Locale.ROOT, "%-7s %,d", phase, done);
        int pct = (int) Math.min(100, done * 100 / total);
        if (!terminal) return String.format(Locale.ROOT, "%-7s %,d/%,d (%d%%)", phase, done, total, pct);
        int filled = pct * BAR / 100;
        return String.format(Locale.ROOT, "%-7s [%s%s] %3d%% %,d/%,d", phase, "#".repeat(filled), " ".repeat(BAR - filled), pct, done, total);
    }

    @Override
    public synchronized void close() {
        if (phase != null) finish();
    }
}
