package dev.alteran.pds.config;

import dev.alteran.pds.http.FakeRequest;
import static dev.alteran.pds.http.FakeRequest.from;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {
    final TrustedProxies proxies = new TrustedProxies(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"));

    String client(jakarta.servlet.http.HttpServletRequest req) {
        return proxies.clientAddress(req).getHostAddress();
    }

    @Test
    void entriesAreIpLiteralsOrCidrRanges() {
        assertThat(TrustedProxies.isValidEntry("10.0.0.1")).isTrue();
        assertThat(TrustedProxies.isValidEntry("10.0.0.0/8")).isTrue();
        assertThat(TrustedProxies.isValidEntry("0.0.0.0/0")).isTrue();
        assertThat(TrustedProxies.isValidEntry("::1")).isTrue();
        assertThat(TrustedProxies.isValidEntry("2001:db8::/32")).isTrue();
        assertThat(TrustedProxies.isValidEntry("::ffff:10.1.2.3")).isTrue();
        for (var bad : List.of("", "localhost", "example.com", "10.0.0.256", "10.0.0", "10.0.0.1/33", "::1/129",
                "10.0.0.0/", "10.0.0.0/x", "1:2", "fe80::1%eth0", "01.2.3.4", "10.0.0.1/-1",
                "10.0.0.1.5", "10..0.1", "10.0.0.1.", ".10.0.0.1", "1000.0.0.1", "10.0.0.1a")) {
            assertThat(TrustedProxies.isValidEntry(bad)).as(bad).isFalse();
        }
        assertThatThrownBy(() -> new TrustedProxies(List.of("proxy.internal"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anUntrustedPeerIsTheClientWhateverItForwards() {
        assertThat(client(from("203.0.113.5", "1.1.1.1"))).isEqualTo("203.0.113.5");
        assertThat(client(from("11.0.0.1", "1.1.1.1"))).isEqualTo("11.0.0.1");
        assertThat(TrustedProxies.none().clientAddress(from("10.0.0.1", "1.1.1.1")).getHostAddress()).isEqualTo("10.0.0.1");
    }

    @Test
    void aTrustedPeerNamesTheRightMostUntrustedHop() {
        assertThat(client(from("10.1.2.3", "198.51.100.9"))).isEqualTo("198.51.100.9");
        // The client wrote the left part itself; only the hop our proxy appended counts.
        assertThat(client(from("10.1.2.3", "6.6.6.6, 198.51.100.9"))).isEqualTo("198.51.100.9");
        // A chain of our own proxies is skipped.
        assertThat(client(from("10.1.2.3", "6.6.6.6, 198.51.100.9, 10.9.9.9, 192.168.1.7"))).isEqualTo("198.51.100.9");
        // Several headers read as one list, in order.
        assertThat(client(from("10.1.2.3", "6.6.6.6", "198.51.100.9"))).isEqualTo("198.51.100.9");
        // Ports and brackets as some proxies write them.
        assertThat(client(from("10.1.2.3", "198.51.100.9:4711"))).isEqualTo("198.51.100.9");
        assertThat(client(from("10.1.2.3", "[2001:db8::5]:443"))).isEqualTo("2001:db8:0:0:0:0:0:5");
    }

    @Test
    void garbageNeverBecomesTheClient() {
        // No header, or only garbage: the last trusted hop (the proxy) is all we know.
        assertThat(client(from("10.1.2.3"))).isEqualTo("10.1.2.3");
        assertThat(client(from("10.1.2.3", "not-an-ip"))).isEqualTo("10.1.2.3");
        assertThat(client(from("10.1.2.3", "198.51.100.9, evil.example"))).isEqualTo("10.1.2.3");
        assertThat(client(from("10.1.2.3", "1.2.3.4, 10.9.9.9, <script>"))).isEqualTo("10.1.2.3");
        assertThat(client(from("10.1.2.3", "  ,  , "))).isEqualTo("10.1.2.3");
        // Every hop trusted: the left-most.
        assertThat(client(from("10.1.2.3", "10.4.4.4, 192.168.1.7"))).isEqualTo("10.4.4.4");
    }

    @Test
    void ipv6ClientsAreKeyedByTheirSlash64() {
        var a = proxies.clientKey(from("2001:db8:1:2:aaaa::1"));
        var b = proxies.clientKey(from("2001:db8:1:2:bbbb::9"));
        var c = proxies.clientKey(from("2001:db8:1:3::1"));
        assertThat(a).isEqualTo(b).endsWith("/64");
        assertThat(c).isNotEqualTo(a);
        assertThat(proxies.clientKey(from("[::1]"))).isEqualTo("0:0:0:0:0:0:0:0/64");
        assertThat(proxies.clientKey(from("203.0.113.5"))).isEqualTo("203.0.113.5");
        assertThat(proxies.clientKey(from("fd00::1", "198.51.100.9"))).isEqualTo("198.51.100.9");
    }

    @Test
    void httpsComesFromTlsOrATrustedProxy() {
        var https = Map.of("X-Forwarded-Proto", List.of("https"));
        assertThat(proxies.isHttps(FakeRequest.request("203.0.113.5", true, Map.of()))).isTrue();
        assertThat(proxies.isHttps(FakeRequest.request("10.0.0.1", false, https))).isTrue();
        assertThat(proxies.isHttps(FakeRequest.request("203.0.113.5", false, https))).isFalse();
        assertThat(proxies.isHttps(FakeRequest.request("10.0.0.1", false, Map.of()))).isFalse();
        assertThat(proxies.isHttps(FakeRequest.request("10.0.0.1", false, Map.of("X-Forwarded-Proto", List.of("http"))))).isFalse();
        // Found by HeaderFuzzTest: a value of commas only split into nothing, and reading its last was an exception (a 500).
        assertThat(proxies.isHttps(FakeRequest.request("10.0.0.1", false, Map.of("X-Forwarded-Proto", List.of(","))))).isFalse();
        assertThat(proxies.isHttps(FakeRequest.request("10.0.0.1", false, Map.of("X-Forwarded-Proto", List.of(""))))).isFalse();
        assertThat(proxies.isHttps(FakeRequest.request("10.0.0.1", false, Map.of("X-Forwarded-Proto", List.of("https, http"))))).isFalse();
    }
}
