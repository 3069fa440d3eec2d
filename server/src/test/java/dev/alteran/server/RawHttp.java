package dev.alteran.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Bytes on a socket, for requests no well-behaved client would send (bad request lines, raw paths, huge headers). */
final class RawHttp {
    record Response(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private RawHttp() {}

    /** Sends the request (with Connection: close added when it has headers) and reads the whole response. */
    static Response send(TestServer server, byte[] request) {
        try (var socket = new Socket(InetAddress.getLoopbackAddress(), server.config.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            socket.shutdownOutput();
            return parse(socket.getInputStream().readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Response send(TestServer server, String request) {
        return send(server, request.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A GET of a raw, unencoded path. */
    static Response get(TestServer server, String rawPath) {
        return send(server, "GET " + rawPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    }

    /** The raw body bytes of a GET (for binary answers such as CAR files); the status must be 200. */
    static byte[] bodyBytes(TestServer server, String path) {
        try {
            var r = server.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.url(path))).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) throw new IllegalStateException(path + ": " + r.statusCode());
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Response parse(byte[] bytes) {
        var text = new String(bytes, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) throw new IllegalStateException("no complete response: " + text);
        var lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        var headers = new LinkedHashMap<String, String>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.merge(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip(),
                    (a, b) -> a + ", " + b);
        }
        var raw = text.substring(end + 4);
        var body = "chunked".equalsIgnoreCase(headers.get("transfer-encoding")) ? dechunk(raw) : raw;
        return new Response(status, headers, new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
    }

    private static String dechunk(String raw) {
        var out = new ByteArrayOutputStream();
        int pos = 0;
        while (true) {
            int lineEnd = raw.indexOf("\r\n", pos);
            int size = Integer.parseInt(raw.substring(pos, lineEnd).split(";")[0].strip(), 16);
            if (size == 0) return out.toString(StandardCharsets.ISO_8859_1);
            out.writeBytes(raw.substring(lineEnd + 2, lineEnd + 2 + size).getBytes(StandardCharsets.ISO_8859_1));
            pos = lineEnd + 2 + size + 2;
        }
    }
}
