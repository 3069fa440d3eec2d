package dev.alteran.pds.xrpc;

import dev.alteran.atproto.crypto.DidKeys;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.plc.Plc;
import dev.alteran.atproto.plc.PlcException;
import dev.alteran.atproto.plc.PlcJson;
import dev.alteran.atproto.plc.PlcOperation;
import dev.alteran.atproto.plc.PlcService;
import static dev.alteran.pds.http.RateLimiter.Bucket.WRITE;
import static dev.alteran.pds.xrpc.AuthLevel.ACCESS;
import static dev.alteran.pds.xrpc.AuthLevel.FULL_ACCESS;
import static dev.alteran.pds.xrpc.AuthLevel.PUBLIC;
import dev.alteran.pds.auth.Permissions.IdentityAttr;
import dev.alteran.pds.auth.PlcTokens;
import dev.alteran.pds.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import dev.alteran.pds.wire.XrpcException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.syntax.AtIdentifier;
import dev.alteran.atproto.syntax.Did;
import dev.alteran.atproto.syntax.Handle;
import dev.alteran.pds.config.Environment;
import dev.alteran.pds.identity.DidDeactivatedException;
import dev.alteran.pds.identity.DidDocuments;
import dev.alteran.pds.identity.DidResolver;
import dev.alteran.pds.identity.HandleResolver;
import dev.alteran.pds.identity.Identity;
import dev.alteran.pds.identity.PlcClient;
import dev.alteran.pds.identity.ResolutionException;
import dev.alteran.pds.mail.Mailer;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * com.atproto.identity.*: handle and DID resolution (our own account answered locally, others over
 * DNS/HTTPS and the PLC directory), changing our handle, and the did:plc operations of account
 * migration (recommended credentials, signing with PDS_PLC_ROTATION_KEY behind a single-use token,
 * submitting to the directory); see docs/plc.md.
 */
public final class IdentityHandlers {
    private static final Logger log = LoggerFactory.getLogger(IdentityHandlers.class);

    private final Environment env;
    private final Identity identity;
    private final DidDocuments documents;
    private final HandleResolver handles;
    private final DidResolver dids;
    private final PlcClient plc;
    private final PlcTokens tokens;
    private final Optional<Keypair> rotationKey;
    private final Optional<String> recoveryDidKey;
    private final String signingDidKey;
    private final Path tokenFile;
    private final Optional<Mailer> mailer;
    private final String accountEmail;
    private final ReentrantLock handleLock = new ReentrantLock();

    public IdentityHandlers(Config config, Identity identity, DidDocuments documents, HandleResolver handles,
                            DidResolver dids, PlcClient plc, PlcTokens tokens, Optional<Mailer> mailer) {
        this.env = config.env();
        this.identity = identity;
        this.documents = documents;
        this.handles = handles;
        this.dids = dids;
        this.plc = plc;
        this.tokens = tokens;
        this.rotationKey = config.plcRotationKeypair();
        this.recoveryDidKey = config.recoveryDidKey();
        this.signingDidKey = config.signingKey().didKey();
        this.tokenFile = config.dataDir().resolve(TOKEN_FILE);
        this.mailer = mailer;
        this.accountEmail = config.email().accountAddress();
    }

    /** Where requestPlcOperationSignature leaves the token it made, in the data directory, when no SMTP server is configured. */
    public static final String TOKEN_FILE = "plc-token.txt";

    public void register(XrpcRouter router) {
        router.query("com.atproto.identity.resolveHandle", PUBLIC, this::resolveHandle);
        router.procedure("com.atproto.identity.updateHandle", ACCESS, WRITE,
                XrpcHandler.authorized((permissions, call) -> permissions.requireIdentity(IdentityAttr.HANDLE), this::updateHandle));
        router.query("com.atproto.identity.resolveDid", PUBLIC, this::resolveDid);
        router.query("com.atproto.identity.resolveIdentity", PUBLIC, this::resolveIdentity);
        router.query("com.atproto.identity.getRecommendedDidCredentials", ACCESS, this::recommendedCredentials);
        router.procedure("com.atproto.identity.requestPlcOperationSignature", FULL_ACCESS, WRITE, plcOperation(this::requestPlcOperationSignature));
        router.procedure("com.atproto.identity.signPlcOperation", FULL_ACCESS, WRITE, plcOperation(this::signPlcOperation));
        router.procedure("com.atproto.identity.submitPlcOperation", FULL_ACCESS, WRITE, plcOperation(this::submitPlcOperation));
    }

    /** The PLC operations need {@code identity:*} of an OAuth token, as in the reference. */
    private static XrpcHandler plcOperation(XrpcHandler handler) {
        return XrpcHandler.authorized((permissions, call) -> permissions.requireIdentity(IdentityAttr.ANY), handler);
    }

    record Credentials(List<String> rotationKeys, List<String> alsoKnownAs, Map<String, String> verificationMethods,
                       Map<String, PlcService> services) {}

    record SignedOperation(JsonNode operation) {}

    /**
     * What the account's DID document should say for this server to host it: the owner's recovery key
     * (PDS_RECOVERY_DID_KEY) and then our rotation key, our signing key as {@code atproto}, the handle,
     * and our endpoint as {@code atproto_pds}.
     */
    Credentials recommendedCredentials(XrpcCall call) {
        var ours = ourRotationKey();
        var rotation = new ArrayList<String>();
        recoveryDidKey.ifPresent(rotation::add);
        if (!rotation.contains(ours)) rotation.add(ours);
        return new Credentials(rotation, List.of("at://" + identity.handle()),
                Map.of(PlcOperation.ATPROTO_KEY, signingDidKey),
                Map.of(PlcOperation.ATPROTO_PDS, PlcService.atprotoPds(documents.serviceEndpoint(call.request()))));
    }

    /**
     * Makes a fresh signPlcOperation token (replacing any earlier one). Like the reference PDS it
     * e-mails the token to the account's address (PDS_EMAIL) when an SMTP server is configured;
     * otherwise it writes the token to {@value #TOKEN_FILE} in the data directory (owner-only), where
     * the owner reads it. {@code alteran plc token} makes and prints one either way.
     */
    Object requestPlcOperationSignature(XrpcCall call) {
        ourRotationKey();
        var did = requirePlcDid();
        var created = tokens.create();
        if (mailer.isPresent()) {
            try {
                mailer.get().send(accountEmail, "Your code to sign a PLC operation for " + identity.handle(), plcTokenMail(did, created));
            } catch (Mailer.MailException e) {
                log.warn("e-mailing the PLC operation token failed: {}", e.getMessage());
                throw new XrpcException(502, "UpstreamFailure",
                        "Could not send the e-mail with the code; the server's operator can make one with `alteran plc token`");
            }
            log.info("a PLC operation token was requested and e-mailed to the account's address (valid until {})", created.expiresAt());
            call.response().setStatus(200); // the lexicon declares no output: an empty 200
            return null;
        }
        try {
            writePrivate(tokenFile, created.token() + "\n# signPlcOperation token for " + identity.did() + ", single use, valid until "
                    + created.expiresAt() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + tokenFile, e);
        }
        log.info("a PLC operation token was requested; it is in {} (valid until {})", tokenFile, created.expiresAt());
        call.response().setStatus(200); // the lexicon declares no output: an empty 200
        return null;
    }

    /**
     * Signs, with PDS_PLC_ROTATION_KEY, the operation that follows the DID's current one with the
     * given fields changed, after using up the token. Not submitted: submitPlcOperation does that.
     */
    SignedOperation signPlcOperation(XrpcCall call) {
        var key = rotationKey.orElseThrow(IdentityHandlers::noRotationKey);
        var did = requirePlcDid();
        var in = JsonInput.of(call.jsonBody());
        var token = in.string("token", false);
        var rotationKeys = in.has("rotationKeys") && !in.isNull("rotationKeys") ? strings(in.array("rotationKeys", true)) : null;
        var alsoKnownAs = in.has("alsoKnownAs") && !in.isNull("alsoKnownAs") ? strings(in.array("alsoKnownAs", true)) : null;
        var methods = in.has("verificationMethods") && !in.isNull("verificationMethods")
                ? verificationMethods(in.object("verificationMethods", true)) : null;
        var services = in.has("services") && !in.isNull("services") ? services(in.object("services", true)) : null;
        if (token == null || token.isEmpty()) throw XrpcException.invalidRequest("email confirmation token required to sign PLC operations");
        tokens.consume(token);

        var history = auditLog(did);
        if (history.tombstoned()) throw XrpcException.invalidRequest("DID is tombstoned");
        var last = history.last();
        var current = history.data().orElseThrow().rotationKeys();
        if (!current.contains(key.didKey())) {
            throw XrpcException.invalidRequest("This server's rotation key (" + key.didKey()
                    + ") is not among the DID's current rotation keys, so it cannot sign the next operation");
        }
        var base = PlcOperation.after(last);
        var op = new PlcOperation(
                rotationKeys != null ? rotationKeys : base.rotationKeys(),
                methods != null ? methods : base.verificationMethods(),
                alsoKnownAs != null ? alsoKnownAs : base.alsoKnownAs(),
                services != null ? services : base.services(),
                base.prev(), null);
        try {
            return new SignedOperation(PlcJson.toJson(op.sign(key)));
        } catch (PlcException e) {
            throw XrpcException.invalidRequest("Invalid operation: " + e.getMessage());
        }
    }

    /**
     * Checks a signed operation as the reference PDS does (it keeps our rotation key, names our
     * endpoint, our signing key and our handle), sends it to the PLC directory, and announces the
     * identity change on the firehose ({@code #identity}).
     */
    Object submitPlcOperation(XrpcCall call) {
        var ours = ourRotationKey();
        var did = requirePlcDid();
        var node = JsonInput.of(call.jsonBody()).object("operation", true);
        PlcOperation op;
        try {
            if (!(PlcJson.parseOp(node) instanceof PlcOperation parsed) || !parsed.isSigned()) throw new PlcException("not a signed plc_operation");
            parsed.checkRules();
            op = parsed;
        } catch (PlcException e) {
            throw XrpcException.invalidRequest("Invalid operation: " + e.getMessage());
        }
        if (!op.rotationKeys().contains(ours)) throw XrpcException.invalidRequest("Rotation keys do not include server's rotation key");
        var pds = op.services().get(PlcOperation.ATPROTO_PDS);
        if (pds == null || !PlcService.ATPROTO_PDS_TYPE.equals(pds.type())) throw XrpcException.invalidRequest("Incorrect type on atproto_pds service");
        if (!documents.isOurEndpoint(pds.endpoint(), call.request())) {
            throw XrpcException.invalidRequest("Incorrect endpoint on atproto_pds service");
        }
        if (!signingDidKey.equals(op.verificationMethods().get(PlcOperation.ATPROTO_KEY))) throw XrpcException.invalidRequest("Incorrect signing key");
        if (op.alsoKnownAs().isEmpty() || !op.alsoKnownAs().getFirst().equals("at://" + identity.handle())) {
            throw XrpcException.invalidRequest("Incorrect handle in alsoKnownAs");
        }
        submit(did, op);
        identity.announce();
        call.response().setStatus(200); // the lexicon declares no output: an empty 200
        return null;
    }

    /** The message with the token: what it is for, how long it works, and what to do if it was not you. */
    private String plcTokenMail(String did, PlcTokens.Created created) {
        return "A session of your account " + identity.handle() + " (" + did + ") asked this server to sign a change\n"
                + "to your identity in the PLC directory, such as a move to another server.\n\n"
                + "Your code: " + created.token() + "\n\n"
                + "Enter it where you asked for it. It works once, until " + created.expiresAt() + ".\n\n"
                + "If this was not you, do not share the code, and change your password: whoever has it\n"
                + "and your session can change where your account lives.\n";
    }

    /** Sends a signed operation to the directory; its refusal is a 400 with its message, no answer a 502. */
    private void submit(String did, PlcOperation op) {
        PlcClient.Submitted answer;
        try {
            answer = plc.submit(did, op);
        } catch (ResolutionException e) {
            log.info("submitting a PLC operation failed: {}", e.getMessage());
            throw new XrpcException(502, "UpstreamFailure", "Could not reach the PLC directory");
        }
        if (!answer.accepted()) {
            log.info("the PLC directory refused our operation: {} {}", answer.status(), answer.message());
            if (answer.status() >= 400 && answer.status() < 500) {
                throw XrpcException.invalidRequest("The PLC directory refused the operation: " + answer.message());
            }
            throw new XrpcException(502, "UpstreamFailure", "The PLC directory answered " + answer.status());
        }
    }

    /** Our rotation key's did:key; without PDS_PLC_ROTATION_KEY the PLC operations are refused. */
    private String ourRotationKey() {
        return rotationKey.orElseThrow(IdentityHandlers::noRotationKey).didKey();
    }

    /**
     * 400, not 5xx: the request is fine but this server cannot act on it until its operator configures it
     * (as the reference answers "account does not have an email address" when it cannot send the code).
     */
    private static XrpcException noRotationKey() {
        return XrpcException.invalidRequest("This server has no PLC rotation key: its operator must set PDS_PLC_ROTATION_KEY");
    }

    private String requirePlcDid() {
        var did = identity.did();
        if (!Plc.isPlcDid(did)) throw XrpcException.invalidRequest("This account's DID is not a did:plc: " + did);
        return did;
    }

    private dev.alteran.atproto.plc.PlcHistory auditLog(String did) {
        try {
            return plc.auditLog(did);
        } catch (ResolutionException e) {
            log.info("reading the PLC audit log failed: {}", e.getMessage());
            throw new XrpcException(502, "UpstreamFailure", "Could not read a valid audit log of the DID from the PLC directory");
        }
    }

    /** An array the Lexicon already checked holds only strings. */
    private static List<String> strings(JsonNode array) {
        var out = new ArrayList<String>();
        array.forEach(item -> out.add(item.textValue()));
        return out;
    }

    private static Map<String, String> verificationMethods(JsonNode object) {
        var out = new LinkedHashMap<String, String>();
        for (var e : object.properties()) {
            if (!e.getValue().isTextual()) throw XrpcException.invalidRequest("Input/verificationMethods/" + e.getKey() + " must be a did:key string");
            try {
                DidKeys.parseDidKey(e.getValue().asText());
            } catch (IllegalArgumentException ex) {
                throw XrpcException.invalidRequest("Input/verificationMethods/" + e.getKey() + " must be a did:key");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static Map<String, PlcService> services(JsonNode object) {
        var out = new LinkedHashMap<String, PlcService>();
        for (var e : object.properties()) {
            var type = e.getValue().path("type");
            var endpoint = e.getValue().path("endpoint");
            if (!e.getValue().isObject() || !type.isTextual() || !endpoint.isTextual() || e.getValue().size() != 2) {
                throw XrpcException.invalidRequest("Input/services/" + e.getKey() + " must be {type, endpoint} strings");
            }
            out.put(e.getKey(), new PlcService(type.asText(), endpoint.asText()));
        }
        return out;
    }


    /** Replaces {@code file} with {@code content}, created readable by its owner only. */
    private static void writePrivate(Path file, String content) throws IOException {
        var dir = file.toAbsolutePath().getParent();
        var tmp = Files.createTempFile(dir, ".plc-token-", ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    record ResolveHandleOutput(String did) {}

    record ResolveDidOutput(JsonNode didDoc) {}

    record IdentityInfo(String did, String handle, JsonNode didDoc) {}

    /** Unresolvable handles are 400 InvalidRequest "Unable to resolve handle", as the reference PDS and AppView answer. */
    ResolveHandleOutput resolveHandle(XrpcCall call) {
        var handle = call.requiredParam("handle");
        if (!Handle.isValid(handle)) throw XrpcException.invalidRequest("Error: handle must be a valid handle");
        return new ResolveHandleOutput(didOfHandle(Handle.normalize(handle))
                .orElseThrow(() -> XrpcException.invalidRequest("Unable to resolve handle")));
    }

    /**
     * Sets our handle. Like the reference PDS: auth first, then the input, then a handle under a
     * reserved TLD is InvalidHandle, then the handle must resolve to our DID (development skips that
     * lookup: .test handles resolve nowhere). For did:plc the DID document must name the handle: when
     * it does not yet, an operation that makes it the first {@code at://} alias, signed with
     * PDS_PLC_ROTATION_KEY, goes to the directory before anything changes here. Then the handle is
     * stored and {@code #identity} emitted. Updates are one at a time, so each operation follows the last.
     */
    Object updateHandle(XrpcCall call) {
        var handle = newHandle(call.jsonBody());
        if (Handle.isDisallowedTld(handle)) throw XrpcException.badRequest("InvalidHandle", "Handle TLD is invalid or disallowed");
        var did = identity.did();
        if (env != Environment.DEV && !handles.resolve(new Handle(handle)).equals(Optional.of(did))) {
            throw XrpcException.invalidRequest("External handle did not resolve to DID");
        }
        handleLock.lock();
        try {
            if (Plc.isPlcDid(did)) putHandleInPlc(did, handle);
            identity.updateHandle(handle);
        } finally {
            handleLock.unlock();
        }
        call.response().setStatus(200); // the lexicon declares no output: an empty 200
        return null;
    }

    /**
     * Makes the DID's PLC document name {@code handle}, from the verified audit log: nothing to do when
     * it already does (the owner may have changed it with their own key); otherwise our rotation key
     * signs the next operation, which replaces the first {@code at://} alias, and the directory must
     * accept it. Refused, with nothing changed, when our key cannot sign for the DID.
     */
    private void putHandleInPlc(String did, String handle) {
        var history = auditLog(did);
        if (history.tombstoned()) throw XrpcException.invalidRequest("DID is tombstoned");
        var current = history.data().orElseThrow();
        if (current.handle().map(Handle::normalize).equals(Optional.of(handle))) return;
        var key = rotationKey.orElseThrow(() -> XrpcException.invalidRequest(
                "The DID document does not name this handle, and this server has no PLC rotation key to change it:"
                        + " its operator must set PDS_PLC_ROTATION_KEY, or you update the DID document first"));
        if (!current.rotationKeys().contains(key.didKey())) {
            throw XrpcException.invalidRequest("This server's rotation key (" + key.didKey()
                    + ") is not among the DID's current rotation keys, so it cannot put the handle in the DID document;"
                    + " update the DID document first (with a rotation key of yours)");
        }
        PlcOperation op;
        try {
            op = PlcOperation.after(history.last()).withHandle(handle).sign(key);
        } catch (PlcException e) {
            throw XrpcException.invalidRequest("Invalid operation: " + e.getMessage());
        }
        submit(did, op);
        log.info("the PLC directory accepted the handle {} for {}", handle, did);
    }

    /** The {@code handle} of an updateHandle input, normalized; malformed input is 400 InvalidRequest. */
    static String newHandle(JsonNode body) {
        var value = JsonInput.of(body).string("handle", true);
        if (!Handle.isValid(value)) throw XrpcException.invalidRequest("Input/handle must be a valid handle");
        return Handle.normalize(value);
    }

    ResolveDidOutput resolveDid(XrpcCall call) {
        var did = call.requiredParam("did");
        if (!Did.isValid(did)) throw XrpcException.invalidRequest("Error: did must be a valid did");
        return new ResolveDidOutput(document(call, did));
    }

    /**
     * The DID, its document, and its handle when the handle and the document point at each other
     * ({@code handle.invalid} otherwise). Our own account is answered from our own state.
     */
    IdentityInfo resolveIdentity(XrpcCall call) {
        var identifier = call.requiredParam("identifier");
        if (!AtIdentifier.isValid(identifier)) throw XrpcException.invalidRequest("Error: identifier must be a valid at-identifier");
        if (identifier.equals(identity.did()) || identity.isOurHandle(identifier)) {
            return new IdentityInfo(identity.did(), identity.handle(), document(call, identity.did()));
        }
        if (identifier.startsWith("did:")) {
            var doc = document(call, identifier);
            var handle = DidDocuments.handleOf(doc)
                    .filter(h -> didOfHandle(h).equals(Optional.of(identifier)))
                    .orElse(Handle.INVALID);
            return new IdentityInfo(identifier, handle, doc);
        }
        var handle = Handle.normalize(identifier);
        var did = didOfHandle(handle).orElseThrow(() -> XrpcException.badRequest("HandleNotFound", "Unable to resolve handle"));
        var doc = document(call, did);
        var verified = DidDocuments.handleOf(doc).equals(Optional.of(handle)) ? handle : Handle.INVALID;
        return new IdentityInfo(did, verified, doc);
    }

    private Optional<String> didOfHandle(String normalizedHandle) {
        if (identity.isOurHandle(normalizedHandle)) return Optional.of(identity.did());
        return handles.resolve(new Handle(normalizedHandle));
    }

    private JsonNode document(XrpcCall call, String did) {
        try {
            var doc = did.equals(identity.did()) ? documents.ours(call.request()) : dids.resolve(did);
            return doc.orElseThrow(() -> XrpcException.badRequest("DidNotFound", "DID not found: " + did));
        } catch (DidDeactivatedException e) {
            throw XrpcException.badRequest("DidDeactivated", "DID is deactivated: " + did);
        } catch (ResolutionException e) {
            throw upstream(e);
        }
    }

    private static XrpcException upstream(ResolutionException e) {
        log.info("identity resolution failed: {}", e.getMessage());
        return new XrpcException(502, "UpstreamFailure", "Could not resolve the DID document");
    }
}
