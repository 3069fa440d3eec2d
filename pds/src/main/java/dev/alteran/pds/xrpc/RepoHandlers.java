package dev.alteran.pds.xrpc;

import static dev.alteran.pds.http.RateLimiter.Bucket.WRITE;
import static dev.alteran.pds.xrpc.AuthLevel.ACCESS;
import static dev.alteran.pds.xrpc.AuthLevel.FULL_ACCESS;
import static dev.alteran.pds.xrpc.AuthLevel.PUBLIC;
import dev.alteran.pds.wire.XrpcException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.syntax.AtIdentifier;
import dev.alteran.atproto.syntax.Nsid;
import dev.alteran.atproto.syntax.RecordKey;
import dev.alteran.pds.auth.Permissions.AccountAction;
import dev.alteran.pds.auth.Permissions.AccountAttr;
import dev.alteran.pds.auth.Permissions.RepoAction;
import dev.alteran.pds.auth.Principal;
import dev.alteran.pds.identity.DidDocuments;
import dev.alteran.pds.identity.Identity;
import dev.alteran.pds.identity.ResolutionException;
import dev.alteran.pds.blob.Blobs;
import dev.alteran.pds.store.AccountStatus;
import dev.alteran.pds.store.AppliedCommit;
import dev.alteran.pds.store.Progress;
import dev.alteran.pds.store.PreparedRecord;
import dev.alteran.pds.store.PreparedWrite;
import dev.alteran.pds.store.RecordPreparer;
import dev.alteran.pds.store.RecordSwap;
import dev.alteran.pds.store.RecordWriter;
import dev.alteran.pds.store.RepoStore;
import dev.alteran.pds.store.RepoWriteException;
import dev.alteran.pds.store.StoredRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.List;
import java.util.function.Supplier;

/**
 * com.atproto.repo.*: record reads and writes, with the reference PDS's rules and error names.
 * Writes need an access session for our account; reads are public.
 */
public final class RepoHandlers {
    static final String CREATE = "com.atproto.repo.applyWrites#create";
    static final String UPDATE = "com.atproto.repo.applyWrites#update";
    static final String DELETE = "com.atproto.repo.applyWrites#delete";

    private final RepoStore store;
    private final RecordPreparer preparer;
    private final RecordWriter writer;
    private final Identity identity;
    private final DidDocuments didDocuments;
    private final AccountStatus account;
    private final Blobs blobs;
    private final ImportSpool imports;

    public RepoHandlers(RepoStore store, RecordPreparer preparer, RecordWriter writer, Identity identity,
                        DidDocuments didDocuments, AccountStatus account, Blobs blobs, ImportSpool imports) {
        this.account = account;
        this.blobs = blobs;
        this.imports = imports;
        this.store = store;
        this.preparer = preparer;
        this.writer = writer;
        this.identity = identity;
        this.didDocuments = didDocuments;
    }

    public void register(XrpcRouter router) {
        router.procedure("com.atproto.repo.createRecord", ACCESS, WRITE, this::createRecord);
        router.procedure("com.atproto.repo.putRecord", ACCESS, WRITE, this::putRecord);
        router.procedure("com.atproto.repo.deleteRecord", ACCESS, WRITE, this::deleteRecord);
        router.procedure("com.atproto.repo.applyWrites", ACCESS, WRITE, this::applyWrites);
        router.query("com.atproto.repo.getRecord", PUBLIC, this::getRecord);
        router.query("com.atproto.repo.listRecords", PUBLIC, this::listRecords);
        router.query("com.atproto.repo.describeRepo", PUBLIC, this::describeRepo);
        router.procedure("com.atproto.repo.importRepo", FULL_ACCESS, WRITE,
                XrpcHandler.authorized((permissions, call) -> permissions.requireAccount(AccountAttr.REPO, AccountAction.MANAGE), this::importRepo));
        router.query("com.atproto.repo.listMissingBlobs", ACCESS, this::listMissingBlobs);
    }

    // ---- outputs ----

    public record CommitMeta(String cid, String rev) {
        static CommitMeta of(AppliedCommit c) {
            return c == null ? null : new CommitMeta(c.cid().toString(), c.rev());
        }
    }

    public record WriteOutput(String uri, String cid, CommitMeta commit, String validationStatus) {
        public static WriteOutput of(RecordWriter.Put put) {
            return new WriteOutput(put.uri(), put.record().cid().toString(), CommitMeta.of(put.commit()), put.record().validationStatus());
        }
    }

    public record DeleteOutput(CommitMeta commit) {}

    public record ApplyWritesOutput(CommitMeta commit, List<Object> results) {}

    public record WriteResult(@com.fasterxml.jackson.annotation.JsonProperty("$type") String type, String uri, String cid,
                               String validationStatus) {}

    public record DeleteResult(@com.fasterxml.jackson.annotation.JsonProperty("$type") String type) {}

    public record RecordOutput(String uri, String cid, CborJson value) {
        static RecordOutput of(StoredRecord r) {
            return new RecordOutput(r.uri(), r.cid().toString(), new CborJson(r.bytes()));
        }
    }

    public record ListRecordsOutput(String cursor, List<RecordOutput> records) {}

    public record MissingBlobsOutput(String cursor, List<Blobs.Missing> blobs) {}

    public record DescribeRepoOutput(String handle, String did, JsonNode didDoc, List<String> collections,
                                     boolean handleIsCorrect) {}

    // ---- writes ----

    Object createRecord(XrpcCall call) {
        var principal = call.principal();
        var in = JsonInput.of(call.jsonBody());
        var repo = in.atIdentifier("repo", true);
        var collection = in.nsid("collection", true);
        var rkey = in.recordKey("rkey", false);
        var validate = in.bool("validate");
        var record = in.object("record", true);
        var swapCommit = in.cid("swapCommit");
        writableRepo(repo, principal);
        principal.permissions().requireRepo(collection, RepoAction.CREATE);

        var key = rkey != null ? rkey : store.nextTid();
        var prepared = prepare(collection, key, record, validate);
        var uri = store.records().uri(collection, key);
        var create = new PreparedWrite.Create(collection, key, prepared);
        var commit = write(() -> store.commit((head, c) -> {
            // As the reference does: a new follow/block/like/repost replaces older ones of the same subject.
            if (Boolean.FALSE.equals(validate)) return List.of(create);
            var writes = new ArrayList<PreparedWrite>();
            for (var old : store.records().backlinkConflicts(c, collection, prepared.value())) {
                writes.add(new PreparedWrite.Delete(collection, old));
            }
            writes.add(create);
            return writes;
        }, swapCommit));
        return new WriteOutput(uri, prepared.cid().toString(), CommitMeta.of(commit), prepared.validationStatus());
    }

    Object putRecord(XrpcCall call) {
        var principal = call.principal();
        var in = JsonInput.of(call.jsonBody());
        var repo = in.atIdentifier("repo", true);
        var collection = in.nsid("collection", true);
        var rkey = in.recordKey("rkey", true);
        var validate = in.bool("validate");
        var record = in.object("record", true);
        var swapRecord = in.isNull("swapRecord") ? RecordSwap.ABSENT : swapOf(in.cid("swapRecord"));
        var swapCommit = in.cid("swapCommit");
        writableRepo(repo, principal);
        // As the reference: whether the record exists is known only inside the write, so both actions are needed.
        principal.permissions().requireRepo(collection, RepoAction.CREATE);
        principal.permissions().requireRepo(collection, RepoAction.UPDATE);
        return WriteOutput.of(write(() -> writer.put(collection, rkey, record, validate, swapRecord, swapCommit)));
    }

    Object deleteRecord(XrpcCall call) {
        var principal = call.principal();
        var in = JsonInput.of(call.jsonBody());
        var repo = in.atIdentifier("repo", true);
        var collection = in.nsid("collection", true);
        var rkey = in.recordKey("rkey", true);
        var swapRecord = swapOf(in.cid("swapRecord"));
        var swapCommit = in.cid("swapCommit");
        writableRepo(repo, principal);
        principal.permissions().requireRepo(collection, RepoAction.DELETE);

        var key = collection + "/" + rkey;
        var commit = write(() -> store.commit((head, c) ->
                head.get(key) == null ? null : List.of(new PreparedWrite.Delete(collection, rkey, swapRecord)), swapCommit));
        return new DeleteOutput(CommitMeta.of(commit));
    }

    Object applyWrites(XrpcCall call) {
        var principal = call.principal();
        var in = JsonInput.of(call.jsonBody());
        var repo = in.atIdentifier("repo", true);
        var validate = in.bool("validate");
        var list = in.array("writes", true);
        var swapCommit = in.cid("swapCommit");
        var ops = new ArrayList<JsonInput>(list.size());
        var types = new ArrayList<String>(list.size());
        for (int i = 0; i < list.size(); i++) {
            var item = list.get(i);
            var path = in.path("writes") + "/" + i;
            if (!item.isObject() || !item.path("$type").isTextual()) {
                throw XrpcException.invalidRequest(path + " must be an object which includes the \"$type\" property");
            }
            var type = item.get("$type").textValue();
            if (!type.equals(CREATE) && !type.equals(UPDATE) && !type.equals(DELETE)) {
                throw XrpcException.invalidRequest(path + "/$type must be one of " + CREATE + ", " + UPDATE + ", " + DELETE);
            }
            var op = new JsonInput(item, path);
            op.nsid("collection", true);
            op.recordKey("rkey", !type.equals(CREATE));
            if (!type.equals(DELETE)) op.object("value", true);
            ops.add(op);
            types.add(type);
        }
        writableRepo(repo, principal);
        requireWrites(principal, ops, types);
        if (list.size() > RepoStore.MAX_WRITES) throw XrpcException.invalidRequest("Too many writes. Max: " + RepoStore.MAX_WRITES);

        var writes = new ArrayList<PreparedWrite>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            var op = ops.get(i);
            var collection = op.string("collection", true);
            var rkey = op.string("rkey", false);
            writes.add(switch (types.get(i)) {
                case CREATE -> {
                    var key = rkey != null ? rkey : store.nextTid();
                    yield new PreparedWrite.Create(collection, key, prepare(collection, key, op.node("value", true), validate));
                }
                case UPDATE -> new PreparedWrite.Update(collection, rkey, prepare(collection, rkey, op.node("value", true), validate));
                default -> new PreparedWrite.Delete(collection, rkey);
            });
        }
        var commit = write(() -> store.applyWrites(writes, swapCommit));
        var results = new ArrayList<Object>(writes.size());
        for (var w : writes) {
            results.add(switch (w) {
                case PreparedWrite.Create c -> new WriteResult("com.atproto.repo.applyWrites#createResult",
                        store.records().uri(c.collection(), c.rkey()), c.record().cid().toString(), c.record().validationStatus());
                case PreparedWrite.Update u -> new WriteResult("com.atproto.repo.applyWrites#updateResult",
                        store.records().uri(u.collection(), u.rkey()), u.record().cid().toString(), u.record().validationStatus());
                case PreparedWrite.Delete d -> new DeleteResult("com.atproto.repo.applyWrites#deleteResult");
            });
        }
        return new ApplyWritesOutput(CommitMeta.of(commit), results);
    }

    private PreparedRecord prepare(String collection, String rkey, JsonNode record, Boolean validate) {
        try {
            return preparer.prepare(collection, rkey, record, validate);
        } catch (RepoWriteException e) {
            throw new XrpcException(400, e.error(), e.getMessage());
        }
    }

    private static <T> T write(Supplier<T> work) {
        try {
            return work.get();
        } catch (RepoWriteException e) {
            throw new XrpcException(400, e.error(), e.getMessage());
        }
    }

    private static RecordSwap swapOf(Cid cid) {
        return cid == null ? null : new RecordSwap(cid);
    }

    /** The DID of {@code repo} when it is our account and the caller is its owner, as the reference checks it. */
    private void writableRepo(String repo, Principal principal) {
        var did = resolve(repo);
        if (did == null) throw new XrpcException(403, "AccountNotFound", "Account not found");
        if (!account.isActive()) throw accountDeactivated();
        if (!did.equals(principal.did())) throw XrpcException.authRequired("Authentication Required");
    }

    /** Our DID when {@code repo} names our account (by DID, or by handle in any case), else null. */
    private String resolve(String repo) {
        if (repo.equals(store.did())) return store.did();
        return !repo.startsWith("did:") && identity.isOurHandle(repo) ? store.did() : null;
    }

    // ---- reads ----

    Object getRecord(XrpcCall call) {
        var repo = atIdentifierParam(call, "repo");
        var collection = nsidParam(call, "collection");
        var rkey = rkeyParam(call, "rkey");
        var cidParam = call.param("cid");
        Cid cid = null;
        if (cidParam != null) {
            try {
                cid = Cid.parse(cidParam);
            } catch (IllegalArgumentException e) {
                throw XrpcException.invalidRequest("Params/cid must be a cid string");
            }
        }
        var did = resolve(repo);
        if (did == null || !account.isActive()) throw XrpcException.invalidRequest("Could not locate record");
        var record = store.getRecord(collection, rkey, cid);
        if (record == null) {
            throw XrpcException.badRequest("RecordNotFound", "Could not locate record: " + store.records().uri(collection, rkey));
        }
        return RecordOutput.of(record);
    }

    Object listRecords(XrpcCall call) {
        var repo = atIdentifierParam(call, "repo");
        var collection = nsidParam(call, "collection");
        int limit = call.intParam("limit", 50, 1, 100);
        var cursor = call.param("cursor");
        boolean reverse = call.boolParam("reverse", false);
        if (resolve(repo) == null || !account.isActive()) throw XrpcException.invalidRequest("Could not find repo: " + repo);
        var records = store.listRecords(collection, limit, cursor, reverse);
        var out = new ArrayList<RecordOutput>(records.size());
        for (var r : records) out.add(RecordOutput.of(r));
        // The reference always hands back the last rkey, even on a short final page.
        return new ListRecordsOutput(records.isEmpty() ? null : records.getLast().rkey(), out);
    }

    Object describeRepo(XrpcCall call) {
        var repo = atIdentifierParam(call, "repo");
        var did = resolve(repo);
        if (did == null) throw XrpcException.badRequest("RepoNotFound", "Could not find repo for DID: " + repo);
        if (!account.isActive()) throw XrpcException.badRequest("RepoDeactivated", "Repo has been deactivated: " + repo);
        JsonNode doc;
        try {
            doc = didDocuments.ours(call.request())
                    .orElseThrow(() -> XrpcException.invalidRequest("Could not resolve DID: " + did));
        } catch (ResolutionException e) {
            throw XrpcException.invalidRequest("Could not resolve DID: " + e.getMessage());
        }
        var handle = identity.handle();
        boolean correct = DidDocuments.handleOf(doc).map(handle::equals).orElse(false);
        return new DescribeRepoOutput(handle, did, doc, store.listCollections(), correct);
    }

    /** What the reference PDS answers a write to a deactivated account. */
    public static XrpcException accountDeactivated() {
        return new XrpcException(401, "AccountDeactivated", "Account is deactivated");
    }

    // ---- account migration ----

    /**
     * Imports a repository CAR in place of this repository (whoever signed its commit, as the reference
     * PDS; see {@code RepoStore.importCar}): the body is spooled to a file (bounded by the import size
     * limit), then imported in one transaction (see {@code RepoImport}). Allowed while
     * the account is deactivated, which is how a migration runs. A refused body is drained by the
     * servlet, as for every raw upload, so the client sees the error.
     */
    Object importRepo(XrpcCall call) throws IOException {
        var principal = call.principal();
        if (!principal.did().equals(store.did())) throw XrpcException.authRequired("Authentication Required");
        var req = call.request();
        var type = req.getContentType();
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/vnd.ipld.car")) {
            throw XrpcException.invalidRequest("Wrong request encoding (Content-Type): " + (type == null ? "none" : type)
                    + "; expected application/vnd.ipld.car");
        }
        imports.spool(call.body(), req.getContentLengthLong(), car -> write(() -> store.importCar(car, account.isActive(), Progress.NONE)));
        return null;
    }

    /** Each distinct action and collection of an applyWrites, creates first, then updates, then deletes (as the reference). */
    private static void requireWrites(Principal principal, List<JsonInput> ops, List<String> types) {
        for (var action : RepoAction.values()) {
            var type = switch (action) {
                case CREATE -> RepoHandlers.CREATE;
                case UPDATE -> RepoHandlers.UPDATE;
                case DELETE -> RepoHandlers.DELETE;
            };
            var collections = new LinkedHashSet<String>();
            for (int i = 0; i < ops.size(); i++) if (types.get(i).equals(type)) collections.add(ops.get(i).string("collection", true));
            for (var collection : collections) principal.permissions().requireRepo(collection, action);
        }
    }

    MissingBlobsOutput listMissingBlobs(XrpcCall call) {
        int limit = call.intParam("limit", 500, 1, 1000);
        var missing = blobs.listMissing(call.param("cursor"), limit);
        return new MissingBlobsOutput(missing.isEmpty() ? null : missing.getLast().cid(), missing);
    }

    private static String atIdentifierParam(XrpcCall call, String name) {
        var v = call.requiredParam(name);
        if (!AtIdentifier.isValid(v)) throw XrpcException.invalidRequest("Params/" + name + " must be a valid did or a handle");
        return v;
    }

    private static String nsidParam(XrpcCall call, String name) {
        var v = call.requiredParam(name);
        if (!Nsid.isValid(v)) throw XrpcException.invalidRequest("Params/" + name + " must be a valid nsid");
        return v;
    }

    private static String rkeyParam(XrpcCall call, String name) {
        var v = call.requiredParam(name);
        if (!RecordKey.isValid(v)) throw XrpcException.invalidRequest("Params/" + name + " must be a valid Record Key");
        return v;
    }
}
