package dev.alteran.pds.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.PublicKey;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.wire.XrpcException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.Optional;

/**
 * Inbound user service auth: a JWT the account itself signed with its {@code #atproto} key, naming
 * this server as audience and one method as {@code lxm} (the reference PDS's
 * {@code authorizationOrUserServiceAuth}). The Bluesky app hands such a token to its video service,
 * which uploads the processed video to the user's PDS with it. Checks and errors follow the
 * reference XRPC server: not a session token type, not expired, the audience, the method, then the
 * signature against the account's current key (looked up afresh once if the cached one fails, so a
 * rotated key is picked up).
 */
public final class ServiceTokenVerifier {
    /** The error for a token another DID issued: this server trusts only its account's. */
    public static final String UNTRUSTED_ISSUER = "UntrustedIss";

    /** The account's current {@code #atproto} signing key, from its DID document; {@code fresh} skips caches. */
    @FunctionalInterface
    public interface SigningKey {
        Optional<PublicKey> of(boolean fresh);
    }

    private final String accountDid;
    private final String serviceDid;
    private final SigningKey signingKey;
    private final Clock clock;

    public ServiceTokenVerifier(String accountDid, String serviceDid, SigningKey signingKey, Clock clock) {
        this.accountDid = accountDid;
        this.serviceDid = serviceDid;
        this.signingKey = signingKey;
        this.clock = clock;
    }

    /**
     * Whether {@code token} is a service token rather than a session token: signed with a key pair
     * (ES256K, ES256), where our session tokens are HMACs. Undecodable tokens are not service tokens;
     * the session verifier refuses them with its own errors.
     */
    public static boolean isServiceToken(String token) {
        var header = part(token.split("\\.", -1), 0);
        if (header == null) return false;
        var alg = header.path("alg").asText("");
        return alg.equals("ES256K") || alg.equals("ES256");
    }

    /** The account, when {@code token} is its valid service token for {@code lxm} at this server; else a 401. */
    public Principal verify(String token, String lxm) {
        var parts = token.split("\\.", -1);
        var header = part(parts, 0);
        var payload = part(parts, 1);
        if (header == null || payload == null || !payload.isObject()) throw bad("BadJwt", "poorly formatted jwt");
        var typ = header.path("typ").asText("");
        if (typ.equals("at+jwt") || typ.equals("refresh+jwt") || typ.equals("dpop+jwt")) throw bad("BadJwt", "Invalid jwt type \"" + typ + "\"");
        var curve = switch (header.path("alg").asText("")) {
            case "ES256K" -> Curve.K256;
            case "ES256" -> Curve.P256;
            default -> throw bad("BadJwt", "unsupported jwt algorithm");
        };
        var exp = payload.get("exp");
        if (exp == null || !exp.canConvertToLong()) throw bad("BadJwt", "poorly formatted jwt");
        if (clock.millis() / 1000 > exp.asLong()) throw bad("JwtExpired", "jwt expired");
        if (!serviceDid.equals(payload.path("aud").asText(null))) throw bad("BadJwtAudience", "jwt audience does not match service did");
        var method = payload.get("lxm");
        if (method == null) throw bad("BadJwtLexiconMethod", "missing jwt lexicon method (\"lxm\")");
        if (!lxm.equals(method.asText())) throw bad("BadJwtLexiconMethod", "bad jwt lexicon method (\"lxm\"). must match: " + lxm);
        if (!accountDid.equals(payload.path("iss").asText(null))) throw bad(UNTRUSTED_ISSUER, "Untrusted issuer");
        byte[] signature;
        try {
            signature = Base64.getUrlDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw bad("BadJwt", "poorly formatted jwt");
        }
        var signed = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
        if (!signedBy(signingKey.of(false), curve, signed, signature) && !signedBy(signingKey.of(true), curve, signed, signature)) {
            throw bad("BadJwtSignature", "jwt signature does not match jwt issuer");
        }
        return new Principal(accountDid, Scope.SERVICE);
    }

    private static boolean signedBy(Optional<PublicKey> key, Curve curve, byte[] signed, byte[] signature) {
        return key.isPresent() && key.get().curve() == curve && signature.length == 64 && key.get().verify(signed, signature);
    }

    /** Part {@code index} of a three-part JWT decoded as JSON, or null when there is none. */
    private static JsonNode part(String[] parts, int index) {
        if (parts.length != 3) return null;
        try {
            return Json.READER.readTree(Base64.getUrlDecoder().decode(parts[index]));
        } catch (IllegalArgumentException | IOException e) {
            return null;
        }
    }

    private static XrpcException bad(String error, String message) {
        return new XrpcException(401, error, message);
    }
}
