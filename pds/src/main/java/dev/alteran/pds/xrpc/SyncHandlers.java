package dev.alteran.pds.xrpc;

import static dev.alteran.pds.xrpc.AuthLevel.PUBLIC;
import dev.alteran.pds.wire.XrpcException;
import dev.alteran.pds.wire.Json;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.alteran.atproto.car.CarWriter;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import dev.alteran.atproto.data.DataJson;
import dev.alteran.atproto.repo.BlockMap;
import dev.alteran.atproto.repo.MissingBlockException;
import dev.alteran.atproto.repo.Proofs;
import dev.alteran.atproto.syntax.Did;
import dev.alteran.atproto.syntax.Nsid;
import dev.alteran.atproto.syntax.RecordKey;
import dev.alteran.atproto.syntax.Tid;
import dev.alteran.pds.store.AccountStatus;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.RepoSnapshot;
import dev.alteran.pds.store.RepoStore;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * com.atproto.sync.* (except the blob routes): repository export as CAR, record proofs, heads and
 * status, with the reference PDS's error names. Everything here is public, as in the reference.
 *
 * <p>Whole-repository exports stream straight from one database snapshot to the client and never
 * hold the repository in memory. The original Alteran's JSON variants are kept:
 * <ul>
 *   <li>{@code com.atproto.sync.getRepo.json} and {@code getCheckout.json} ({@code did} optional):
 *       {@code {did, head, rev, records: [{uri, cid, value}]}}, records in collection/rkey order,
 *       values in the data model's JSON form; streamed like the CAR;</li>
 *   <li>{@code com.atproto.sync.getBlocks.json} ({@code cids} repeated or comma-separated):
 *       {@code {blocks: [{cid, value}]}}; CIDs this repository does not hold are left out.</li>
 * </ul>
 */
public final class SyncHandlers {
    private static final Logger log = LoggerFactory.getLogger(SyncHandlers.class);
    static final String CAR = "application/vnd.ipld.car";
    /** Concurrent whole-repository streams; each holds one database connection and snapshot while the client reads. */
    static final int MAX_STREAMS = 8;
    /** Most CIDs one getBlocks call may ask for. */
    static final int MAX_CIDS = 1000;

    private final RepoStore store;
    private final Database db;
    private final Semaphore streams = new Semaphore(MAX_STREAMS);
    private final AccountStatus account;

    public SyncHandlers(RepoStore store, Database db, AccountStatus account) {
        this.store = store;
        this.db = db;
        this.account = account;
    }

    public void register(XrpcRouter router) {
        router.query("com.atproto.sync.getRepo", PUBLIC, this::getRepo);
        router.query("com.atproto.sync.getCheckout", PUBLIC, this::getCheckout);
        router.query("com.atproto.sync.getBlocks", PUBLIC, this::getBlocks);
        router.query("com.atproto.sync.getRecord", PUBLIC, this::getRecord);
        router.query("com.atproto.sync.getLatestCommit", PUBLIC, this::getLatestCommit);
        router.query("com.atproto.sync.getHead", PUBLIC, this::getHead);
        router.query("com.atproto.sync.listRepos", PUBLIC, this::listRepos);
        router.query("com.atproto.sync.getRepoStatus", PUBLIC, this::getRepoStatus);
        // The original Alteran's JSON views of the same data; no Lexicon describes them.
        router.queryWithoutLexicon("com.atproto.sync.getRepo.json", PUBLIC, this::getRepoJson);
        router.queryWithoutLexicon("com.atproto.sync.getCheckout.json", PUBLIC, this::getRepoJson);
        router.queryWithoutLexicon("com.atproto.sync.getBlocks.json", PUBLIC, this::getBlocksJson);
        // The firehose itself is a WebSocket endpoint; a plain GET reaching the servlet did not upgrade.
        router.query("com.atproto.sync.subscribeRepos", PUBLIC, call -> {
            throw new XrpcException(426, "InvalidRequest", "com.atproto.sync.subscribeRepos is a WebSocket endpoint: upgrade the connection");
        });
    }

    // ---- outputs ----

    public record LatestCommitOutput(String cid, String rev) {}

    public record HeadOutput(String root) {}

    public record RepoEntry(String did, String head, String rev, boolean active, String status) {}

    public record ListReposOutput(String cursor, List<RepoEntry> repos) {}

    public record RepoStatusOutput(String did, boolean active, String status, String rev) {}

    // ---- CAR exports ----

    Object getRepo(XrpcCall call) {
        servable(call);
        var since = call.param("since");
        if (since != null && !Tid.isValid(since)) throw XrpcException.invalidRequest("Params/since must be a valid TID");
        streamRepo(call, since);
        return null;
    }

    Object getCheckout(XrpcCall call) {
        servable(call);
        streamRepo(call, null);
        return null;
    }

    /**
     * The head commit as the CAR root and first block, then every other current block (only those
     * added after {@code since}, when given), newest revision first. One snapshot: a commit landing meanwhile
     * is not half in the export.
     */
    private void streamRepo(XrpcCall call, String since) {
        withStreamSlot(() -> RepoSnapshot.read(db, store.did(), s -> {
            var root = s.root();
            if (root == null) throw repoNotFound(store.did());
            var resp = call.response();
            resp.setStatus(200);
            resp.setContentType(CAR);
            try (var car = new CarWriter(output(resp), root.cid())) {
                car.write(root.cid(), s.block(root.cid()));
                s.blocks(root.cid(), since, car::write);
            }
            return null;
        }));
    }

    Object getBlocks(XrpcCall call) {
        servable(call);
        var cids = cidsParam(call);
        withStreamSlot(() -> RepoSnapshot.read(db, store.did(), s -> {
            var missing = new ArrayList<String>();
            for (var cid : cids) {
                if (!s.has(cid)) missing.add(cid.toString());
            }
            if (!missing.isEmpty()) throw XrpcException.invalidRequest("Could not find cids: " + String.join(",", missing));
            var resp = call.response();
            resp.setStatus(200);
            resp.setContentType(CAR);
            try (var car = new CarWriter(output(resp), List.of())) {
                for (var cid : cids) car.write(cid, s.block(cid));
            }
            return null;
        }));
        return null;
    }

    /** The head commit, the MST path proving the record (or its absence) and the record block. */
    Object getRecord(XrpcCall call) {
        servable(call);
        var collection = call.requiredParam("collection");
        if (!Nsid.isValid(collection)) throw XrpcException.invalidRequest("Params/collection must be a valid nsid");
        var rkey = call.requiredParam("rkey");
        if (!RecordKey.isValid(rkey)) throw XrpcException.invalidRequest("Params/rkey must be a valid Record Key");
        var key = collection + "/" + rkey;
        var proof = recordProof(key);
        var resp = call.response();
        resp.setStatus(200);
        resp.setContentType(CAR);
        try (var car = new CarWriter(output(resp), proof.commit())) {
            proof.blocks().forEach(car::write);
        } catch (UncheckedIOException e) {
            log.debug("getRecord stream ended early: {}", e.getMessage());
        }
        return null;
    }

    /**
     * Built from the in-memory head. A commit landing meanwhile may delete a block of the older head
     * (a replaced MST node or record), so a missing block means: try again on the newer head.
     */
    private record RecordProof(Cid commit, BlockMap blocks) {}

    private RecordProof recordProof(String key) {
        for (int attempt = 0; ; attempt++) {
            var head = store.head();
            try {
                var out = new BlockMap();
                out.put(head.cid(), head.commit().encode());
                out.putAll(Proofs.forKey(head.data(), key));
                var cid = head.data().get(key);
                if (cid != null) {
                    var bytes = store.blocks().get(cid);
                    if (bytes == null) throw new MissingBlockException(cid, "record");
                    out.put(cid, bytes);
                }
                return new RecordProof(head.cid(), out);
            } catch (MissingBlockException e) {
                if (attempt >= 3 || store.head() == head) throw e;
            }
        }
    }

    // ---- JSON variants (original Alteran) ----

    Object getRepoJson(XrpcCall call) throws IOException {
        var did = call.param("did");
        if (did != null) ourDid(call);
        checkActive(call);
        withStreamSlot(() -> RepoSnapshot.read(db, store.did(), s -> {
            var root = s.root();
            if (root == null) throw repoNotFound(store.did());
            var resp = call.response();
            resp.setStatus(200);
            resp.setContentType("application/json; charset=utf-8");
            try (var gen = Json.generator(output(resp))) {
                gen.writeStartObject();
                gen.writeStringField("did", store.did());
                gen.writeStringField("head", root.cid().toString());
                gen.writeStringField("rev", root.rev());
                gen.writeArrayFieldStart("records");
                s.records((uri, cid, bytes) -> {
                    gen.writeStartObject();
                    gen.writeStringField("uri", uri);
                    gen.writeStringField("cid", cid.toString());
                    writeValue(gen, bytes);
                    gen.writeEndObject();
                });
                gen.writeEndArray();
                gen.writeEndObject();
            }
            return null;
        }));
        return null;
    }

    Object getBlocksJson(XrpcCall call) {
        if (call.param("did") != null) ourDid(call);
        checkActive(call);
        var cids = cidsParam(call);
        withStreamSlot(() -> RepoSnapshot.read(db, store.did(), s -> {
            var resp = call.response();
            resp.setStatus(200);
            resp.setContentType("application/json; charset=utf-8");
            try (var gen = Json.generator(output(resp))) {
                gen.writeStartObject();
                gen.writeArrayFieldStart("blocks");
                for (var cid : cids) {
                    var bytes = s.block(cid);
                    if (bytes == null) continue;
                    gen.writeStartObject();
                    gen.writeStringField("cid", cid.toString());
                    writeValue(gen, bytes);
                    gen.writeEndObject();
                }
                gen.writeEndArray();
                gen.writeEndObject();
            }
            return null;
        }));
        return null;
    }

    private static void writeValue(JsonGenerator gen, byte[] block) throws IOException {
        gen.writeFieldName("value");
        DataJson.writeJson(DagCbor.decode(block), gen);
    }

    // ---- small answers ----

    Object getLatestCommit(XrpcCall call) {
        servable(call);
        var head = store.head();
        return new LatestCommitOutput(head.cid().toString(), head.rev());
    }

    Object getHead(XrpcCall call) {
        servable(call);
        return new HeadOutput(store.head().cid().toString());
    }

    /** One account. The cursor is the last DID listed, as keyset paging over DIDs would have it. */
    Object listRepos(XrpcCall call) {
        call.intParam("limit", 500, 1, 1000);
        var cursor = call.param("cursor");
        if (cursor != null && cursor.compareTo(store.did()) >= 0) return new ListReposOutput(null, List.of());
        var head = store.head();
        return new ListReposOutput(store.did(), List.of(new RepoEntry(store.did(), head.cid().toString(), head.rev(), account.isActive(), account.status())));
    }

    Object getRepoStatus(XrpcCall call) {
        var did = ourDid(call);
        // As the reference: the rev only for an active account, else the reason it is not.
        return account.isActive() ? new RepoStatusOutput(did, true, null, store.head().rev())
                : new RepoStatusOutput(did, false, account.status(), null);
    }

    // ---- helpers ----

    /** The {@code did} parameter, which must be our account's DID (RepoNotFound otherwise, as the reference answers). */
    private String ourDid(XrpcCall call) {
        var did = call.requiredParam("did");
        if (!Did.isValid(did)) throw XrpcException.invalidRequest("Params/did must be a valid did");
        if (!did.equals(store.did())) throw repoNotFound(did);
        return did;
    }

    /** Our DID, and a repository we serve: a deactivated one only to its owner, as the reference PDS does. */
    private String servable(XrpcCall call) {
        var did = ourDid(call);
        checkActive(call);
        return did;
    }

    private void checkActive(XrpcCall call) {
        if (account.isActive()) return;
        var caller = call.auth();
        if (caller == null || !caller.did().equals(store.did())) {
            throw XrpcException.badRequest("RepoDeactivated", "Repo has been deactivated: " + store.did());
        }
    }

    private static XrpcException repoNotFound(String did) {
        return XrpcException.badRequest("RepoNotFound", "Could not find repo for DID: " + did);
    }

    private static List<Cid> cidsParam(XrpcCall call) {
        var out = new LinkedHashSet<Cid>();
        for (var value : call.params("cids")) {
            for (var part : value.split(",")) {
                var s = part.strip();
                if (s.isEmpty()) continue;
                try {
                    out.add(Cid.parse(s));
                } catch (IllegalArgumentException e) {
                    throw XrpcException.invalidRequest("Params/cids must be cid strings: " + s);
                }
            }
        }
        if (out.isEmpty()) throw XrpcException.invalidRequest("Error: Params must have the property \"cids\"");
        if (out.size() > MAX_CIDS) throw XrpcException.invalidRequest("Too many cids. Max: " + MAX_CIDS);
        return List.copyOf(out);
    }

    private static OutputStream output(HttpServletResponse resp) {
        try {
            return resp.getOutputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Bounds concurrent streams. A client that goes away mid-stream is an I/O error on a committed
     * response: nothing to answer, and no server fault to log loudly.
     */
    private void withStreamSlot(Runnable stream) {
        boolean acquired;
        try {
            acquired = streams.tryAcquire(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw XrpcException.internal();
        }
        if (!acquired) throw new XrpcException(429, "RateLimitExceeded", "Too many repository exports at once; try again");
        try {
            stream.run();
        } catch (UncheckedIOException e) {
            log.debug("export stream ended early: {}", e.getMessage());
        } finally {
            streams.release();
        }
    }
}
