package dev.alteran.pds.http;

import dev.alteran.pds.wire.XrpcResponses;
import dev.alteran.pds.blob.BlobStore;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.StorageFull;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;

/**
 * {@code /health}: {@code {status, timestamp, database, checks:{database, storage}}}, 200 when every
 * check passes, 503 otherwise. {@code database} names the database checked ({@code sqlite} or
 * {@code postgresql}: then the check is a query on the server, so it fails when the server is down or
 * unreachable). {@code storage} is {@code full} after a write ran out of disk space, until there is
 * room again. {@code /ready} answers the same way, for orchestrators that probe both, and so does
 * {@code /xrpc/_health}, the path the reference PDS answers and its operators' tools probe (an exact
 * mapping, so it wins over the XRPC servlet's {@code /xrpc/*}).
 */
public final class HealthServlet extends HttpServlet {
    public static final String XRPC_HEALTH = "/xrpc/_health";

    private final Database database;
    private final BlobStore blobs;
    private final StorageFull storageFull;

    public HealthServlet(Database database, BlobStore blobs, StorageFull storageFull) {
        this.database = database;
        this.blobs = blobs;
        this.storageFull = storageFull;
    }

    /** Each check and its result ({@code ok} or {@code error}): what {@code /health} and the status page report. */
    public static java.util.Map<String, String> checks(Database database, BlobStore blobs, StorageFull storageFull) {
        var checks = new LinkedHashMap<String, String>();
        checks.put("database", database.isHealthy() ? "ok" : "error");
        checks.put("storage", storageFull.isFull() ? "full" : blobs.isHealthy() ? "ok" : "error");
        return checks;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        var checks = checks(database, blobs, storageFull);
        boolean ok = checks.values().stream().allMatch("ok"::equals);
        var body = new LinkedHashMap<String, Object>();
        body.put("status", ok ? "ok" : "error");
        body.put("timestamp", Instant.now().toString());
        body.put("database", database.dialect().displayName());
        body.put("checks", checks);
        resp.setHeader("cache-control", "no-store");
        XrpcResponses.writeJson(resp, ok ? 200 : 503, body);
    }
}
