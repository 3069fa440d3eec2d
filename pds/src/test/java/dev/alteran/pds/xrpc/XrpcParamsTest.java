package dev.alteran.pds.xrpc;

import dev.alteran.pds.wire.XrpcException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.lexicon.Lexicons;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class XrpcParamsTest {
    static final XrpcParams PARAMS = new XrpcParams(Lexicons.loadBundled());
    static final String DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";

    static String refusal(String nsid, String query) {
        try {
            PARAMS.check(nsid, XrpcCall.parseQuery(query));
            return null;
        } catch (XrpcException e) {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.error()).isEqualTo("InvalidRequest");
            return e.getMessage();
        }
    }

    @Test
    void validParamsPass() {
        assertThat(refusal("com.atproto.repo.listRecords", "repo=" + DID + "&collection=app.bsky.feed.post&limit=100&reverse=true&cursor=anything")).isNull();
        assertThat(refusal("com.atproto.repo.listRecords", "repo=alice.test&collection=app.bsky.feed.post&limit=&unknown=x")).isNull();
        assertThat(refusal("app.bsky.actor.getProfiles", "actors=alice.test&actors=" + DID)).isNull();
        // No lexicon, or a method without parameters: nothing to check.
        assertThat(refusal("com.example.unknown", "x=1")).isNull();
        assertThat(refusal("com.atproto.server.describeServer", "x=%00")).isNull();
    }

    @Test
    void requiredParams() {
        assertThat(refusal("com.atproto.repo.listRecords", "collection=app.bsky.feed.post"))
                .isEqualTo("Error: Params must have the property \"repo\"");
        assertThat(refusal("com.atproto.repo.listRecords", "repo=&collection=app.bsky.feed.post"))
                .isEqualTo("Error: Params must have the property \"repo\"");
    }

    @Test
    void typesFormatsAndBounds() {
        var base = "repo=" + DID + "&collection=app.bsky.feed.post";
        var cases = Map.of(
                "limit=abc", "Error: limit must be an integer",
                "limit=1.5", "Error: limit must be an integer",
                "limit=99999999999999999999", "Error: limit must be an integer",
                "limit=0", "Error: limit can not be less than 1",
                "limit=101", "Error: limit can not be greater than 100",
                "reverse=maybe", "Error: reverse must be a boolean",
                "limit=1&limit=2", "Parameter 'limit' given more than once",
                "cursor=a%00b", "Error: cursor must not contain a NUL character");
        cases.forEach((q, message) -> assertThat(refusal("com.atproto.repo.listRecords", base + "&" + q)).as(q).isEqualTo(message));
        assertThat(refusal("com.atproto.repo.listRecords", "repo=not%20valid&collection=app.bsky.feed.post"))
                .isEqualTo("Error: repo must be a valid at-identifier");
        assertThat(refusal("com.atproto.repo.listRecords", "repo=" + DID + "&collection=a..b")).isEqualTo("Error: collection must be a valid nsid");
        assertThat(refusal("com.atproto.sync.listBlobs", "did=" + DID + "&since=x")).isEqualTo("Error: since must be a valid tid");
        assertThat(refusal("app.bsky.actor.getProfiles", "actors=alice.test&actors=@bad")).isEqualTo("Error: actors must be a valid at-identifier");
        assertThat(refusal("com.atproto.server.getServiceAuth", "aud=" + "a".repeat(2049))).startsWith("Error: aud must not be longer than 2048");
        assertThatCode(() -> PARAMS.check("com.atproto.server.getServiceAuth", XrpcCall.parseQuery("aud=x&exp=-5"))).doesNotThrowAnyException();
        assertThatThrownBy(() -> PARAMS.check("app.bsky.actor.getProfiles", XrpcCall.parseQuery("actors=" + "a.test&actors=".repeat(26) + "a.test")))
                .hasMessageContaining("must not have more than 25 elements");
    }

    @Test
    void lengthsAreCountedInUtf8AsGetBytesCountsThem() {
        var random = new java.util.Random(7);
        char[] pool = {'a', '~', '\u00e9', '\u07ff', '\u0800', '\u4e2d', '\uffff', '\ud83d', '\ude00', '\udbff', '\udfff'};
        for (int i = 0; i < 20_000; i++) {
            var b = new StringBuilder();
            for (int n = random.nextInt(12); n > 0; n--) b.append(pool[random.nextInt(pool.length)]);
            var s = b.toString();
            assertThat(dev.alteran.atproto.lexicon.LexType.LexString.utf8Length(s)).as(s).isEqualTo(s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        }
    }
}
