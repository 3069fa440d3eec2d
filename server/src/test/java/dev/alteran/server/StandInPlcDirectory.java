package dev.alteran.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.alteran.atproto.plc.Plc;
import dev.alteran.atproto.plc.PlcAuditEntry;
import dev.alteran.atproto.plc.PlcData;
import dev.alteran.atproto.plc.PlcException;
import dev.alteran.atproto.plc.PlcJson;
import dev.alteran.atproto.plc.PlcOp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * A PLC directory on a loopback port: {@code GET /:did/log/audit} serves the DIDs' logs, {@code GET /:did}
 * the current DID document, and {@code POST /:did} accepts an operation only when the log with it still
 * verifies ({@link Plc#verifyLog}), as the real directory does (without recovery forks: every operation
 * must follow the last); a genesis operation POSTed to the DID it derives creates that DID.
 */
final class StandInPlcDirectory implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, List<PlcOp>> logs = new ConcurrentHashMap<>();

    StandInPlcDirectory() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            try (exchange) {
                handle(exchange);
            } catch (RuntimeException e) {
                send(exchange, 500, "{\"message\":\"stand-in failed: " + e + "\"}");
            }
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Starts a DID with its (signed) genesis operation; returns the DID. */
    String create(PlcOp genesis) {
        var did = Plc.didForGenesis(genesis);
        Plc.verifyLog(did, List.of(genesis));
        logs.put(did, new ArrayList<>(List.of(genesis)));
        return did;
    }

    /** Appends an operation as a POST would (checked the same way); false when it does not verify. */
    synchronized boolean append(String did, PlcOp op) {
        var log = logs.get(did);
        var next = new ArrayList<>(log);
        next.add(op);
        try {
            Plc.verifyLog(did, next);
        } catch (PlcException e) {
            return false;
        }
        log.add(op);
        return true;
    }

    /** The DIDs the directory knows. */
    java.util.Set<String> dids() {
        return java.util.Set.copyOf(logs.keySet());
    }

    List<PlcOp> log(String did) {
        return List.copyOf(logs.get(did));
    }

    /** The log as the directory's {@code /log/audit} writes it. */
    List<PlcAuditEntry> auditLog(String did) {
        return log(did).stream().map(op -> new PlcAuditEntry(did, op, op.cid().toString(), false, Instant.now().toString())).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        var path = exchange.getRequestURI().getPath();
        var body = exchange.getRequestBody().readAllBytes();
        if (exchange.getRequestMethod().equals("GET") && path.endsWith("/log/audit")) {
            var did = path.substring(1, path.length() - "/log/audit".length());
            if (!logs.containsKey(did)) {
                send(exchange, 404, "{\"message\":\"DID not registered: " + did + "\"}");
                return;
            }
            var array = JsonNodeFactory.instance.arrayNode();
            for (var e : auditLog(did)) {
                array.addObject().put("did", e.did()).<ObjectNode>set("operation", PlcJson.toJson(e.operation()))
                        .put("cid", e.cid()).put("nullified", false).put("createdAt", e.createdAt());
            }
            send(exchange, 200, array.toString());
            return;
        }
        if (exchange.getRequestMethod().equals("GET") && path.startsWith("/did:plc:") && path.indexOf('/', 1) < 0) {
            var did = path.substring(1);
            if (!logs.containsKey(did)) {
                send(exchange, 404, "{\"message\":\"DID not registered: " + did + "\"}");
                return;
            }
            var data = Plc.verifyLog(did, log(did)).data();
            if (data.isEmpty()) {
                send(exchange, 410, "{\"message\":\"DID not available: " + did + "\"}");
                return;
            }
            send(exchange, 200, document(data.get()).toString());
            return;
        }
        if (exchange.getRequestMethod().equals("POST") && path.startsWith("/did:plc:") && path.indexOf('/', 1) < 0) {
            var did = path.substring(1);
            PlcOp op;
            try {
                op = PlcJson.parseOp(new String(body, StandardCharsets.UTF_8));
            } catch (PlcException e) {
                send(exchange, 400, "{\"message\":\"Invalid operation\"}");
                return;
            }
            if (!logs.containsKey(did)) {
                if (op.prev() == null && createFromPost(did, op)) {
                    send(exchange, 200, "");
                } else {
                    send(exchange, 404, "{\"message\":\"DID not registered: " + did + "\"}");
                }
                return;
            }
            if (append(did, op)) {
                send(exchange, 200, "");
            } else {
                send(exchange, 400, "{\"message\":\"Invalid signature on op\"}");
            }
            return;
        }
        send(exchange, 404, "{\"message\":\"not found\"}");
    }

    private synchronized boolean createFromPost(String did, PlcOp genesis) {
        try {
            if (!Plc.didForGenesis(genesis).equals(did)) return false;
            Plc.verifyLog(did, List.of(genesis));
        } catch (PlcException e) {
            return false;
        }
        return logs.putIfAbsent(did, new ArrayList<>(List.of(genesis))) == null;
    }

    /** The DID document of a state, as the directory writes it: Multikey verification methods, services with {@code #} ids. */
    static ObjectNode document(PlcData data) {
        var doc = JsonNodeFactory.instance.objectNode();
        doc.putArray("@context").add("https://www.w3.org/ns/did/v1").add("https://w3id.org/security/multikey/v1")
                .add("https://w3id.org/security/suites/secp256k1-2019/v1");
        doc.put("id", data.did());
        var aka = doc.putArray("alsoKnownAs");
        data.alsoKnownAs().forEach(aka::add);
        var methods = doc.putArray("verificationMethod");
        data.verificationMethods().forEach((id, key) -> methods.addObject().put("id", data.did() + "#" + id).put("type", "Multikey")
                .put("controller", data.did()).put("publicKeyMultibase", key.substring("did:key:".length())));
        var services = doc.putArray("service");
        data.services().forEach((id, s) -> services.addObject().put("id", "#" + id).put("type", s.type()).put("serviceEndpoint", s.endpoint()));
        return doc;
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        var bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("content-type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
