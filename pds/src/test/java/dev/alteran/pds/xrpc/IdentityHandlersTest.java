package dev.alteran.pds.xrpc;

import dev.alteran.pds.wire.XrpcException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** updateHandle's input rule, without HTTP: every invalid interop handle is a 400 InvalidRequest. */
class IdentityHandlersTest {
    static List<String> invalidHandles() {
        try (var in = IdentityHandlersTest.class.getResourceAsStream("/interop/syntax/handle_syntax_invalid.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static XrpcException rejected(Runnable r) {
        return catchThrowableOfType(XrpcException.class, r::run);
    }

    @Test
    void everyInvalidHandleIsAnInvalidRequest() {
        var invalid = invalidHandles();
        assertThat(invalid).hasSizeGreaterThan(40);
        for (var handle : invalid) {
            var body = JsonNodeFactory.instance.objectNode().put("handle", handle);
            var e = rejected(() -> IdentityHandlers.newHandle(body));
            assertThat(e).as(handle).isNotNull();
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.error()).isEqualTo("InvalidRequest");
        }
    }

    @Test
    void missingOrNonStringHandleIsAnInvalidRequest() {
        var f = JsonNodeFactory.instance;
        assertThat(rejected(() -> IdentityHandlers.newHandle(f.objectNode())).getMessage()).contains("must have the property");
        assertThat(rejected(() -> IdentityHandlers.newHandle(f.objectNode().putNull("handle"))).error()).isEqualTo("InvalidRequest");
        assertThat(rejected(() -> IdentityHandlers.newHandle(f.objectNode().put("handle", 42))).error()).isEqualTo("InvalidRequest");
        assertThat(rejected(() -> IdentityHandlers.newHandle(f.objectNode().set("handle", f.arrayNode().add("a.com")))).error())
                .isEqualTo("InvalidRequest");
    }

    @Test
    void validHandleIsNormalized() {
        var body = JsonNodeFactory.instance.objectNode().put("handle", "Alice.Example.COM");
        assertThat(IdentityHandlers.newHandle(body)).isEqualTo("alice.example.com");
    }
}
