package dev.alteran.pds.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.DidKeys;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.wire.XrpcException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ServiceAuthTest {
    static final String DID = "did:plc:abcdefghijklmnopqrstuvwx";
    static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");
    final Keypair key = Keypair.generate(Curve.K256);
    final ServiceAuth auth = new ServiceAuth(DID, key, Clock.fixed(NOW, ZoneOffset.UTC));
    final Principal full = new Principal(DID, Scope.ACCESS);
    final Principal appPass = new Principal(DID, Scope.APP_PASS);
    final Principal privileged = new Principal(DID, Scope.APP_PASS_PRIVILEGED);

    static void fails(Runnable r, String error, String messagePart) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(XrpcException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.error()).isEqualTo(error);
            assertThat(e.getMessage()).contains(messagePart);
        });
    }

    @Test
    void tokenIsAnEs256kJwsOverTheSigningInput() throws Exception {
        var token = auth.issue(full, "did:web:api.bsky.app#bsky_appview", null, "app.bsky.feed.getTimeline");
        var parts = token.split("\\.");
        assertThat(parts).hasSize(3);
        var header = Json.READER.readTree(Base64.getUrlDecoder().decode(parts[0]));
        assertThat(header.get("alg").asText()).isEqualTo("ES256K");
        assertThat(header.get("typ").asText()).isEqualTo("JWT");
        var claims = Json.READER.readTree(Base64.getUrlDecoder().decode(parts[1]));
        assertThat(claims.get("iss").asText()).isEqualTo(DID);
        assertThat(claims.get("aud").asText()).isEqualTo("did:web:api.bsky.app#bsky_appview");
        assertThat(claims.get("lxm").asText()).isEqualTo("app.bsky.feed.getTimeline");
        assertThat(claims.get("iat").asLong()).isEqualTo(NOW.getEpochSecond());
        assertThat(claims.get("exp").asLong()).isEqualTo(NOW.getEpochSecond() + 60);
        assertThat(claims.get("jti").asText()).matches("[0-9a-f]{32}");
        var sig = Base64.getUrlDecoder().decode(parts[2]);
        assertThat(sig).hasSize(64);
        var publicKey = DidKeys.parseDidKey(key.didKey());
        var input = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
        assertThat(publicKey.verify(input, sig)).isTrue();
        input[input.length - 1] ^= 1;
        assertThat(publicKey.verify(input, sig)).isFalse();
    }

    @Test
    void methodlessTokenLeavesLxmOut() throws Exception {
        var token = auth.issue(full, "did:web:example.com", null, null);
        var claims = Json.READER.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
        assertThat(claims.has("lxm")).isFalse();
    }

    @Test
    void expirationBounds() throws Exception {
        long now = NOW.getEpochSecond();
        var token = auth.issue(full, DID, now + 3600, "com.atproto.repo.createRecord");
        var claims = Json.READER.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
        assertThat(claims.get("exp").asLong()).isEqualTo(now + 3600);
        fails(() -> auth.issue(full, DID, now + 3601, "com.atproto.repo.createRecord"), "BadExpiration", "more than an hour");
        fails(() -> auth.issue(full, DID, now - 1, "com.atproto.repo.createRecord"), "BadExpiration", "expiration is in past");
        fails(() -> auth.issue(full, DID, now + 61, null), "BadExpiration", "method-less token");
        assertThat(auth.issue(full, DID, now + 60, null)).isNotBlank();
    }

    @Test
    void audienceMustBeAnAtprotoDidOrServiceRef() {
        fails(() -> auth.issue(full, "https://example.com", null, null), "InvalidRequest", "aud must be a valid atproto DID");
        fails(() -> auth.issue(full, "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme", null, null),
                "InvalidRequest", "aud must be");
        fails(() -> auth.issue(full, "did:web:example.com#", null, null), "InvalidRequest", "aud must be");
        assertThat(auth.issue(full, "did:web:example.com#atproto_pds", null, null)).isNotBlank();
    }

    @Test
    void methodPolicy() {
        fails(() -> auth.issue(full, DID, null, "not an nsid"), "InvalidRequest", "lxm must be a valid nsid");
        fails(() -> auth.issue(full, DID, null, "com.atproto.server.createAppPassword"), "InvalidRequest", "protected method");
        fails(() -> auth.issue(full, DID, null, "com.atproto.server.getsession"), "InvalidRequest", "protected method");
        fails(() -> auth.issue(appPass, DID, null, "chat.bsky.convo.listConvos"), "InvalidRequest", "insufficient access");
        fails(() -> auth.issue(appPass, DID, null, "com.atproto.server.createaccount"), "InvalidRequest", "insufficient access");
        assertThat(auth.issue(privileged, DID, null, "chat.bsky.convo.listConvos")).isNotBlank();
        assertThat(auth.issue(full, DID, null, "com.atproto.server.createAccount")).isNotBlank();
        assertThat(auth.issue(appPass, DID, null, "app.bsky.feed.getTimeline")).isNotBlank();
    }
}
