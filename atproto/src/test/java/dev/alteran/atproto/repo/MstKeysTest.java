package dev.alteran.atproto.repo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MstKeysTest {
    static InputStream resource(String path) {
        var in = MstKeysTest.class.getResourceAsStream("/interop/" + path);
        if (in == null) throw new IllegalStateException("missing test resource " + path);
        return in;
    }

    static JsonNode json(String path) throws IOException {
        try (var in = resource(path)) {
            return new ObjectMapper().readTree(in);
        }
    }

    static List<String> exampleKeys() throws IOException {
        try (var in = resource("mst/example_keys.txt")) {
            return Arrays.stream(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
                    .map(String::strip).filter(s -> !s.isEmpty()).toList();
        }
    }

    @Test
    void interopKeyHeights() throws IOException {
        var cases = json("mst/key_heights.json");
        assertThat(cases.size()).isGreaterThan(5);
        for (var c : cases) {
            assertThat(MstKeys.height(c.get("key").asText())).as(c.toString()).isEqualTo(c.get("height").asInt());
        }
    }

    @Test
    void interopCommonPrefix() throws IOException {
        var cases = json("mst/common_prefix.json");
        assertThat(cases.size()).isGreaterThan(5);
        for (var c : cases) {
            assertThat(MstKeys.commonPrefixLength(c.get("left").asText(), c.get("right").asText()))
                    .as(c.toString()).isEqualTo(c.get("len").asInt());
        }
    }

    /** The example keys are named {@code <letter><height>/<n>}: the digit is the expected height. */
    @Test
    void interopExampleKeysHaveTheirNamedHeight() throws IOException {
        var keys = exampleKeys();
        assertThat(keys).hasSize(156);
        for (var key : keys) {
            assertThat(MstKeys.isValid(key)).as(key).isTrue();
            assertThat(MstKeys.height(key)).as(key).isEqualTo(key.charAt(1) - '0');
        }
    }

    @Test
    void rejectsInvalidKeys() {
        for (var key : List.of("", "asdf", "nested/collection/asdf", "coll/", "/rkey",
                "coll/jalapeñoA", "coll/coöperative", "coll/abc💩", "coll/key$", "coll/key%", "coll/key(",
                "coll/key)", "coll/key+", "coll/key=", "coll/@handle", "coll/any space", "coll/#extra",
                "coll/any+space", "coll/number[3]", "coll/number(3)", "coll/dHJ1ZQ==", "coll/\"quote\"",
                "coll/" + "a".repeat(1020))) {
            assertThat(MstKeys.isValid(key)).as(key).isFalse();
        }
    }

    @Test
    void allowsValidKeys() {
        for (var key : List.of("coll/3jui7kd54zh2y", "coll/self", "coll/example.com", "com.example/rkey",
                "coll/~1.2-3_", "coll/dHJ1ZQ", "coll/pre:fix", "coll/_", "coll/" + "a".repeat(1019))) {
            assertThat(MstKeys.isValid(key)).as(key).isTrue();
        }
    }
}
