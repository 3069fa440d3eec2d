package dev.alteran.pds.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientIdTest {
    @Test
    void discoverableClientIdsAreHttpsUrlsWithAPath() {
        var id = ClientId.parse("https://app.example.com/oauth/client-metadata.json");
        assertThat(id).isInstanceOf(ClientId.Discoverable.class);
        assertThat(((ClientId.Discoverable) id).url().getHost()).isEqualTo("app.example.com");
        assertThat(ClientId.parse("https://app.bsky.social/client-metadata.json?v=2")).isInstanceOf(ClientId.Discoverable.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "app.example.com", "http://app.example.com/client.json", "https://app.example.com",
            "https://app.example.com/", "https://app.example.com/dir/", "https://user:pw@app.example.com/c.json",
            "https://app.example.com/c.json#frag", "https://93.184.216.34/c.json", "https://[2001:db8::1]/c.json",
            "https://localhost/c.json", "https://127.0.0.1/c.json", "https://intranet/c.json", "https://app.local/c.json",
            "https://app.example/c.json", "https://app.test/c.json", "https://app.example.com/a/../c.json",
            "https://app.example.com/./c.json", "HTTPS://app.example.com/c.json", "ftp://app.example.com/c.json",
            "https://app.example.com/c json"})
    void refusedClientIds(String value) {
        assertThatThrownBy(() -> ClientId.parse(value)).isInstanceOfSatisfying(OAuthException.class, e -> {
            assertThat(e.error()).isEqualTo("invalid_client_id");
            assertThat(e.status()).isEqualTo(400);
        });
    }

    @Test
    void loopbackClientIdsCarryScopeAndRedirects() {
        var plain = (ClientId.Loopback) ClientId.parse("http://localhost");
        assertThat(plain.scope()).isEqualTo("atproto");
        assertThat(plain.redirectUris()).containsExactly("http://127.0.0.1/", "http://[::1]/");
        assertThat(ClientId.parse("http://localhost/")).isInstanceOf(ClientId.Loopback.class);

        var custom = (ClientId.Loopback) ClientId.parse(
                "http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback&scope=atproto%20transition%3Ageneric&redirect_uri=http://[::1]:9000/cb");
        assertThat(custom.scope()).isEqualTo("atproto transition:generic");
        assertThat(custom.redirectUris()).isEqualTo(List.of("http://127.0.0.1:8080/callback", "http://[::1]:9000/cb"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://localhost:8080", "http://localhost/path", "http://localhost#x", "http://localhost?foo=bar",
            "http://localhost?scope=transition:generic", "http://localhost?scope=atproto&scope=atproto",
            "http://localhost?redirect_uri=http://localhost/cb", "http://localhost?redirect_uri=https://app.example.com/cb",
            "http://localhost?scope=atproto%22", "http://localhost?redirect_uri=http://192.168.1.1/cb"})
    void refusedLoopbackClientIds(String value) {
        assertThatThrownBy(() -> ClientId.parse(value)).isInstanceOfSatisfying(OAuthException.class,
                e -> assertThat(e.error()).isEqualTo("invalid_client_id"));
    }
}
