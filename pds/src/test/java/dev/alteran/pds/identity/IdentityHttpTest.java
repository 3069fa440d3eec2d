package dev.alteran.pds.identity;

import static dev.alteran.pds.identity.Rebinding.CHECKED;
import static dev.alteran.pds.identity.Rebinding.PRIVATE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.pds.identity.Rebinding.ScriptedResolver;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
    void endlessHeadersAreCutOff() throws Exception {
        try (var server = Loopback.start(ex -> {
            for (int i = 0; i < 100; i++) ex.getResponseHeaders().add("x-filler-" + i, "a".repeat(1000)); // 100 KB of headers
            Loopback.send(ex, 200, "hi");
        })) {
            var http = new IdentityHttp(Duration.ofSeconds(2), true);
            assertThatThrownBy(() -> http.get(URI.create(server.base() + "/x"), "*/*", 100, false))
                    .isInstanceOf(ResolutionException.class).hasMessageContaining("could not fetch");
        }
    }

    @Test
    void onlyHttpUrls() {
        var http = new IdentityHttp(Duration.ofSeconds(2), true);
        assertThatThrownBy(() -> http.get(URI.create("file:///etc/passwd"), "*/*", 100, true)).isInstanceOf(ResolutionException.class);
    }

    static IdentityHttp rebinding(ScriptedResolver dns) {
        return new IdentityHttp(Duration.ofSeconds(2), new Egress(dns, Rebinding.RULE, null));
    }

    @Test
    void theConnectionGoesToTheAddressThatWasChecked() throws Exception {
        try (var stage = Rebinding.stage(port -> Rebinding.ok("checked"), null)) {
            var dns = new ScriptedResolver(Map.of("rebind.test", List.of(CHECKED, PRIVATE)));
            try (var http = rebinding(dns)) {
                var uri = URI.create("http://rebind.test:" + stage.port() + "/x");
                // A client that checked the first answer and then resolved again would have reached the trap.
                assertThat(http.get(uri, "*/*", 100, false).body()).asString().isEqualTo("checked");
                assertThat(dns.lookups("rebind.test")).isEqualTo(1);
                assertThat(stage.server().hosts).containsExactly("rebind.test:" + stage.port());
                assertThat(stage.trap().accepted).hasValue(0);

                // The server closed that connection; the next one resolves again, gets 127.0.0.1 and is refused.
                assertThatThrownBy(() -> http.get(uri, "*/*", 100, false))
                        .isInstanceOf(RefusedAddressException.class).hasMessageContaining("non-public");
                assertThat(dns.lookups("rebind.test")).isEqualTo(2);
                assertThat(stage.trap().accepted).hasValue(0);
                assertThat(stage.server().accepted).hasValue(1);
            }
        }
    }

    @Test
    void aPrivateAnswerIsRefusedBeforeAnyConnection() throws Exception {
        try (var stage = Rebinding.stage(port -> Rebinding.ok("checked"), null)) {
            var dns = new ScriptedResolver(Map.of("rebind.test", List.of(PRIVATE, CHECKED)));
            try (var http = rebinding(dns)) {
                var uri = URI.create("http://rebind.test:" + stage.port() + "/x");
                assertThatThrownBy(() -> http.get(uri, "*/*", 100, false)).isInstanceOf(RefusedAddressException.class);
                assertThat(dns.lookups("rebind.test")).isEqualTo(1);
                assertThat(stage.trap().accepted).hasValue(0);
                assertThat(stage.server().accepted).hasValue(0);

                // Nothing of the refusal sticks: the next lookup's allowed answer is where the next connection goes.
                assertThat(http.get(uri, "*/*", 100, false).body()).asString().isEqualTo("checked");
                assertThat(dns.lookups("rebind.test")).isEqualTo(2);
                assertThat(stage.trap().accepted).hasValue(0);
            }
        }
    }

    @Test
    void eachRedirectHopIsResolvedAndCheckedAgain() throws Exception {
        try (var stage = Rebinding.stage(port -> Rebinding.redirect("http://inside.test:" + port + "/y"), null)) {
            var dns = new ScriptedResolver(Map.of("rebind.test", List.of(CHECKED), "inside.test", List.of(PRIVATE)));
            try (var http = rebinding(dns)) {
                var uri = URI.create("http://rebind.test:" + stage.port() + "/x");
                assertThat(http.get(uri, "*/*", 100, false).status()).isEqualTo(302);
                assertThatThrownBy(() -> http.get(uri, "*/*", 100, true)).isInstanceOf(RefusedAddressException.class);
                assertThat(dns.lookups("inside.test")).isEqualTo(1);
                assertThat(stage.server().accepted).hasValue(2);
                assertThat(stage.trap().accepted).hasValue(0);
            }
        }
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

    @Test
    void ipv6AddressesThatCarryAnIpv4AddressAreJudgedByIt() throws Exception {
        for (var a : new String[] {
                "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::127.0.0.1", "::10.0.0.1", // IPv4-mapped and -compatible
                "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::c0a8:101", // NAT64 to 127.0.0.1, 169.254.169.254, 192.168.1.1
                "2002:7f00:1::1", "2002:a00:1::", "2002:a9fe:a9fe::1"}) { // 6to4 of 127.0.0.1, 10.0.0.1, 169.254.169.254
            assertThat(IdentityHttp.isPublic(InetAddress.getByName(a))).as(a).isFalse();
            assertThat(IdentityHttp.isPublic(v6(a))).as(a + " as an Inet6Address").isFalse();
        }
        for (var a : new String[] {"::ffff:1.1.1.1", "64:ff9b::101:101", "2002:101:101::1"}) {
            assertThat(IdentityHttp.isPublic(InetAddress.getByName(a))).as(a).isTrue();
            assertThat(IdentityHttp.isPublic(v6(a))).as(a + " as an Inet6Address").isTrue();
        }
    }

    @Test
    void ipv6OutsideGlobalUnicastOrInTunnelAndDocumentationBlocksIsRefused() throws Exception {
        for (var a : new String[] {
                "64:ff9b:1::a00:1", "64:ff9b:1:abcd::1", // local-use NAT64, whatever it embeds
                "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::1", // Teredo
                "2001:2::1", "2001:20::1", // benchmarking, ORCHIDv2 (the rest of the IETF block 2001::/23)
                "2001:db8::1", "3fff::1", // documentation
                "::", "100::1", "fec0::1", "ff02::1", "4000::1", "e000::1"}) { // unspecified, discard, site-local, multicast, reserved
            assertThat(IdentityHttp.isPublic(InetAddress.getByName(a))).as(a).isFalse();
        }
        for (var a : new String[] {"2a00:1450:4001:80b::200e", "2001:4860:4860::8888", "2001:200::1", "2c0f:fb50::1"}) {
            assertThat(IdentityHttp.isPublic(InetAddress.getByName(a))).as(a).isTrue();
        }
    }

    /** The address as an Inet6Address, even when it is IPv4-mapped (which InetAddress.getByName turns into IPv4). */
    static Inet6Address v6(String literal) throws Exception {
        var bytes = InetAddress.getByName(literal).getAddress();
        if (bytes.length == 4) {
            var mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(bytes, 0, mapped, 12, 4);
            bytes = mapped;
        }
        return Inet6Address.getByAddress(null, bytes, -1);
    }
}
