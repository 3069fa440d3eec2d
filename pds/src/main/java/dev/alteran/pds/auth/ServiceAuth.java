package dev.alteran.pds.auth;

import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.syntax.Did;
import dev.alteran.atproto.syntax.Nsid;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.wire.XrpcException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Set;

/**
 * Service-auth tokens (com.atproto.server.getServiceAuth): short-lived ES256K JWTs signed with the
 * repo key, by which other services (AppView, chat, another PDS during migration) know a request
 * comes from this account. The compact JWS is built by hand: header {@code {"typ":"JWT","alg":"ES256K"}},
 * claims {@code iat, iss, aud, exp, lxm?, jti}, signature the 64-byte low-S r||s over the signing input.
 * Policy is the reference PDS's: expiry bounds, protected methods refused, privileged methods only for
 * full or privileged sessions.
 */
public final class ServiceAuth {
    static final long DEFAULT_TTL_SEC = 60;
    static final long MAX_TTL_SEC = 3600;
    static final long METHODLESS_MAX_TTL_SEC = 60;

    /** Account-management methods: never callable through a service token (compared case-insensitively). */
    static final Set<String> PROTECTED_METHODS = lower(Set.of(
            "com.atproto.admin.sendEmail",
            "com.atproto.identity.requestPlcOperationSignature",
            "com.atproto.identity.signPlcOperation",
            "com.atproto.identity.updateHandle",
            "com.atproto.server.activateAccount",
            "com.atproto.server.confirmEmail",
            "com.atproto.server.createAppPassword",
            "com.atproto.server.deactivateAccount",
            "com.atproto.server.getAccountInviteCodes",
            "com.atproto.server.getSession",
            "com.atproto.server.listAppPasswords",
            "com.atproto.server.requestAccountDelete",
            "com.atproto.server.requestEmailConfirmation",
            "com.atproto.server.requestEmailUpdate",
            "com.atproto.server.revokeAppPassword",
            "com.atproto.server.updateEmail"));

    /** Methods a plain app-password session may not get a token for: chat and account creation (migration). */
    static final Set<String> PRIVILEGED_METHODS = lower(Set.of(
            "chat.bsky.actor.deleteAccount",
            "chat.bsky.actor.exportAccountData",
            "chat.bsky.convo.deleteMessageForSelf",
            "chat.bsky.convo.getConvo",
            "chat.bsky.convo.getConvoForMembers",
            "chat.bsky.convo.getLog",
            "chat.bsky.convo.getMessages",
            "chat.bsky.convo.leaveConvo",
            "chat.bsky.convo.listConvos",
            "chat.bsky.convo.muteConvo",
            "chat.bsky.convo.sendMessage",
            "chat.bsky.convo.sendMessageBatch",
            "chat.bsky.convo.unmuteConvo",
            "chat.bsky.convo.updateRead",
            "com.atproto.server.createAccount"));

    /** Account-management methods: never proxied, never in a service token. */
    public static boolean isProtected(String lxm) {
        return PROTECTED_METHODS.contains(lower(lxm));
    }

    /** Chat and account creation: not for plain (unprivileged) app-password sessions. */
    public static boolean isPrivileged(String lxm) {
        return PRIVILEGED_METHODS.contains(lower(lxm));
    }

    private static final String HEADER = b64(Json.object().put("typ", "JWT").put("alg", "ES256K").toString()
            .getBytes(StandardCharsets.UTF_8));
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String did;
    private final Keypair key;
    private final Clock clock;

    public ServiceAuth(String did, Keypair key, Clock clock) {
        this.did = did;
        this.key = key;
        this.clock = clock;
    }

    /**
     * A token for {@code principal} to call {@code lxm} (null: any method) at {@code aud}, expiring at
     * {@code exp} (epoch seconds; null: in 60 s). Errors are the reference's 400s.
     */
    public String issue(Principal principal, String aud, Long exp, String lxm) {
        if (lxm != null && !Nsid.isValid(lxm)) throw XrpcException.invalidRequest("lxm must be a valid nsid");
        if (!isAtprotoDidOrRef(aud)) {
            throw XrpcException.invalidRequest("aud must be a valid atproto DID or did#serviceId reference");
        }
        if (lxm != null && principal.scope() == Scope.APP_PASS && isPrivileged(lxm)) {
            throw XrpcException.invalidRequest("insufficient access to request a service auth token for the following method: " + lxm);
        }
        long nowMs = clock.millis();
        if (exp != null) {
            long diffMs = exp * 1000 - nowMs;
            if (diffMs < 0) throw badExpiration("expiration is in past");
            if (diffMs > MAX_TTL_SEC * 1000) {
                throw badExpiration("cannot request a token with an expiration more than an hour in the future");
            }
            if (lxm == null && diffMs > METHODLESS_MAX_TTL_SEC * 1000) {
                throw badExpiration("cannot request a method-less token with an expiration more than a minute in the future");
            }
        }
        if (lxm != null && isProtected(lxm)) {
            throw XrpcException.invalidRequest("cannot request a service auth token for the following protected method: " + lxm);
        }
        long iat = nowMs / 1000;
        return sign(aud, iat, exp != null ? exp : iat + DEFAULT_TTL_SEC, lxm);
    }

    /** The compact JWS; no policy (that is {@link #issue}'s). */
    String sign(String aud, long iat, long exp, String lxm) {
        var claims = new LinkedHashMap<String, Object>();
        claims.put("iat", iat);
        claims.put("iss", did);
        claims.put("aud", aud);
        claims.put("exp", exp);
        if (lxm != null) claims.put("lxm", lxm);
        var jti = new byte[16];
        RANDOM.nextBytes(jti);
        claims.put("jti", HexFormat.of().formatHex(jti));
        String payload;
        try {
            payload = b64(Json.WRITER.writeValueAsBytes(claims));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        var signingInput = HEADER + "." + payload;
        var signature = key.sign(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + b64(signature);
    }

    /** A did:plc / did:web DID, or one followed by {@code #fragment} naming a service. */
    static boolean isAtprotoDidOrRef(String aud) {
        if (aud == null || aud.length() > 2048) return false;
        int hash = aud.indexOf('#');
        var didPart = hash < 0 ? aud : aud.substring(0, hash);
        if (hash >= 0 && (hash == aud.length() - 1 || !aud.substring(hash + 1).matches("[A-Za-z0-9._~:-]+"))) return false;
        return Did.isValid(didPart) && (didPart.startsWith("did:plc:") || didPart.startsWith("did:web:"));
    }

    private static XrpcException badExpiration(String message) {
        return XrpcException.badRequest("BadExpiration", message);
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    private static Set<String> lower(Set<String> methods) {
        return Set.copyOf(methods.stream().map(ServiceAuth::lower).toList());
    }
}
