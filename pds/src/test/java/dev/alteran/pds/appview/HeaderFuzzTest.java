package dev.alteran.pds.appview;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.alteran.pds.config.TrustedProxies;
import dev.alteran.pds.http.FakeRequest;
import dev.alteran.pds.wire.XrpcException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Fuzz target for the request headers the server parses itself: {@code atproto-proxy}
 * ({@link ServiceRef#parse}), and {@code X-Forwarded-For} and {@code X-Forwarded-Proto} behind a trusted
 * proxy ({@link TrustedProxies}: the client address the rate limits key on, and whether the request came
 * over HTTPS). An input is the three header values, one per line. Without {@code JAZZER_FUZZ=1} it replays
 * the saved inputs under {@code src/test/resources/dev/alteran/pds/appview/HeaderFuzzTestInputs/};
 * bench/fuzz.sh fuzzes it.
 */
class HeaderFuzzTest {
    static final TrustedProxies PROXIES = new TrustedProxies(List.of("10.0.0.0/8", "::1"));

    /**
     * A proxy header is a 400 XRPC error or a service reference that writes back as the header itself;
     * the forwarded headers, from a trusted proxy, always give a client address (at worst the proxy's),
     * a rate-limit key and an HTTPS answer, never an exception (which would be a 500 on every request).
     */
    @FuzzTest
    void headersParseOr400NeverThrow(byte[] input) {
        var lines = new String(input, StandardCharsets.UTF_8).split("\n", 3);
        var proxy = lines[0];
        try {
            var ref = ServiceRef.parse(proxy);
            assertEquals(proxy, ref.toString());
        } catch (XrpcException e) {
            assertEquals(400, e.status());
        }
        var forwardedFor = lines.length > 1 ? List.of(lines[1]) : List.<String>of();
        var proto = lines.length > 2 ? List.of(lines[2]) : List.<String>of();
        var request = FakeRequest.request("10.0.0.1", false, Map.of("X-Forwarded-For", forwardedFor, "X-Forwarded-Proto", proto));
        assertNotNull(PROXIES.clientAddress(request));
        assertFalse(PROXIES.clientKey(request).isEmpty());
        PROXIES.isHttps(request);
    }
}
