package dev.alteran.spring;

import dev.alteran.pds.Alteran;
import org.springframework.context.SmartLifecycle;

/**
 * Closes the PDS (its database above all) when the application stops. Lifecycles stop from the highest
 * phase down: this one's is below the web server's graceful shutdown and its stop, so requests in
 * flight finish on an open database and no new one arrives after it is closed.
 */
public final class AlteranLifecycle implements SmartLifecycle {
    /** Below Boot's graceful shutdown (DEFAULT_PHASE - 1024) and its web server's stop (DEFAULT_PHASE - 2048). */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;
    private final Alteran alteran;
    private volatile boolean running;

    AlteranLifecycle(Alteran alteran) {
        this.alteran = alteran;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        alteran.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
