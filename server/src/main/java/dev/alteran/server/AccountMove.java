package dev.alteran.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.atproto.crypto.DidKeys;
import dev.alteran.atproto.crypto.PublicKey;
import dev.alteran.atproto.repo.RepoVerifier;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.store.Progress;
import dev.alteran.pds.wire.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * An account's move from one PDS to another over XRPC, in the order of {@code goat account migrate}
 * and the reference PDS's migration test: createAccount on the new host with the old host's service
 * token, repository, blobs, preferences, the PLC operation (signed by the old host, submitted by the
 * new one), activation, a check of the new host, and only then deactivation on the old host.
 *
 * <p>Resumable: each step first looks at where things stand (the new host's checkAccountStatus and
 * listMissingBlobs, the old host's latest commit) and skips what is done; the state file keeps what
 * cannot be asked (the account was created; a signed PLC operation not yet submitted). It is removed
 * once the move is complete.
 */
final class AccountMove {
    static final String CREATE_ACCOUNT = "com.atproto.server.createAccount";
    private static final String CAR = "application/vnd.ipld.car";

    /** A step that cannot go on; its message says what to do. */
    static final class Stop extends RuntimeException {
        Stop(String message) {
            super(message);
        }
    }

    /**
     * What the new host's account is made with: the DID, its handle there, its password there, and
     * what the new host's createAccount may require besides (null when not given).
     */
    record Account(String did, String handle, String password, String email, String inviteCode) {}

    /** The largest repository and blob accepted from a host (a hostile one could send without end). */
    record Limits(long repoBytes, long blobBytes) {
        static Limits of(Config config) {
            return new Limits(config.maxRepoImportSize(), config.maxBlobSize());
        }
    }

    private final XrpcClient old;
    private final XrpcClient neu;
    private final Account account;
    private final Limits limits;
    private final Supplier<String> plcToken;
    private final List<PublicKey> importedKeys;
    private final Path stateFile;
    private final Path workDir;
    private final PrintWriter out;
    private final PrintWriter err;
    private ObjectNode state;

    /**
     * @param old        the old host, logged in as the account
     * @param plcToken   the token for the old host's signPlcOperation (asks for it, or makes it)
     * @param importedKeys keys besides the new host's that may sign its head commit once active: the
     *                   reference PDS keeps the imported commit (the old host's signature) until its first write
     * @param stateFile  where the move's progress is kept between runs
     * @param workDir    where downloads are spooled
     */
    AccountMove(XrpcClient old, XrpcClient neu, Account account, Limits limits, Supplier<String> plcToken, List<PublicKey> importedKeys,
                Path stateFile, Path workDir, PrintWriter out, PrintWriter err) {
        this.old = old;
        this.neu = neu;
        this.account = account;
        this.limits = limits;
        this.plcToken = plcToken;
        this.importedKeys = importedKeys;
        this.stateFile = stateFile;
        this.workDir = workDir;
        this.out = out;
        this.err = err;
    }

    /** Where clients reach the server {@code config} configures: https://PDS_HOSTNAME (http:// in development). */
    static String publicUrl(Config config, String option) {
        if (config.hostname() == null || config.hostname().isEmpty()) {
            throw new Stop("PDS_HOSTNAME is not set, so this server's URL is not known: give " + option + " URL");
        }
        return config.publicOrigin();
    }

    /** Logs in to {@code host} (named {@code name} in errors), saying what to do when it cannot be reached or refuses. */
    static JsonNode login(XrpcClient host, String identifier, String password, String name, String ifUnreachable, String ifRefused) {
        try {
            return host.login(identifier, password);
        } catch (XrpcClient.Failure f) {
            if (f.unreachable()) throw new Stop("cannot reach " + name + " at " + host.base + ": " + ifUnreachable + " (" + f.detail + ")");
            if ("AuthFactorTokenRequired".equals(f.error)) {
                throw new Stop(name + " asks for a sign-in code sent by e-mail (two-factor sign-in): turn it off there for the move");
            }
            if (f.status == 401) throw new Stop(name + " refused the login of " + identifier + ": " + ifRefused + " (" + f.error + ": " + f.detail + ")");
            throw f;
        }
    }

    /** Checks that {@code host} answers describeServer, saying what to do when it does not. */
    static void reach(XrpcClient host, String name, String ifUnreachable) {
        try {
            host.query("com.atproto.server.describeServer", Map.of());
        } catch (XrpcClient.Failure f) {
            throw new Stop("cannot reach " + name + " at " + host.base + ": " + ifUnreachable + " (" + (f.unreachable() ? f.detail : f.getMessage()) + ")");
        }
    }

    /** The whole move; a step that fails stops it with what to do, and a later run resumes it. */
    void run() {
        try {
            steps();
        } catch (XrpcClient.Failure f) {
            throw new Stop(f.getMessage() + (f.unreachable() ? ": check that the host is up; then" : ";") + " run the command again to resume");
        }
    }

    private void steps() {
        var newServiceDid = neu.query("com.atproto.server.describeServer", Map.of()).path("did").asText();
        if (old.base.equals(neu.base) || newServiceDid.equals(old.query("com.atproto.server.describeServer", Map.of()).path("did").asText())) {
            throw new Stop("the old and the new host are the same server (" + newServiceDid + ")");
        }
        say("moving %s (%s) from %s to %s (%s)", account.did(), account.handle(), old.base, neu.base, newServiceDid);
        state = loadState();
        createAccount(newServiceDid);
        var status = status(neu);
        if (status.path("activated").asBoolean()) {
            say("copies: skipped, the account is active on the new host already");
        } else {
            copyRepo(status);
            copyBlobs();
            copyPreferences();
            updateIdentity();
            activate();
        }
        verify();
        deactivateOld();
        try {
            Files.deleteIfExists(stateFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        say("done: %s is hosted by %s; its account on %s is deactivated", account.did(), neu.base, old.base);
    }

    private void createAccount(String newServiceDid) {
        if (state.path("accountCreated").asBoolean()) {
            neu.login(account.did(), account.password());
            say("account: created on the new host by an earlier run; logged in");
            return;
        }
        // An account already active there (a move completed before) needs no createAccount, which would be refused.
        boolean exists = loggedIn(neu);
        if (exists && status(neu).path("activated").asBoolean()) {
            say("account: logged in on the new host, where it is active already");
            return;
        }
        var token = old.query("com.atproto.server.getServiceAuth", Map.of("aud", newServiceDid, "lxm", CREATE_ACCOUNT)).path("token").asText();
        var input = Json.object().put("did", account.did()).put("handle", account.handle()).put("password", account.password());
        if (account.email() != null) input.put("email", account.email());
        if (account.inviteCode() != null) input.put("inviteCode", account.inviteCode());
        try {
            neu.useSession(neu.procedureAs(token, CREATE_ACCOUNT, input));
            say("account: created on the new host (deactivated until the move completes)");
        } catch (XrpcClient.Failure refused) {
            if (refused.unreachable() || refused.status >= 500) throw refused;
            // It may exist already (an earlier run whose state was lost): then the login above worked.
            if (!exists) {
                throw new Stop("the new host refused createAccount (" + refused.getMessage() + ")" + (refused.status == 401
                        ? ": check the password for the new host" : ""));
            }
            say("account: exists on the new host already (%s); logged in", refused.getMessage());
        }
        state.put("accountCreated", true);
        saveState();
    }

    /** Whether the account's password opens a session on {@code host} (a refusal is no error here: the account may not exist yet). */
    private boolean loggedIn(XrpcClient host) {
        try {
            host.login(account.did(), account.password());
            return true;
        } catch (XrpcClient.Failure f) {
            if (f.unreachable() || f.status >= 500) throw f;
            return false;
        }
    }

    private void copyRepo(JsonNode status) {
        var latest = old.query("com.atproto.sync.getLatestCommit", Map.of("did", account.did()));
        var commit = latest.path("cid").asText();
        if (commit.equals(status.path("repoCommit").asText())) {
            say("repository: already imported (commit %s, rev %s)", commit, latest.path("rev").asText());
            return;
        }
        var car = workDir.resolve("migration-repo.car");
        XrpcClient.Download download;
        try {
            try (var progress = ConsoleProgress.on(err)) {
                download = old.download("com.atproto.sync.getRepo", Map.of("did", account.did()), car, limits.repoBytes(), "download", progress);
                neu.upload("com.atproto.repo.importRepo", car, CAR, "import", progress);
            }
        } finally {
            delete(car);
        }
        var after = status(neu);
        say("repository: imported %,d bytes: %,d records, %,d blocks (commit %s, rev %s)", download.bytes(),
                after.path("indexedRecords").asLong(), after.path("repoBlocks").asLong(), after.path("repoCommit").asText(),
                after.path("repoRev").asText());
    }

    private void copyBlobs() {
        var status = status(neu);
        long expected = status.path("expectedBlobs").asLong(), missing = expected - status.path("importedBlobs").asLong();
        if (missing <= 0) {
            say("blobs: none missing (%,d stored)", expected);
            return;
        }
        long copied = 0, bytes = 0;
        var failed = new ArrayList<String>();
        var file = workDir.resolve("migration-blob");
        try (var progress = ConsoleProgress.on(err)) {
            String cursor = null;
            while (true) {
                var params = new HashMap<String, String>(Map.of("limit", "500"));
                if (cursor != null) params.put("cursor", cursor);
                var page = neu.query("com.atproto.repo.listMissingBlobs", params);
                var blobs = page.path("blobs");
                for (var blob : blobs) {
                    var cid = blob.path("cid").asText();
                    try {
                        var got = old.download("com.atproto.sync.getBlob", Map.of("did", account.did(), "cid", cid), file, limits.blobBytes(),
                                "blob", Progress.NONE);
                        var stored = neu.upload("com.atproto.repo.uploadBlob", file, got.contentType(), "blob", Progress.NONE);
                        var ref = stored.path("blob").path("ref").path("$link").asText();
                        if (!ref.equals(cid)) {
                            failed.add(cid + ": the old host served other bytes (they hash to " + ref + ")");
                            continue;
                        }
                        bytes += got.bytes();
                        progress.update("blobs", ++copied, missing);
                    } catch (XrpcClient.Failure f) {
                        if (f.unreachable()) throw f;
                        failed.add(cid + ": " + f.getMessage());
                    }
                }
                cursor = page.path("cursor").asText(null);
                if (blobs.isEmpty() || cursor == null) break;
            }
        } finally {
            delete(file);
        }
        say("blobs: copied %,d of %,d missing (%,d bytes)", copied, missing, bytes);
        if (!failed.isEmpty()) {
            for (var f : failed) err.println("blob " + f);
            err.flush();
            throw new Stop(failed.size() + " blob" + (failed.size() == 1 ? "" : "s") + " could not be copied (listed above): run again to retry");
        }
    }

    private void copyPreferences() {
        var preferences = old.query("app.bsky.actor.getPreferences", Map.of()).path("preferences");
        if (!preferences.isArray()) throw new Stop("the old host's getPreferences answered without a preferences list");
        var input = Json.object();
        input.set("preferences", preferences);
        neu.procedure("app.bsky.actor.putPreferences", input);
        say("preferences: copied %,d", preferences.size());
    }

    private void updateIdentity() {
        if (status(neu).path("validDid").asBoolean()) {
            say("identity: the DID document already names the new host and its key");
            return;
        }
        var credentials = neu.query("com.atproto.identity.getRecommendedDidCredentials", Map.of());
        if (!account.did().startsWith("did:plc:")) {
            throw new Stop(account.did() + " is not a did:plc: its DID document must be changed where it is served, to name the new host "
                    + credentials.path("services").path("atproto_pds").path("endpoint").asText() + " and the key "
                    + credentials.path("verificationMethods").path("atproto").asText() + "; then run again");
        }
        var operation = state.get("operation");
        if (operation == null) {
            var input = (ObjectNode) credentials.deepCopy();
            input.put("token", plcToken.get());
            try {
                operation = old.procedure("com.atproto.identity.signPlcOperation", input).path("operation");
            } catch (XrpcClient.Failure f) {
                if ("InvalidToken".equals(f.error) || "ExpiredToken".equals(f.error)) {
                    throw new Stop("the old host refused the PLC token (" + f.getMessage() + "): run again, and give the new token within"
                            + " 15 minutes");
                }
                throw f;
            }
            if (!operation.isObject()) throw new Stop("the old host's signPlcOperation answered without an operation");
            // Kept until submitted: the token is used up, and a second signature would need a second token.
            state.set("operation", operation);
            saveState();
        }
        try {
            neu.procedure("com.atproto.identity.submitPlcOperation", Json.object().set("operation", operation));
        } catch (XrpcClient.Failure f) {
            if (!f.unreachable() && f.status < 500) {
                state.remove("operation");
                saveState();
                throw new Stop("the new host refused the signed PLC operation (" + f.getMessage() + "): run again to sign a new one");
            }
            throw f;
        }
        state.remove("operation");
        saveState();
        say("identity: PLC operation signed by the old host and submitted by the new host (%s, key %s)",
                credentials.path("services").path("atproto_pds").path("endpoint").asText(),
                credentials.path("verificationMethods").path("atproto").asText());
    }

    private void activate() {
        try {
            neu.procedure("com.atproto.server.activateAccount", null);
        } catch (XrpcClient.Failure f) {
            if (f.status == 400 && f.getMessage().contains("DID document")) {
                throw new Stop("the new host does not activate the account yet (" + f.getMessage() + "): the DID document it reads"
                        + " does not name it yet; the directory may take a moment to serve the new one: run again shortly");
            }
            throw f;
        }
        say("account: activated on the new host");
    }

    /** The new host is active, its DID document names it, it stores every blob, and its repository verifies and is complete. */
    private void verify() {
        var status = status(neu);
        var problems = new ArrayList<String>();
        if (!status.path("activated").asBoolean()) problems.add("the account is not active there");
        if (!status.path("validDid").asBoolean()) problems.add("its DID document does not name it and its key");
        long expected = status.path("expectedBlobs").asLong(), imported = status.path("importedBlobs").asLong();
        if (expected != imported) problems.add("it stores " + imported + " of the " + expected + " blobs the records use");
        var key = neu.query("com.atproto.identity.getRecommendedDidCredentials", Map.of()).path("verificationMethods").path("atproto").asText();
        var keys = new ArrayList<PublicKey>();
        keys.add(DidKeys.parseDidKey(key));
        keys.addAll(importedKeys);
        var car = workDir.resolve("migration-verify.car");
        RepoVerifier.VerifiedRepo verified = null;
        int signer = -1;
        try {
            try (var progress = ConsoleProgress.on(err)) {
                neu.download("com.atproto.sync.getRepo", Map.of("did", account.did()), car, limits.repoBytes(), "verify", progress);
            }
            try (var blocks = new SpooledCar(car)) {
                RuntimeException last = null;
                for (int i = 0; i < keys.size() && verified == null; i++) {
                    try {
                        verified = RepoVerifier.verify(blocks, blocks.root(), account.did(), keys.get(i), true);
                        signer = i;
                    } catch (RuntimeException e) {
                        last = e;
                    }
                }
                if (verified == null) problems.add("its repository does not verify: " + last.getMessage());
            } catch (RuntimeException e) {
                problems.add("its repository does not verify: " + e.getMessage());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } finally {
            delete(car);
        }
        if (verified != null) {
            long indexed = status.path("indexedRecords").asLong();
            if (verified.recordCount() != indexed) {
                problems.add("its repository holds " + verified.recordCount() + " records but it indexes " + indexed);
            }
            try {
                long before = status(old).path("indexedRecords").asLong();
                if (before != verified.recordCount()) {
                    problems.add("it holds " + verified.recordCount() + " records, the old host " + before);
                }
            } catch (XrpcClient.Failure f) {
                if (f.unreachable()) throw f; // an old host that does not answer checkAccountStatus any more: nothing to compare
            }
        }
        if (!problems.isEmpty()) {
            throw new Stop("the new host is not ready, so the old account stays active: " + String.join("; ", problems) + ". Run again to retry");
        }
        say("verified: the new host is active and named by the DID document; %,d records, commit %s signed by %s; %,d of %,d blobs",
                verified.recordCount(), verified.commitCid(), signer == 0 ? "its key" : "the old host's key (imported as it was)",
                imported, expected);
    }

    private void deactivateOld() {
        if (!status(old).path("activated").asBoolean()) {
            say("old host: the account is deactivated already");
            return;
        }
        old.procedure("com.atproto.server.deactivateAccount", Json.object());
        say("old host: account deactivated");
    }

    private static JsonNode status(XrpcClient host) {
        return host.query("com.atproto.server.checkAccountStatus", Map.of());
    }

    private void say(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
        out.flush();
    }

    /** The state of an earlier run of this same move, or a fresh one. */
    private ObjectNode loadState() {
        if (Files.exists(stateFile)) {
            try {
                var saved = Json.READER.readTree(Files.readAllBytes(stateFile));
                if (saved instanceof ObjectNode o && account.did().equals(o.path("did").asText()) && old.base.equals(o.path("from").asText())
                        && neu.base.equals(o.path("to").asText())) {
                    say("resuming the move started earlier (%s)", stateFile);
                    return o;
                }
            } catch (IOException e) {
                // unreadable: start over; each step still checks where things stand
            }
        }
        return Json.object().put("did", account.did()).put("from", old.base).put("to", neu.base);
    }

    private void saveState() {
        try {
            Files.createDirectories(stateFile.toAbsolutePath().getParent());
            var part = stateFile.resolveSibling(stateFile.getFileName() + ".part");
            Files.writeString(part, state.toPrettyString());
            Files.move(part, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
