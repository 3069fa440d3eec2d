package dev.alteran.pds.oauth;

import dev.alteran.pds.store.ReplayStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * PKCE (RFC 7636) as atproto requires it: every authorization request carries a
 * {@code code_challenge} with method {@code S256}, and the token request's {@code code_verifier}
 * (43 to 128 unreserved characters) must hash to it. A challenge is used once: the reference
 * remembers it for a day so that a second code for the same challenge cannot be redeemed.
 */
public final class Pkce {
    /** How long a redeemed challenge is remembered: a day plus 10%, as the reference. */
    public static final Duration CHALLENGE_REPLAY_WINDOW = Duration.ofMillis((long) Math.ceil(Duration.ofDays(1).toMillis() * 1.1));
    private static final Pattern VERIFIER = Pattern.compile("[A-Za-z0-9._~-]{43,128}");
    /** base64url without padding of 32 bytes. */
    private static final Pattern S256_CHALLENGE = Pattern.compile("[A-Za-z0-9_-]{43}");

    private Pkce() {}

    /**
     * Checks the PKCE parameters of an authorization request (PAR); throws 400
     * {@code invalid_request} unless {@code challenge} is present and well formed and
     * {@code method} is S256 (absent means "plain", which atproto does not allow).
     */
    public static void checkChallenge(String challenge, String method) {
        if (challenge == null || challenge.isEmpty()) {
            if (method != null) throw invalidRequest("code_challenge is required when code_challenge_method is provided");
            throw invalidRequest("Use of PKCE is required");
        }
        if (method != null && !method.equals("S256") && !method.equals("plain")) {
            throw invalidRequest("Unsupported code_challenge_method \"" + method + "\"");
        }
        if (!"S256".equals(method)) throw invalidRequest("atproto requires use of \"S256\" code_challenge_method");
        if (!S256_CHALLENGE.matcher(challenge).matches()) throw invalidRequest("Invalid code_challenge");
    }

    /**
     * Checks a token request's {@code verifier} against the S256 {@code challenge} of its
     * authorization request and uses the challenge up; throws 400 {@code invalid_grant}.
     */
    public static void verify(String challenge, String verifier, ReplayStore replays) {
        if (verifier == null || verifier.isEmpty()) throw invalidGrant("code_verifier is required");
        if (verifier.length() < 43) throw invalidGrant("code_verifier too short");
        if (!VERIFIER.matcher(verifier).matches()) throw invalidGrant("Invalid code_verifier");
        if (!MessageDigest.isEqual(s256(verifier).getBytes(StandardCharsets.US_ASCII), challenge.getBytes(StandardCharsets.US_ASCII))) {
            throw invalidGrant("Invalid code_verifier");
        }
        if (!replays.unique("CodeChallenge", challenge, CHALLENGE_REPLAY_WINDOW)) throw invalidGrant("Code challenge already used");
    }

    /** base64url(SHA-256(verifier)), the S256 challenge for {@code verifier}. */
    public static String s256(String verifier) {
        try {
            var digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e); // every JVM has SHA-256
        }
    }

    private static OAuthException invalidRequest(String description) {
        return new OAuthException("invalid_request", description, 400, false);
    }

    private static OAuthException invalidGrant(String description) {
        return new OAuthException("invalid_grant", description, 400, false);
    }
}
