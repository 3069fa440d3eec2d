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
}
