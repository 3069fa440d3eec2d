package dev.alteran.pds.xrpc;

import dev.alteran.pds.wire.XrpcResponses;
import dev.alteran.pds.http.RateLimiter;
import dev.alteran.pds.wire.MethodKind;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.syntax.AtUri;
import dev.alteran.atproto.syntax.InvalidSyntaxException;
import dev.alteran.pds.auth.Authenticator;
import dev.alteran.pds.blob.BlobCollector;
import dev.alteran.pds.blob.Blobs;
import dev.alteran.pds.store.RecordWriter;
import dev.alteran.pds.store.RepoStore;
import dev.alteran.pds.store.RepoWriteException;
import dev.alteran.pds.wire.XrpcException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /debug/*}, the original Alteran's maintenance routes, mounted only when the embedding
 * turns them on and answered only for the account owner (an access session from the password, not
 * an app password):
 * <ul>
 * <li>{@code GET /debug/record?uri=at://...}: the record {@code {uri, cid, value}}</li>
 * <li>{@code POST /debug/record} {@code {uri, json}}: writes the record through the repository
 *     write path (a signed commit and a firehose event, like putRecord without schema validation)</li>
 * <li>{@code PUT /debug/blob}: stores the body as a blob ({@code {cid, mimeType, size}})</li>
 * <li>{@code GET /debug/blob/<cid>}: a stored blob's bytes, referenced or not</li>
 * <li>{@code POST /debug/gc/blobs[?graceSeconds=N]}: blob garbage collection now</li>
 * </ul>
 * Errors are XRPC error bodies, failures a bare 500, as on {@code /xrpc}.
 */
public final class DebugServlet extends HttpServlet {
    public static final String PATH = "/debug/*";
    private static final Logger log = LoggerFactory.getLogger(DebugServlet.class);

    private final RepoStore repo;
    private final RecordWriter writer;
    private final Blobs blobs;
    private final BlobCollector collector;
    private final Authenticator authenticator;
    private final RateLimiter rateLimiter;
    private final long maxJsonBytes;

    public DebugServlet(RepoStore repo, RecordWriter writer, Blobs blobs, BlobCollector collector,
                        Authenticator authenticator, RateLimiter rateLimiter, long maxJsonBytes) {
        this.repo = repo;
        this.writer = writer;
        this.blobs = blobs;
        this.collector = collector;
        this.authenticator = authenticator;
        this.rateLimiter = rateLimiter;
        this.maxJsonBytes = maxJsonBytes;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        var path = req.getPathInfo() == null ? "" : req.getPathInfo();
        var method = req.getMethod();
        try {
            var call = new XrpcCall("debug" + path.replace('/', '.'), req, resp, maxJsonBytes, authenticator);
            // Writes count like any other write; reads are owner-only anyway.
            if (!method.equals("GET") && !method.equals("HEAD")) rateLimiter.enforce(RateLimiter.Bucket.WRITE, req, resp);
            var principal = call.authorize(AuthLevel.FULL_SESSION);
            if (!principal.did().equals(repo.did())) throw XrpcException.forbidden("Only the account owner may use /debug");
            Object output = switch (method + " " + path) {
                case "GET /record" -> getRecord(call);
                case "POST /record" -> putRecord(call);
                case "PUT /blob" -> putBlob(call);
                case "POST /gc/blobs" -> collectGarbage(call);
                default -> {
                    if ((method.equals("GET") || method.equals("HEAD")) && path.startsWith("/blob/")) yield getBlob(call, path.substring(6));
                    throw XrpcException.notFound("NotFound", "Not Found");
                }
            };
            if (output != null) XrpcResponses.writeJson(resp, 200, output);
        } catch (XrpcException e) {
            XrpcResponses.closeIfBodyUnread(req, resp);
            XrpcResponses.writeError(resp, e);
        } catch (Exception e) {
            log.error("unhandled error in /debug{}", path, e);
            XrpcResponses.closeIfBodyUnread(req, resp);
            XrpcResponses.writeError(resp, XrpcException.internal());
        }
    }

    private AtUri recordUri(String value) {
        if (value == null) throw XrpcException.invalidRequest("uri is required");
        AtUri uri;
        try {
            uri = AtUri.parse(value);
        } catch (InvalidSyntaxException e) {
            throw XrpcException.invalidRequest("uri must be an at:// URI of a record");
        }
        if (uri.rkey() == null) throw XrpcException.invalidRequest("uri must name a record (at://did/collection/rkey)");
        if (!uri.authority().toString().equals(repo.did())) {
            throw XrpcException.badRequest("RepoNotFound", "This PDS hosts only " + repo.did());
        }
        return uri;
    }

    private Object getRecord(XrpcCall call) {
        var uri = recordUri(call.requiredParam("uri"));
        var record = repo.getRecord(uri.collection().toString(), uri.rkey().toString(), null);
        if (record == null) throw XrpcException.notFound("RecordNotFound", "Could not locate record: " + uri);
        var out = new LinkedHashMap<String, Object>();
        out.put("uri", record.uri());
        out.put("cid", record.cid().toString());
        out.put("value", new DataValue(record.value()));
        return out;
    }

    private Object putRecord(XrpcCall call) {
        var in = JsonInput.of(call.jsonBody());
        var uri = recordUri(in.string("uri", true));
        var json = in.object("json", true);
        try {
            return RepoHandlers.WriteOutput.of(writer.put(uri.collection().toString(), uri.rkey().toString(), json, false, null, null));
        } catch (RepoWriteException e) {
            throw XrpcException.badRequest(e.error(), e.getMessage());
        }
    }

    private Object putBlob(XrpcCall call) throws IOException {
        var req = call.request();
        var ref = blobs.upload(call.body(), req.getContentType(), req.getContentLengthLong());
        return Map.of("cid", ref.ref().toString(), "mimeType", ref.mimeType(), "size", ref.size());
    }

    private Object getBlob(XrpcCall call, String cidText) throws IOException {
        Cid cid;
        try {
            cid = Cid.parse(cidText);
        } catch (IllegalArgumentException e) {
            throw XrpcException.invalidRequest("not a CID: the path is /debug/blob/<cid>");
        }
        var blob = blobs.find(cid).orElseThrow(() -> XrpcException.notFound("BlobNotFound", "Blob not found"));
        var resp = call.response();
        boolean head = call.request().getMethod().equals("HEAD");
        try (var in = head ? null : blobs.open(cid).orElseThrow(() -> XrpcException.notFound("BlobNotFound", "Blob not found"))) {
            resp.setStatus(200);
            resp.setContentType(blob.mimeType());
            resp.setContentLengthLong(blob.size());
            resp.setHeader("content-security-policy", "default-src 'none'; sandbox");
            resp.setHeader("content-disposition", "attachment; filename=\"" + cid + "\"");
            if (in != null) in.transferTo(resp.getOutputStream());
        }
        return null;
    }

    private Object collectGarbage(XrpcCall call) {
        int graceSeconds = call.intParam("graceSeconds", (int) BlobCollector.DEFAULT_GRACE.toSeconds(), 0, 30 * 24 * 3600);
        var result = collector.collectGarbage(Duration.ofSeconds(graceSeconds));
        return Map.of("deletedBlobs", result.deletedBlobs(), "deletedBytes", result.deletedBytes(),
                "abandonedUploads", result.abandonedUploads());
    }
}
