package dev.alteran.pds.xrpc;

import dev.alteran.atproto.plc.Plc;
import static dev.alteran.pds.http.RateLimiter.Bucket.WRITE;
import static dev.alteran.pds.xrpc.AuthLevel.ACCESS;
import static dev.alteran.pds.xrpc.AuthLevel.PUBLIC;
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
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * com.atproto.identity.*: handle and DID resolution (our own account answered locally, others over
 * DNS/HTTPS and the PLC directory) and changing our handle.
 */
public final class IdentityHandlers {
    private static final Logger log = LoggerFactory.getLogger(IdentityHandlers.class);

    private final Environment env;
    private final Identity identity;
    private final DidDocuments documents;
    private final HandleResolver handles;
    private final DidResolver dids;
    private final PlcClient plc;

    public IdentityHandlers(Environment env, Identity identity, DidDocuments documents, HandleResolver handles,
                            DidResolver dids, PlcClient plc) {
        this.env = env;
        this.identity = identity;
        this.documents = documents;
        this.handles = handles;
        this.dids = dids;
        this.plc = plc;
    }

    public void register(XrpcRouter router) {
        router.query("com.atproto.identity.resolveHandle", PUBLIC, this::resolveHandle);
        router.procedure("com.atproto.identity.updateHandle", ACCESS, WRITE, this::updateHandle);
        router.query("com.atproto.identity.resolveDid", PUBLIC, this::resolveDid);
        router.query("com.atproto.identity.resolveIdentity", PUBLIC, this::resolveIdentity);
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
     * reserved TLD is InvalidHandle, then the handle must resolve to our DID; for did:plc the PLC
     * document must already name it (we hold no PLC rotation key, so the operator updates PLC
     * first). Development skips those lookups: .test handles resolve nowhere, and local runs stay offline.
     */
    Object updateHandle(XrpcCall call) {
        var handle = newHandle(call.jsonBody());
        if (Handle.isDisallowedTld(handle)) throw XrpcException.badRequest("InvalidHandle", "Handle TLD is invalid or disallowed");
        if (env != Environment.DEV) {
            var problem = verificationProblem(handle);
            if (problem != null) throw XrpcException.invalidRequest(problem);
        }
        identity.updateHandle(handle);
        call.response().setStatus(200); // the lexicon declares no output: an empty 200
        return null;
    }

    /** The {@code handle} of an updateHandle input, normalized; malformed input is 400 InvalidRequest. */
    static String newHandle(JsonNode body) {
        var value = JsonInput.of(body).string("handle", true);
        if (!Handle.isValid(value)) throw XrpcException.invalidRequest("Input/handle must be a valid handle");
        return Handle.normalize(value);
    }

    private String verificationProblem(String handle) {
        var did = identity.did();
        var resolved = handles.resolve(new Handle(handle));
        if (!resolved.equals(Optional.of(did))) return "External handle did not resolve to DID";
        if (Plc.isPlcDid(did)) {
            var document = plcDocument(did);
            if (!DidDocuments.handleOf(document).equals(Optional.of(handle))) return "DID is not properly configured for handle";
        }
        return null;
    }

    private JsonNode plcDocument(String did) {
        try {
            return plc.fetchFresh(did).orElseThrow(() -> XrpcException.badRequest("DidNotFound", "DID not found in the PLC directory"));
        } catch (DidDeactivatedException e) {
            throw XrpcException.badRequest("DidDeactivated", "DID is deactivated");
        } catch (ResolutionException e) {
            throw upstream(e);
        }
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
