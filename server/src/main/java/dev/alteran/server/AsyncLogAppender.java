package dev.alteran.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;

/**
 * Writes log lines on a thread of its own, many per write, so a request thread never waits for
 * stdout (a console appender that writes and flushes each line on the request thread cost about two
 * thirds of the read throughput). Lines wait in a bounded queue. When it is full, a WARN or ERROR
 * line goes to an overflow queue without bound and is never dropped; an INFO line (a request line)
 * is dropped and counted, and the count is written as a WARN line of its own once the writer
 * catches up. At JVM shutdown what is queued is written, and later lines are written directly.
 */
final class AsyncLogAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    static final int CAPACITY = 8192;
    private static final int BATCH = 512;
    /** How long the writer lets lines gather after the first one arrives (the most a line waits for stdout). */
    private static final long GATHER_MS = 5;

    private final Encoder<ILoggingEvent> encoder;
    private final OutputStream out;
    private final BlockingQueue<ILoggingEvent> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final ConcurrentLinkedQueue<ILoggingEvent> overflow = new ConcurrentLinkedQueue<>();
    /** Drops not yet reported by a line of their own, and every drop as it happens (the meter's count). */
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong droppedEver = new AtomicLong();
    private final Object writeLock = new Object();
    private volatile boolean direct;
    private Thread writer;
    private Thread shutdownHook;

    AsyncLogAppender(Encoder<ILoggingEvent> encoder, OutputStream out) {
        this.encoder = encoder;
        this.out = out;
    }

    /** Request lines dropped so far because the writer fell behind. */
    long droppedCount() {
        return droppedEver.get();
    }

    /**
     * Counts the dropped request lines as {@code alteran.log.dropped} in {@code registry}, when the
     * standalone server's logging is this appender's (not with a logback.xml of the operator's own).
     */
    static void bindTo(MeterRegistry registry) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) return;
        if (context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender(LogConfigurator.APPENDER) instanceof AsyncLogAppender appender) {
            appender.countDropsIn(registry);
        }
    }

    void countDropsIn(MeterRegistry registry) {
        FunctionCounter.builder("alteran.log.dropped", droppedEver, AtomicLong::get)
                .description("Request log lines dropped because stdout could not keep up").register(registry);
    }

    @Override
    public void start() {
        writer = Thread.ofPlatform().daemon().name("alteran-log-writer").start(this::run);
        shutdownHook = new Thread(this::writeQueuedThenDirect, "alteran-log-flush");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        super.start();
    }

    @Override
    public void stop() {
        if (!isStarted()) return;
        super.stop();
        writeQueuedThenDirect();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs or ran
        }
    }

    @Override
    protected void append(ILoggingEvent event) {
        if (direct) {
            write(java.util.List.of(event));
            return;
        }
        // Logback names a virtual thread through reflection, on every event: the same name, directly.
        var thread = Thread.currentThread();
        if (thread.isVirtual() && event instanceof LoggingEvent e && thread.getName().isEmpty()) e.setThreadName("virtual-" + thread.threadId());
        event.prepareForDeferredProcessing(); // thread name, formatted message and key-values, as of now
        if (queue.offer(event)) return;
        if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
            overflow.add(event);
        } else {
            dropped.incrementAndGet();
            droppedEver.incrementAndGet();
        }
    }

    private void run() {
        var batch = new java.util.ArrayList<ILoggingEvent>(BATCH);
        while (!direct) {
            try {
                var first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first != null) {
                    batch.add(first);
                    // Let a busy server's lines gather: waking this thread for each one would cost the
                    // request thread that hands it over a wake-up, and both a context switch.
                    Thread.sleep(GATHER_MS);
                }
            } catch (InterruptedException e) {
                if (!batch.isEmpty()) write(batch); // stopping: writeQueuedThenDirect writes the rest
                return;
            }
            try {
                queue.drainTo(batch, BATCH - batch.size());
                for (ILoggingEvent e; batch.size() < BATCH && (e = overflow.poll()) != null; ) batch.add(e);
                if (queue.isEmpty()) reportDrops(batch);
                if (!batch.isEmpty()) write(batch);
            } catch (RuntimeException e) {
                addError("log lines lost", e); // the writer must outlive a bad event, or every later line is lost
                System.err.println("alteran: log lines lost: " + e);
            }
            batch.clear();
        }
    }

    /** Once the writer has caught up: how many request lines it had to drop, as a line of its own. */
    private void reportDrops(java.util.List<ILoggingEvent> batch) {
        long n = dropped.getAndSet(0);
        if (n == 0) return;
        var logger = ((ch.qos.logback.classic.LoggerContext) getContext()).getLogger(AsyncLogAppender.class);
        var event = new LoggingEvent(AsyncLogAppender.class.getName(), logger, Level.WARN,
                "the log writer fell behind: {} request lines were dropped", null, new Object[] {n});
        event.prepareForDeferredProcessing();
        batch.add(event);
    }

    /** Encodes the lines and writes them with one write and one flush. */
    private void write(java.util.List<ILoggingEvent> events) {
        var bytes = new ByteArrayOutputStream(events.size() * 256);
        for (var e : events) bytes.writeBytes(encoder.encode(e));
        synchronized (writeLock) {
            try {
                bytes.writeTo(out);
                out.flush();
            } catch (IOException e) {
                addError("cannot write log lines", e);
            }
        }
    }

    /** Writes what is queued, and makes every later line synchronous (shutdown, stop). */
    private void writeQueuedThenDirect() {
        direct = true;
        if (writer != null) {
            writer.interrupt();
            try {
                writer.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        var rest = new java.util.ArrayList<ILoggingEvent>();
        queue.drainTo(rest);
        for (ILoggingEvent e; (e = overflow.poll()) != null; ) rest.add(e);
        reportDrops(rest);
        if (!rest.isEmpty()) write(rest);
    }
}
