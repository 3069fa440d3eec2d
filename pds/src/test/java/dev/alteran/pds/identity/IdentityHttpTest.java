package dev.alteran.pds.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class IdentityHttpTest {
    @Test
    void privateAddressesAreRefusedWhenNotAllowed() throws Exception {
        try (var server = Loopback.start(ex -> Loopback.send(ex, 200, "hi"))) {
            var strict = new IdentityHttp(Duration.ofSeconds(2), false);
            assertThatThrownBy(() -> strict.get(URI.create(server.base() + "/x"), "*/*", 100, false))
                    .isInstanceOf(ResolutionException.class).hasMessageContaining("non-public");
            assertThat(server.requests).isEmpty();
            var lax = new IdentityHttp(Duration.ofSeconds(2), true);
            assertThat(lax.get(URI.create(server.base() + "/x"), "*/*", 100, false).body()).asString().isEqualTo("hi");
        }
    }

    @Test
    void redirectsAreReturnedUnlessFollowed() throws Exception {
        try (var server = Loopback.start(ex -> {
            ex.getResponseHeaders().add("location", "https://example.com/");
            Loopback.send(ex, 301, "");
        })) {
            var http = new IdentityHttp(Duration.ofSeconds(2), true);
            assertThat(http.get(URI.create(server.base() + "/x"), "*/*", 100, false).status()).isEqualTo(301);
        }
    }

    @Test
    void onlyHttpUrls() {
        var http = new IdentityHttp(Duration.ofSeconds(2), true);
        assertThatThrownBy(() -> http.get(URI.create("file:///etc/passwd"), "*/*", 100, true)).isInstanceOf(ResolutionException.class);
    }

    @Test
    void publicAddressClassification() throws Exception {
        for (var a : new String[] {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "fe80::1", "fd00::1"}) {
            assertThat(IdentityHttp.isPublic(InetAddress.getByName(a))).as(a).isFalse();
        }
        for (var a : new String[] {"1.1.1.1", "93.184.216.34", "2606:4700:4700::1111"}) {
            assertThat(IdentityHttp.isPublic(InetAddress.getByName(a))).as(a).isTrue();
        }
    }
}
