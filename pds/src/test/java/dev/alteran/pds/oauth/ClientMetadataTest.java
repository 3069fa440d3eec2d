package dev.alteran.pds.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.alteran.pds.wire.Json;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ClientMetadataTest {
    static final String ID = "https://app.example.com/oauth/client-metadata.json";
    static ECKey key;

    @BeforeAll
    static void key() throws Exception {
        key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
    }

    /** A valid public web client's document, for a test to change. */
    static ObjectNode publicClient() {
        var doc = Json.object().put("client_id", ID).put("client_name", "App").put("client_uri", "https://app.example.com")
                .put("scope", "atproto transition:generic").put("token_endpoint_auth_method", "none")
                .put("application_type", "web").put("dpop_bound_access_tokens", true);
        doc.putArray("redirect_uris").add("https://app.example.com/oauth/callback");
        doc.putArray("grant_types").add("authorization_code").add("refresh_token");
        doc.putArray("response_types").add("code");
        return doc;
    }

    static ObjectNode confidentialClient() {
        var doc = publicClient().put("token_endpoint_auth_method", "private_key_jwt").put("token_endpoint_auth_signing_alg", "ES256");
        doc.putObject("jwks").putArray("keys").add(Json.toTree(key.toPublicJWK().toJSONObject()));
        return doc;
    }

    static ClientMetadata validate(ObjectNode doc) {
        return ClientMetadata.validate(ClientId.parse(ID), doc);
    }

    static void refused(Consumer<ObjectNode> edit, String error, String description) {
        var doc = publicClient();
        edit.accept(doc);
        refusedDoc(doc, error, description);
    }

    static void refusedDoc(ObjectNode doc, String error, String description) {
        assertThatThrownBy(() -> validate(doc)).isInstanceOfSatisfying(OAuthException.class, e -> {
            assertThat(e.error()).isEqualTo(error);
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.description()).contains(description);
        });
    }

    @Test
    void aPublicWebClient() {
        var m = validate(publicClient());
        assertThat(m.clientId()).isEqualTo(ID);
        assertThat(m.isConfidential()).isFalse();
        assertThat(m.redirectUris()).containsExactly("https://app.example.com/oauth/callback");
        assertThat(m.scope()).isEqualTo("atproto transition:generic");
    }

    @Test
    void aConfidentialClientWithItsKeys() {
        var m = validate(confidentialClient());
        assertThat(m.isConfidential()).isTrue();
        assertThat(m.jwks().getKeyByKeyId("k1")).isNotNull();
        var byUri = publicClient().put("token_endpoint_auth_method", "private_key_jwt").put("token_endpoint_auth_signing_alg", "ES256")
                .put("jwks_uri", "https://app.example.com/jwks.json");
        assertThat(validate(byUri).jwksUri()).isEqualTo("https://app.example.com/jwks.json");
    }

    @Test
    void confidentialClientRules() {
        var noKeys = confidentialClient();
        noKeys.remove("jwks");
        refusedDoc(noKeys, "invalid_client_metadata", "requires jwks or jwks_uri");
        var emptyKeys = confidentialClient();
        emptyKeys.putObject("jwks").putArray("keys");
        refusedDoc(emptyKeys, "invalid_client_metadata", "at least one key");
        refusedDoc(confidentialClient().put("jwks_uri", "https://app.example.com/jwks.json"), "invalid_client_metadata", "mutually exclusive");
        var noAlg = confidentialClient();
        noAlg.remove("token_endpoint_auth_signing_alg");
        refusedDoc(noAlg, "invalid_client_metadata", "token_endpoint_auth_signing_alg");
        var privateKey = confidentialClient();
        privateKey.putObject("jwks").putArray("keys").add(Json.toTree(key.toJSONObject()));
        refusedDoc(privateKey, "invalid_client_metadata", "must be public");
        var badJwks = confidentialClient();
        badJwks.put("jwks", "not keys");
        refusedDoc(badJwks, "invalid_client_metadata", "Invalid jwks");
        refusedDoc(confidentialClient().put("application_type", "native"), "invalid_client_metadata", "Native clients");
        refused(d -> d.put("token_endpoint_auth_signing_alg", "ES256"), "invalid_client_metadata", "must not have token_endpoint_auth_signing_alg");
    }

    @Test
    void authMethodMustBeNoneOrPrivateKeyJwt() {
        refused(d -> d.remove("token_endpoint_auth_method"), "invalid_client_metadata", "client_secret_basic");
        refused(d -> d.put("token_endpoint_auth_method", "client_secret_post"), "invalid_client_metadata", "Unsupported client authentication method");
    }

    @Test
    void scopeAndGrantRules() {
        refused(d -> d.remove("scope"), "invalid_client_metadata", "Missing scope");
        refused(d -> d.put("scope", "transition:generic"), "invalid_client_metadata", "Missing \"atproto\" scope");
        refused(d -> d.put("scope", "atproto atproto"), "invalid_client_metadata", "Duplicate scope");
        refused(d -> d.put("scope", "atproto  x"), "invalid_client_metadata", "Invalid scope");
        refused(d -> d.putArray("grant_types").add("authorization_code").add("authorization_code"), "invalid_client_metadata", "Duplicate grant type");
        refused(d -> d.putArray("grant_types").add("authorization_code").add("implicit"), "invalid_client_metadata", "not allowed");
        refused(d -> d.putArray("grant_types").add("authorization_code").add("password"), "invalid_client_metadata", "not supported");
        refused(d -> d.putArray("grant_types").add("refresh_token"), "invalid_client_metadata", "requires that \"grant_types\" contains \"authorization_code\"");
        refused(d -> d.putArray("response_types").add("token"), "invalid_client_metadata", "response_types must include \"code\"");
        refused(d -> d.putArray("grant_types"), "invalid_client_metadata", "must not be empty");
    }

    @Test
    void dpopBoundTokensAreRequired() {
        refused(d -> d.remove("dpop_bound_access_tokens"), "invalid_client_metadata", "\"dpop_bound_access_tokens\" must be true");
        refused(d -> d.put("dpop_bound_access_tokens", false), "invalid_client_metadata", "\"dpop_bound_access_tokens\" must be true");
        refused(d -> d.put("dpop_bound_access_tokens", "true"), "invalid_client_metadata", "expected a boolean");
    }

    @Test
    void unsupportedFeaturesAreRefused() {
        refused(d -> d.put("default_max_age", 60), "invalid_client_metadata", "Unsupported \"default_max_age\"");
        refused(d -> d.put("userinfo_signed_response_alg", "RS256"), "invalid_client_metadata", "Unsupported");
        refused(d -> d.put("subject_type", "pairwise"), "invalid_client_metadata", "public");
        refused(d -> d.put("authorization_encrypted_response_enc", "A128CBC-HS256"), "invalid_client_metadata", "Encrypted");
        refused(d -> d.put("tls_client_certificate_bound_access_tokens", true), "invalid_client_metadata", "Mutual-TLS");
        refused(d -> d.putArray("authorization_details_types").add("x"), "invalid_client_metadata", "authorization_details_types");
    }

    @Test
    void theDocumentMustBeTheClientIds() {
        refused(d -> d.put("client_id", "https://other.example.com/client.json"), "invalid_client_metadata", "client_id does not match");
        refused(d -> d.remove("client_id"), "invalid_client_metadata", "client_id is required");
        refused(d -> d.put("client_uri", "https://other.example.com"), "invalid_client_metadata", "same origin");
        refused(d -> d.put("client_uri", "https://app.example.com/elsewhere"), "invalid_client_metadata", "parent URL");
        validate(publicClient().put("client_uri", "https://app.example.com/oauth"));
        validate(publicClient().put("client_uri", "https://app.example.com/oauth/"));
        refused(d -> d.put("client_uri", "https://app.test"), "invalid_client_metadata", "client_uri hostname is invalid");
        refusedDoc(null, "invalid_client_metadata", "JSON object");
    }

    @Test
    void fieldTypesAreChecked() {
        refused(d -> d.put("client_name", 5), "invalid_client_metadata", "client_name");
        refused(d -> d.put("redirect_uris", "https://app.example.com/cb"), "invalid_client_metadata", "redirect_uris");
        refused(d -> d.putArray("redirect_uris"), "invalid_client_metadata", "At least one redirect_uri");
        refused(d -> d.remove("redirect_uris"), "invalid_client_metadata", "At least one redirect_uri");
        refused(d -> d.put("logo_uri", "javascript:alert(1)"), "invalid_client_metadata", "logo_uri");
        refused(d -> d.put("application_type", "desktop"), "invalid_client_metadata", "application_type");
    }

    @Test
    void redirectUrisFitTheApplicationType() {
        refused(d -> d.putArray("redirect_uris").add("http://app.example.com/cb"), "invalid_client_metadata", "localhost");
        refused(d -> d.putArray("redirect_uris").add("http://localhost/cb"), "invalid_client_metadata", "localhost");
        refused(d -> d.putArray("redirect_uris").add("http://127.0.0.1/cb"), "invalid_redirect_uri", "only allowed for native apps");
        refused(d -> d.putArray("redirect_uris").add("https://app.test/cb"), "invalid_redirect_uri", "local hostname");
        refused(d -> d.putArray("redirect_uris").add("https://intranet/cb"), "invalid_client_metadata", "two segments");
        refused(d -> d.putArray("redirect_uris").add("https://user:pw@app.example.com/cb"), "invalid_redirect_uri", "credentials");
        refused(d -> d.putArray("redirect_uris").add("com.example.app:/cb"), "invalid_redirect_uri", "only allowed for native apps");
        refused(d -> d.putArray("redirect_uris").add("javascript:alert(1)"), "invalid_client_metadata", "private-use URI scheme");
        refused(d -> d.putArray("redirect_uris").add("com.example.app://cb"), "invalid_client_metadata", "single slash");

        var nativeApp = publicClient().put("application_type", "native");
        nativeApp.putArray("redirect_uris").add("com.example.app:/callback").add("http://127.0.0.1:8080/cb").add("http://[::1]/cb");
        validate(nativeApp);
        var wrongScheme = publicClient().put("application_type", "native");
        wrongScheme.putArray("redirect_uris").add("com.other.app:/callback");
        refusedDoc(wrongScheme, "invalid_redirect_uri", "reverse order (com.example.app:)");
    }

    @Test
    void loopbackClientsGetDerivedMetadata() {
        var m = ClientMetadata.loopback((ClientId.Loopback) ClientId.parse("http://localhost?scope=atproto%20transition:generic"));
        assertThat(m.clientId()).isEqualTo("http://localhost?scope=atproto%20transition:generic");
        assertThat(m.scope()).isEqualTo("atproto transition:generic");
        assertThat(m.redirectUris()).containsExactly("http://127.0.0.1/", "http://[::1]/");
        assertThat(m.applicationType()).isEqualTo("native");
        assertThat(m.tokenEndpointAuthMethod()).isEqualTo("none");
        assertThat(m.grantTypes()).containsExactly("authorization_code", "refresh_token");
    }

    @Test
    void aLoopbackClientIdCannotBeDressedAsAWebClient() {
        var loopback = ClientId.parse("http://localhost");
        var doc = publicClient().put("client_id", "http://localhost");
        doc.remove("client_uri");
        doc.putArray("redirect_uris").add("http://127.0.0.1/");
        assertThatThrownBy(() -> ClientMetadata.validate(loopback, doc)).isInstanceOfSatisfying(OAuthException.class,
                e -> assertThat(e.error()).isEqualTo("invalid_redirect_uri"));
        doc.put("application_type", "native").put("client_uri", "https://app.example.com");
        assertThatThrownBy(() -> ClientMetadata.validate(loopback, doc)).hasMessageContaining("client_uri is not allowed for loopback clients");
    }
}
