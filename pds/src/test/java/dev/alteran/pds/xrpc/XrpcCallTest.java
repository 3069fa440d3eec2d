package dev.alteran.pds.xrpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class XrpcCallTest {
    @Test
    void queryStringsParseAndDecode() {
        assertThat(XrpcCall.parseQuery(null)).isEmpty();
        assertThat(XrpcCall.parseQuery("")).isEmpty();
        assertThat(XrpcCall.parseQuery("repo=did%3Aweb%3Alocalhost%253A2583&collection=app.bsky.feed.post&limit=50"))
                .isEqualTo(Map.of("repo", List.of("did:web:localhost%3A2583"), "collection", List.of("app.bsky.feed.post"),
                        "limit", List.of("50")));
        assertThat(XrpcCall.parseQuery("q=a+b%20c&uris=at%3A%2F%2Fx&uris=y"))
                .isEqualTo(Map.of("q", List.of("a b c"), "uris", List.of("at://x", "y")));
        assertThat(XrpcCall.parseQuery("flag&empty=&&=v&caf%C3%A9=%E2%9C%93"))
                .isEqualTo(Map.of("flag", List.of(""), "empty", List.of(""), "", List.of("v"), "café", List.of("✓")));
    }

    @Test
    void aMalformedEscapeIsAnInvalidRequest() {
        assertThatThrownBy(() -> XrpcCall.parseQuery("cursor=%zz"))
                .isInstanceOfSatisfying(XrpcException.class, e -> assertThat(e.status()).isEqualTo(400));
    }
}
