package dev.alteran.pds.xrpc;

import static dev.alteran.pds.http.RateLimiter.Bucket.BLOB;
import static dev.alteran.pds.xrpc.AuthLevel.ACCESS_OR_SERVICE;
import static dev.alteran.pds.xrpc.AuthLevel.PUBLIC;
import dev.alteran.pds.wire.XrpcException;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.lexicon.StringFormat;
import dev.alteran.atproto.syntax.Did;
import dev.alteran.pds.blob.Blobs;
import dev.alteran.pds.store.AccountStatus;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Blob methods: {@code com.atproto.repo.uploadBlob}, {@code com.atproto.sync.getBlob} and
 * {@code com.atproto.sync.listBlobs}. Blob bytes are streamed both ways, never held whole.
 */
public final class BlobHandlers {
    /** The most of a refused upload that is read and dropped to deliver the error cleanly. */
    private final String did;
    private final Blobs blobs;
    private final AccountStatus account;

    public BlobHandlers(String did, Blobs blobs, AccountStatus account) {
        this.did = did;
        this.blobs = blobs;
        this.account = account;
    }

    public void register(XrpcRouter router) {
        router.procedure("com.atproto.repo.uploadBlob", ACCESS_OR_SERVICE, BLOB,
                XrpcHandler.authorized((permissions, call) -> permissions.requireBlob(encoding(call)), this::uploadBlob));
        router.query("com.atproto.sync.getBlob", PUBLIC, this::getBlob);
        router.query("com.atproto.sync.listBlobs", PUBLIC, this::listBlobs);
    }

    Object uploadBlob(XrpcCall call) throws IOException {
        var req = call.request();
        var ref = blobs.upload(call.body(), req.getContentType(), req.getContentLengthLong());
        return Map.of("blob", ref.toJson());
    }

    /** The upload's MIME type, as the reference reads it for the blob permission: the Content-Type without parameters, lower-cased. */
    static String encoding(XrpcCall call) {
        var type = call.request().getContentType();
        var mime = type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (mime.isEmpty()) throw XrpcException.invalidRequest("Request encoding (Content-Type) required but not provided");
        return mime;
    }

    /**
     * The blob's bytes with its stored type, and headers that stop a browser from running it:
     * no sniffing, a sandboxing CSP, and a download disposition (as the reference PDS sends).
     * Only blobs some record references are served; HEAD answers the headers alone.
     */
    Object getBlob(XrpcCall call) throws IOException {
        checkRepo(call, call.requiredParam("did"));
        var cid = cidParam(call.requiredParam("cid"));
        var blob = blobs.find(cid).filter(Blobs.Stored::referenced).orElseThrow(BlobHandlers::blobNotFound);
        var resp = call.response();
        boolean head = call.request().getMethod().equals("HEAD");
        try (var in = head ? null : blobs.open(cid).orElseThrow(BlobHandlers::blobNotFound)) {
            resp.setStatus(200);
            resp.setContentType(blob.mimeType());
            resp.setContentLengthLong(blob.size());
            resp.setHeader("x-content-type-options", "nosniff");
            resp.setHeader("content-security-policy", "default-src 'none'; sandbox");
            resp.setHeader("content-disposition", "attachment; filename=\"" + cid + "\"");
            if (in != null) in.transferTo(resp.getOutputStream());
        }
        return null;
    }

    Object listBlobs(XrpcCall call) {
        checkRepo(call, call.requiredParam("did"));
        var since = call.param("since", StringFormat.TID);
        var cursor = call.param("cursor");
        int limit = call.intParam("limit", 500, 1, 1000);
        var cids = blobs.listReferenced(since, cursor, limit);
        var out = new LinkedHashMap<String, Object>();
        // As the reference PDS: the cursor is the last CID of a non-empty page.
        if (!cids.isEmpty()) out.put("cursor", cids.getLast());
        out.put("cids", cids);
        return out;
    }

    /**
     * This PDS hosts one repository; any other DID is not here. A deactivated account's blobs are served
     * to its owner only, as the reference PDS does.
     */
    private void checkRepo(XrpcCall call, String requested) {
        if (!Did.isValid(requested)) throw XrpcException.invalidRequest("Error: did must be a valid did");
        if (!requested.equals(did)) throw XrpcException.badRequest("RepoNotFound", "Could not find repo for DID: " + requested);
        if (!account.isActive()) {
            var caller = call.auth();
            if (caller == null || !caller.did().equals(did)) {
                throw XrpcException.badRequest("RepoDeactivated", "Repo has been deactivated: " + requested);
            }
        }
    }

    private static Cid cidParam(String value) {
        try {
            return Cid.parse(value);
        } catch (IllegalArgumentException e) {
            throw XrpcException.invalidRequest("Error: cid must be a cid string");
        }
    }

    private static XrpcException blobNotFound() {
        return XrpcException.badRequest("BlobNotFound", "Blob not found");
    }
}
