package dev.alteran.pds.xrpc;

import dev.alteran.pds.wire.XrpcException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class XrpcCallTest {
    @Test
    void theQueryStringIsParsedHere() {
        var q = XrpcCall.parseQuery("a=1&a=2&b=%41+c&flag&&=x&e=&u=%E2%9C%93");
        assertThat(q.get("a")).containsExactly("1", "2");
        assertThat(q.get("b")).containsExactly("A c");
        assertThat(q.get("flag")).containsExactly("");
        assertThat(q.get("")).containsExactly("x");
        assertThat(q.get("e")).containsExactly("");
        assertThat(q.get("u")).containsExactly("\u2713");
        assertThat(XrpcCall.parseQuery(null)).isEmpty();
        assertThat(XrpcCall.parseQuery("")).isEmpty();
    }

    @Test
    void aMalformedEscapeIsA400() {
        for (var bad : List.of("a=%zz", "a=%", "a=%4", "%g0=1", "a=1&b=%%")) {
            assertThatThrownBy(() -> XrpcCall.parseQuery(bad)).as(bad)
                    .isInstanceOfSatisfying(XrpcException.class, e -> assertThat(e.status()).isEqualTo(400));
        }
    }

    @Test
    void queriesParseAsSplittingOnAmpersandsDoes() {
        var random = new java.util.Random(3);
        String[] parts = {"a", "b", "=", "&", "&&", "x=1", "%41", "+", "=="};
        for (int i = 0; i < 3_000; i++) {
            var b = new StringBuilder();
            for (int n = random.nextInt(10); n > 0; n--) b.append(parts[random.nextInt(parts.length)]);
            var raw = b.toString();
            var q = XrpcCall.parseQuery(raw);
            // The oracle: split on '&', skip empty pairs, name up to the first '=', values in order.
            var expected = new java.util.LinkedHashMap<String, List<String>>();
            for (var pair : raw.split("&")) {
                if (pair.isEmpty()) continue;
                int eq = pair.indexOf('=');
                var name = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), java.nio.charset.StandardCharsets.UTF_8);
                var value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
                expected.computeIfAbsent(name, k -> new java.util.ArrayList<>()).add(value);
            }
            assertThat(q).as(raw).isEqualTo(expected);
            assertThat(List.copyOf(q.keySet())).as(raw).isEqualTo(List.copyOf(expected.keySet()));
            for (var values : q.values()) assertThatThrownBy(() -> values.add("x")).isInstanceOf(UnsupportedOperationException.class);
        }
    }
}
