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
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * A PLC directory on a loopback port: {@code GET /:did} serves the DID document of the last operation,
 * {@code GET /:did/log/audit} the DIDs' logs, and
 * {@code POST /:did} accepts an operation only when the log with it still verifies ({@link Plc#verifyLog}),
 * as the real directory does (without recovery forks: every operation must follow the last).
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
            var data = logs.containsKey(did) ? PlcData.of(did, log(did).getLast()) : Optional.<PlcData>empty();
            if (data.isEmpty()) {
                send(exchange, 404, "{\"message\":\"DID not registered: " + did + "\"}");
                return;
            }
            send(exchange, 200, document(data.get()).toString());
            return;
        }
        if (exchange.getRequestMethod().equals("POST") && path.startsWith("/did:plc:") && path.indexOf('/', 1) < 0) {
            var did = path.substring(1);
            if (!logs.containsKey(did)) {
                send(exchange, 404, "{\"message\":\"DID not registered: " + did + "\"}");
                return;
            }
            PlcOp op;
            try {
                op = PlcJson.parseOp(new String(body, StandardCharsets.UTF_8));
            } catch (PlcException e) {
                send(exchange, 400, "{\"message\":\"Invalid operation\"}");
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

    /** The DID document the directory derives from the DID's state: Multikey methods, services by fragment. */
    static ObjectNode document(PlcData data) {
        var doc = JsonNodeFactory.instance.objectNode();
        doc.putArray("@context").add("https://www.w3.org/ns/did/v1").add("https://w3id.org/security/multikey/v1");
        doc.put("id", data.did());
        var aka = doc.putArray("alsoKnownAs");
        data.alsoKnownAs().forEach(aka::add);
        var methods = doc.putArray("verificationMethod");
        data.verificationMethods().forEach((name, key) -> methods.addObject().put("id", data.did() + "#" + name).put("type", "Multikey")
                .put("controller", data.did()).put("publicKeyMultibase", key.substring("did:key:".length())));
        var services = doc.putArray("service");
        data.services().forEach((name, service) -> services.addObject().put("id", "#" + name).put("type", service.type())
                .put("serviceEndpoint", service.endpoint()));
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
