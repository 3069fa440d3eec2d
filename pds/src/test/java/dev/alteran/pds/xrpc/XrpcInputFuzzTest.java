package dev.alteran.pds.xrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.lexicon.Lexicons;
import dev.alteran.pds.store.RecordPreparer;
import dev.alteran.pds.store.RepoWriteException;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.wire.XrpcException;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target for what an XRPC request carries before a handler sees it: the query string (parsed by
 * {@link XrpcCall#parseQuery}, checked by {@link XrpcParams}) and the JSON body (read by
 * {@link XrpcCall#jsonBody}, checked by {@link XrpcBodies}, read field by field by {@link JsonInput},
 * a record prepared by {@link RecordPreparer}). An input is a query string, a newline, and a body.
 * Without {@code JAZZER_FUZZ=1} it replays the saved inputs under
 * {@code src/test/resources/dev/alteran/pds/xrpc/XrpcInputFuzzTestInputs/}; bench/fuzz.sh fuzzes it.
 */
class XrpcInputFuzzTest {
    static final Lexicons LEXICONS = Lexicons.loadBundled();
    static final XrpcParams PARAMS = new XrpcParams(LEXICONS);
    static final XrpcBodies BODIES = new XrpcBodies(LEXICONS, false);
    static final RecordPreparer PREPARER = new RecordPreparer(LEXICONS);
    /** Small, so that the fuzzer reaches the size limit too. */
    static final long MAX_JSON_BYTES = 4096;
    static final List<String> QUERIES = List.of("com.atproto.repo.listRecords", "com.atproto.repo.getRecord",
            "com.atproto.sync.listBlobs", "com.atproto.sync.getRecord", "app.bsky.feed.getTimeline", "app.bsky.actor.getProfiles");
    static final List<String> PROCEDURES = List.of("com.atproto.repo.createRecord", "com.atproto.repo.applyWrites",
            "com.atproto.server.createSession", "app.bsky.actor.putPreferences");

    static HttpServletRequest request(String query, byte[] body) {
        var in = new ByteArrayInputStream(body);
        var stream = new ServletInputStream() {
            @Override public boolean isFinished() { return in.available() == 0; }
            @Override public boolean isReady() { return true; }
            @Override public void setReadListener(ReadListener listener) { throw new UnsupportedOperationException(); }
            @Override public int read() { return in.read(); }
            @Override public int read(byte[] b, int off, int len) { return in.read(b, off, len); }
        };
        return (HttpServletRequest) Proxy.newProxyInstance(HttpServletRequest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getQueryString" -> query;
                    case "getContentType" -> "application/json; charset=utf-8";
                    case "getContentLengthLong" -> -1L; // chunked: the limit is counted on the stream
                    case "getInputStream" -> stream;
                    case "getHeader" -> null;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    static void assertRefusal(XrpcException e) {
        assertTrue(e.status() == 400 || e.status() == 413, () -> "status " + e.status() + ": " + e.getMessage());
    }

    /**
     * Any query string and any body are either accepted or refused with a 400 (a 413 past the size
     * limit) XRPC error, nothing else; an accepted body is one JSON object that writes back and reads
     * again as the same tree, and a record in it is either prepared (DAG-CBOR within the limit) or a 400.
     */
    @FuzzTest
    void queryAndBodyAreAcceptedOrRefusedWith4xx(byte[] input) {
        int newline = indexOf(input, (byte) '\n');
        var query = new String(input, 0, newline < 0 ? input.length : newline, StandardCharsets.UTF_8);
        var body = newline < 0 ? new byte[0] : Arrays.copyOfRange(input, newline + 1, input.length);

        for (var nsid : QUERIES) {
            var call = new XrpcCall(nsid, request(query, body), null, MAX_JSON_BYTES, null);
            try {
                PARAMS.check(nsid, call.query());
                call.param("repo");
                call.intParam("limit", 50, 1, 100);
                call.boolParam("reverse", false);
            } catch (XrpcException e) {
                assertRefusal(e);
            }
        }
        for (var nsid : PROCEDURES) {
            var call = new XrpcCall(nsid, request(query, body), null, MAX_JSON_BYTES, null);
            JsonNode parsed;
            try {
                BODIES.checkInput(nsid, call);
                parsed = call.jsonBody();
            } catch (XrpcException e) {
                assertRefusal(e);
                continue;
            }
            assertTrue(parsed.isObject());
            try {
                assertEquals(parsed, Json.READER.readTree(Json.WRITER.writeValueAsBytes(parsed)));
            } catch (IOException e) {
                throw new AssertionError("an accepted body does not write back as JSON", e);
            }
            try {
                readAsHandlerDoes(nsid, JsonInput.of(parsed));
            } catch (XrpcException e) {
                assertRefusal(e);
            }
        }
    }

    /** The fields the handler reads, the same way (see RepoHandlers, ServerHandlers). */
    private static void readAsHandlerDoes(String nsid, JsonInput in) {
        switch (nsid) {
            case "com.atproto.repo.createRecord" -> {
                in.atIdentifier("repo", true);
                var collection = in.nsid("collection", true);
                var rkey = in.recordKey("rkey", false);
                var validate = in.bool("validate");
                var record = in.object("record", true);
                in.cid("swapCommit");
                try {
                    var prepared = PREPARER.prepare(collection, rkey != null ? rkey : "3jzfcijpj2z2a", record, validate);
                    assertTrue(prepared.bytes().length <= RecordPreparer.MAX_RECORD_BYTES);
                } catch (RepoWriteException e) {
                    // refused as a 400 InvalidRequest
                }
            }
            case "com.atproto.repo.applyWrites" -> {
                in.atIdentifier("repo", true);
                in.bool("validate");
                in.cid("swapCommit");
                var writes = in.array("writes", true);
                for (int i = 0; i < writes.size(); i++) {
                    if (!writes.get(i).isObject()) continue;
                    var op = new JsonInput(writes.get(i), in.path("writes") + "/" + i);
                    op.nsid("collection", true);
                    op.recordKey("rkey", false);
                    op.object("value", false);
                }
            }
            case "com.atproto.server.createSession" -> {
                in.string("identifier", true);
                in.string("password", true);
                in.string("authFactorToken", false);
            }
            default -> in.array("preferences", true);
        }
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) if (bytes[i] == b) return i;
        return -1;
    }
}
