package dev.alteran.pds.firehose;

import java.io.IOException;

/** Where one subscriber's frames go: a WebSocket session in the server, anything in tests. */
public interface FrameSink {
    /**
     * Sends one frame as one binary message. May return before the frame is written (a few frames in
     * flight let the container write several per system call); {@link #flush()} waits for them.
     */
    void send(byte[] frame) throws IOException, InterruptedException;

    /** Returns once every frame sent so far is handed to the network. */
    void flush() throws IOException, InterruptedException;

    /** A keep-alive ping, so a dead peer is noticed even when no events flow. */
    void ping() throws IOException, InterruptedException;

    /** Closes the stream with a WebSocket close code and reason. Never blocks for long. */
    void close(int code, String reason);

    /** Ends a connection whose peer stopped reading, without waiting for pending writes to drain. */
    void abort();
}
