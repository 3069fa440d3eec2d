package dev.alteran.bench.http;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One keep-alive HTTP/1.1 connection for the throughput loops, used by one thread at a time. It writes
 * a request and reads the response (Content-Length or chunked) with next to no work of its own: the
 * load generator shares the machine with the server, and a general-purpose client spends more CPU per
 * request than the server does. Bodies come back as bytes; checking them is up to the caller.
 */
final class RawHttp implements AutoCloseable {
    /** A response: status and body. */
    record Response(int status, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final String host;
    private final int port;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private byte[] buf = new byte[64 * 1024];
    private int pos, lim;

    RawHttp(String baseUrl) {
        var uri = URI.create(baseUrl);
        this.host = uri.getHost();
        this.port = uri.getPort();
    }

    /** {@code GET path} (path includes the query string). */
    Response get(String pathAndQuery) throws IOException {
        return exchange(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nAccept: application/json\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII), null);
    }

    /** {@code POST path} with a JSON body and, when not null, a bearer token. */
    Response post(String path, byte[] json, String bearer) throws IOException {
        var head = "POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nAccept: application/json\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + json.length + "\r\n"
                + (bearer == null ? "" : "Authorization: Bearer " + bearer + "\r\n") + "\r\n";
        return exchange(head.getBytes(StandardCharsets.US_ASCII), json);
    }

    private Response exchange(byte[] head, byte[] body) throws IOException {
        boolean fresh = socket == null;
        if (fresh) connect();
        try {
            send(head, body);
            return read();
        } catch (EOFException | java.net.SocketException e) {
            // The server closed an idle kept-alive connection before reading this request: once more on a new one.
            if (fresh) throw e;
            close();
            connect();
            send(head, body);
            return read();
        }
    }

    private void connect() throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(host, port), 10_000);
        socket.setSoTimeout(60_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        pos = lim = 0;
    }

    private void send(byte[] head, byte[] body) throws IOException {
        if (body == null) {
            out.write(head);
        } else {
            var all = Arrays.copyOf(head, head.length + body.length);
            System.arraycopy(body, 0, all, head.length, body.length);
            out.write(all);
        }
        out.flush();
    }

    private Response read() throws IOException {
        var statusLine = line();
        if (statusLine == null) throw new EOFException("connection closed before the response");
        int status = Integer.parseInt(statusLine.substring(9, 12));
        long length = -1;
        boolean chunked = false, close = false;
        for (String h; !(h = line()).isEmpty(); ) {
            int colon = h.indexOf(':');
            var name = h.substring(0, colon).trim();
            var value = h.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("content-length")) length = Long.parseLong(value);
            else if (name.equalsIgnoreCase("transfer-encoding")) chunked = value.equalsIgnoreCase("chunked");
            else if (name.equalsIgnoreCase("connection")) close = value.equalsIgnoreCase("close");
        }
        byte[] body;
        if (chunked) {
            var acc = new java.io.ByteArrayOutputStream();
            for (;;) {
                var size = line();
                int semi = size.indexOf(';');
                int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (n == 0) {
                    while (!line().isEmpty()) { } // trailers
                    break;
                }
                acc.write(bytes(n));
                line();
            }
            body = acc.toByteArray();
        } else if (length >= 0) {
            body = bytes((int) length);
        } else {
            throw new IOException("response without a length");
        }
        if (close) close();
        return new Response(status, body);
    }

    private boolean fill() throws IOException {
        if (pos == lim) {
            pos = lim = 0;
        } else if (lim == buf.length) {
            if (pos == 0) buf = Arrays.copyOf(buf, buf.length * 2);
            else {
                System.arraycopy(buf, pos, buf, 0, lim - pos);
                lim -= pos;
                pos = 0;
            }
        }
        int n = in.read(buf, lim, buf.length - lim);
        if (n < 0) return false;
        lim += n;
        return true;
    }

    /** A CRLF-terminated line without its terminator, or null at the end of the stream before any byte. */
    private String line() throws IOException {
        int scanned = pos;
        for (;;) {
            for (int i = scanned; i + 1 < lim; i++) {
                if (buf[i] == '\r' && buf[i + 1] == '\n') {
                    var s = new String(buf, pos, i - pos, StandardCharsets.ISO_8859_1);
                    pos = i + 2;
                    return s;
                }
            }
            scanned = Math.max(pos, lim - 1);
            int before = pos;
            if (!fill()) {
                if (lim == pos) return null;
                throw new EOFException("connection closed inside a line");
            }
            scanned -= before - pos; // fill() may have moved the bytes to the front
        }
    }

    private byte[] bytes(int n) throws IOException {
        var out = new byte[n];
        int got = 0;
        while (got < n) {
            if (pos == lim && !fill()) throw new EOFException("connection closed inside a body");
            int k = Math.min(n - got, lim - pos);
            System.arraycopy(buf, pos, out, got, k);
            pos += k;
            got += k;
        }
        return out;
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
            }
            socket = null;
        }
    }
}
